import { memoryNamespace, type AgentMemory } from '../../../lib/contract/memory-table';
import type { Clock } from '../ports/clock';
import type { Embedder, MemoryStore } from '../ports/memory-store';
import { isLive, type MemoryRecord } from './memory-records';
import { rankRecords, recallWithin, type Recalled } from './memory-recall';
import type { SessionEvent } from './session-event';

/**
 * Recall on the turn path. The person's records are one Query of their
 * memory partition, which needs only the caller and the message: a turn
 * starts it before it loads the session and awaits it after, so the two
 * reads overlap and memory adds no round trip to the turn's latency (one
 * more request, billed). The message's vector, where the deployment has an
 * embedding model, is asked for in the same overlap. A deployment whose
 * agents all have memory off makes neither call.
 */

export interface RecallDeps {
  readonly memory: MemoryStore;
  /** Agents with memory on, by name (their definitions' `memory`). */
  readonly agents: Readonly<Record<string, AgentMemory>>;
  readonly clock: Clock;
  /** The in-region embedding model; absent: lexical ranking only. */
  readonly embedder?: Embedder;
}

/** A recall under way: what the context of a turn of `agent` gets (empty for an agent with memory off). */
export interface PendingRecall {
  forAgent(agent: string): Promise<Recalled>;
}

const NOTHING: Recalled = { text: '', ids: [] };
const NO_RECALL: PendingRecall = { forAgent: async () => NOTHING };

/** Starts the reads a recall needs, now, so they overlap whatever the caller does next. */
export function startRecall(deps: RecallDeps | undefined, tenant: string, actor: string, message: string): PendingRecall {
  if (!deps || Object.keys(deps.agents).length === 0 || message.trim().length === 0) return NO_RECALL;
  const records = deps.memory.records(tenant, actor);
  // An embedding that fails leaves the lexical ranking, which every region has.
  const vector = deps.embedder
    ? deps.embedder.embed([message]).then(([first]) => first, () => undefined)
    : Promise.resolve(undefined);
  // The turn may fail before it asks (an unknown session, a retry): a rejection no one awaits must not end the process.
  records.catch(() => undefined);
  return {
    async forAgent(agent) {
      const memory = Object.hasOwn(deps.agents, agent) ? deps.agents[agent] : undefined;
      if (!memory) return NOTHING;
      const namespace = memoryNamespace(agent, memory);
      const now = deps.clock.now();
      const mine = (await records).filter((record: MemoryRecord) => record.namespace === namespace && isLive(record, now));
      if (mine.length === 0) return NOTHING;
      return recallWithin(rankRecords(message, mine, await vector), memory.recallTokens);
    },
  };
}

/**
 * Recall for a stretch that continues a turn after the session was read (a
 * slow tool's result, an approval, a client's function output, a background
 * round): ranked on the turn's user message, a Query after the load.
 */
export async function recallForStretch(
  deps: RecallDeps | undefined,
  tenant: string,
  actor: string,
  agent: string,
  eventsNewestFirst: readonly SessionEvent[],
): Promise<Recalled> {
  if (!deps || !Object.hasOwn(deps.agents, agent)) return NOTHING;
  const message = eventsNewestFirst.find((event) => event.type === 'user' && (event.delegationDepth ?? 0) === 0)?.content ?? '';
  return startRecall(deps, tenant, actor, message).forAgent(agent);
}
