import { createHash } from 'node:crypto';
import { canonicalJson } from './json';
import { sessionPartitionKey } from './session-table';

/**
 * Tamper evidence (AU-9, AU-10): each event's hash covers the previous
 * event's hash, so changing, removing or reordering any stored event breaks
 * every hash after it. Defined once here, so the orchestrator that writes the
 * chain and the client that checks an export recompute the same hashes.
 */

/** The fields of an event its hash covers, and the hash before it. */
export interface ChainedEvent {
  readonly seq: number;
  readonly type: string;
  readonly content: string;
  readonly tokens: number;
  readonly actor: string;
  readonly time: string;
  readonly toolCallId?: string;
  readonly toolName?: string;
  readonly agent?: string;
  readonly agentVersion?: string;
  readonly delegationDepth?: number;
  readonly prevHash: string;
}

/** An event as read back: its content may still be a reference to the payload store. */
export type ReadChainedEvent = Omit<ChainedEvent, 'content'> & { readonly content?: string; readonly hash: string };

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The `prevHash` of a session's first event. Binding it to the session key stops events being replayed into another session. */
export function genesisHash(tenant: string, session: string): string {
  return sha256Hex(sessionPartitionKey(tenant, session));
}

/** sha256(prevHash + canonicalJson(the covered fields)), hex. */
export function eventHash(event: ChainedEvent): string {
  const hashed = {
    seq: event.seq,
    type: event.type,
    content: event.content,
    tokens: event.tokens,
    actor: event.actor,
    time: event.time,
    toolCallId: event.toolCallId,
    toolName: event.toolName,
    // Absent on events from before agents, and canonicalJson leaves absent fields out: their hashes stay as they were.
    agent: event.agent,
    agentVersion: event.agentVersion,
    delegationDepth: event.delegationDepth,
    prevHash: event.prevHash,
  };
  return sha256Hex(event.prevHash + canonicalJson(hashed));
}

/** Links drafts into the chain after `prevHash`, in order. */
export function sealEvents<T extends Omit<ChainedEvent, 'prevHash'>>(drafts: readonly T[], prevHash: string): (T & { readonly prevHash: string; readonly hash: string })[] {
  const sealed: (T & { prevHash: string; hash: string })[] = [];
  let previous = prevHash;
  for (const draft of drafts) {
    const event = { ...draft, prevHash: previous };
    const hash = eventHash(event);
    sealed.push({ ...event, hash });
    previous = hash;
  }
  return sealed;
}

export type ChainBreak = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'content_unresolved';

export type ChainVerification =
  | { readonly ok: true; readonly lastSeq: number | undefined; readonly lastHash: string }
  | { readonly ok: false; readonly brokenAtSeq: number; readonly reason: ChainBreak };

/**
 * Recomputes the chain over events in ascending seq order. `anchorHash` is
 * the hash the first event must follow: `genesisHash(...)` for a whole
 * session, or the last verified hash when checking a later page.
 */
export function verifyChain(events: readonly ReadChainedEvent[], anchorHash: string): ChainVerification {
  let previousHash = anchorHash;
  let previousSeq: number | undefined;
  for (const event of events) {
    if (previousSeq !== undefined && event.seq !== previousSeq + 1) {
      return { ok: false, brokenAtSeq: event.seq, reason: 'seq_gap' };
    }
    if (event.prevHash !== previousHash) {
      return { ok: false, brokenAtSeq: event.seq, reason: 'prev_hash_mismatch' };
    }
    if (typeof event.content !== 'string') {
      return { ok: false, brokenAtSeq: event.seq, reason: 'content_unresolved' };
    }
    if (eventHash({ ...event, content: event.content }) !== event.hash) {
      return { ok: false, brokenAtSeq: event.seq, reason: 'hash_mismatch' };
    }
    previousHash = event.hash;
    previousSeq = event.seq;
  }
  return { ok: true, lastSeq: previousSeq, lastHash: previousHash };
}
