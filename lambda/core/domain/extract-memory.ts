import { memoryNamespace, type AgentMemory, type MemorySettings } from '../../../lib/contract/memory-table';
import type { Clock } from '../ports/clock';
import type { Embedder, MemoryStore } from '../ports/memory-store';
import type { ModelBackend } from '../ports/model-backend';
import type { SessionRepository } from '../ports/session-repository';
import { askModel, currentHeader, eventStretch } from './event-stretch';
import {
  evictionVictims,
  extractableEvents,
  extractionPrompt,
  isLive,
  memoryExpiresAt,
  memoryRecordId,
  parseExtraction,
  type ExtractedItem,
  type MemoryRecord,
  type MemorySource,
} from './memory-records';
import { rememberCalls } from './memory-tools';
import { isExpired, type TokenUsage } from './session-header';

/**
 * Memory extraction, off the turn path: the session table's stream wakes it
 * on new events; it reads the events after the session's progress item,
 * asks the memory model for records, and writes the records with the moved
 * progress in one transaction. The progress makes it idempotent per event
 * range (a retried or concurrent run of the same range loses the condition
 * and writes nothing) and the record ids derive from the range, so even a
 * lost response cannot store a record twice. The session header is only
 * read: its version, and so the turn path, never sees the extractor.
 */

export interface ExtractMemoryDeps {
  readonly sessions: SessionRepository;
  readonly memory: MemoryStore;
  readonly model: ModelBackend;
  readonly clock: Clock;
  /** The in-region embedding model, when the deployment has one: each record gets its vector. */
  readonly embedder?: Embedder;
}

export interface ExtractMemorySettings {
  readonly memory: MemorySettings;
  /** Agents with memory on, by name (ENV.MEMORY_AGENTS); a session of any other agent is not extracted. */
  readonly agents: Readonly<Record<string, AgentMemory>>;
  /** The agent of a session whose header names none (created before agents). @default none: such a session is not extracted */
  readonly defaultAgent?: string;
  /** The most event text one model call reads; a longer stretch is extracted in several calls. */
  readonly maxEventTokens: number;
  /** Model calls one run may make; what is left waits for the session's next events. */
  readonly maxCalls?: number;
}

export const DEFAULT_MAX_EXTRACTION_CALLS = 4;
/** The position a remembered sentence's id is derived with: apart from the extracted ones' (0, 1, …) of any range. */
const REMEMBERED_INDEX = -1;

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export type ExtractOutcome =
  | {
      readonly kind: 'extracted';
      readonly upToSeq: number;
      readonly written: number;
      readonly dropped: number;
      readonly evicted: number;
      readonly calls: number;
      readonly usage: TokenUsage;
    }
  | { readonly kind: 'up_to_date'; readonly upToSeq: number }
  /** The session's agent has memory off. */
  | { readonly kind: 'memory_off'; readonly agent: string }
  | { readonly kind: 'session_gone' }
  /** Another run moved the progress first: its records stand, this run wrote nothing. */
  | { readonly kind: 'superseded'; readonly afterSeq: number };

export async function extractSessionMemory(
  deps: ExtractMemoryDeps,
  tenant: string,
  session: string,
  settings: ExtractMemorySettings,
): Promise<ExtractOutcome> {
  const header = await currentHeader(deps.sessions, tenant, session);
  if (!header || isExpired(header, deps.clock.now())) return { kind: 'session_gone' };
  const agent = header.agent ?? settings.defaultAgent;
  const agentMemory = agent !== undefined && Object.hasOwn(settings.agents, agent) ? settings.agents[agent] : undefined;
  if (agent === undefined || !agentMemory) return { kind: 'memory_off', agent: agent ?? '' };

  const actor = header.owner;
  const namespace = memoryNamespace(agent, agentMemory);
  let afterSeq = await deps.memory.progress(tenant, actor, session);
  if (afterSeq >= header.lastSeq) return { kind: 'up_to_date', upToSeq: afterSeq };

  const now = deps.clock.now();
  const held = (await deps.memory.records(tenant, actor)).filter((record) => isLive(record, now));
  const usage = { input: 0, output: 0 };
  let written = 0;
  let dropped = 0;
  let calls = 0;
  const maxCalls = settings.maxCalls ?? DEFAULT_MAX_EXTRACTION_CALLS;
  while (afterSeq < header.lastSeq && calls < maxCalls) {
    const stretch = await eventStretch(deps.sessions, tenant, session, afterSeq, header.lastSeq, settings.maxEventTokens);
    const last = stretch[stretch.length - 1];
    const events = extractableEvents(stretch);
    const known = held.filter((record) => record.namespace === namespace).map((record) => record.text);
    const recordOf = (item: ExtractedItem, source: MemorySource, index: number): MemoryRecord => ({
      id: memoryRecordId(tenant, actor, source, index),
      tenant,
      actor,
      namespace,
      kind: item.kind,
      text: item.text,
      source,
      agent,
      createdAt: now.toISOString(),
      expiresAt: memoryExpiresAt(item.kind, now, settings.memory),
    });
    // What the agent was asked to keep (its `remember` calls) is kept as said, each with its call as the source.
    let records: MemoryRecord[] = rememberCalls(stretch, settings.memory.maxRecordBytes)
      .filter(({ remembered }) => !known.some((text) => sameText(text, remembered.text)))
      .map(({ event, remembered }) => recordOf(remembered, { session, fromSeq: event.seq, toSeq: event.seq, hash: event.hash }, REMEMBERED_INDEX));
    if (events.length > 0) {
      calls++;
      const reply = await askModel(deps.model, extractionPrompt(events, known, settings.memory.maxRecordBytes), 'extracting memory');
      usage.input += reply.usage.input;
      usage.output += reply.usage.output;
      const parsed = parseExtraction(reply.text, [...known, ...records.map((record) => record.text)], settings.memory.maxRecordBytes);
      dropped += parsed.dropped;
      const source = { session, fromSeq: stretch[0].seq, toSeq: last.seq, hash: last.hash };
      records.push(...parsed.items.map((item, index) => recordOf(item, source, index)));
    }
    if (deps.embedder && records.length > 0) {
      const vectors = await deps.embedder.embed(records.map((record) => record.text));
      records = records.map((record, index) => ({ ...record, vector: vectors[index] }));
    }
    const stored = await deps.memory.writeExtraction({
      tenant,
      actor,
      session,
      afterSeq,
      upToSeq: last.seq,
      records,
      progressExpiresAt: header.expiresAt,
    });
    if (!stored) return { kind: 'superseded', afterSeq };
    held.push(...records);
    written += records.length;
    afterSeq = last.seq;
  }

  const victims = evictionVictims(held, settings.memory.maxRecordsPerActor);
  if (victims.length > 0) {
    await deps.memory.remove(tenant, actor, victims, {
      action: 'evict',
      by: 'system',
      at: now.toISOString(),
      recordIds: victims.map((record) => record.id),
    });
  }
  return { kind: 'extracted', upToSeq: afterSeq, written, dropped, evicted: victims.length, calls, usage };
}

