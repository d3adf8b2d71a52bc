import { genesisHash as chainGenesis, sealEvents as sealChained, verifyChain as verifyChained, type ChainVerification } from '../../../lib/contract/hash-chain';
import type { EventDraft, SessionEvent, StoredEvent } from './session-event';
import { assertSessionId, assertTenantId } from './session-keys';

/**
 * The session log's hash chain (AU-9, AU-10), typed with the domain's
 * events. The hashing is the contract's (lib/contract/hash-chain.ts), the
 * one implementation the client's export recomputes too.
 */
export type { ChainBreak, ChainVerification } from '../../../lib/contract/hash-chain';

/** The `prevHash` of a session's first event, for ids the table accepts. */
export function genesisHash(tenant: string, session: string): string {
  assertTenantId(tenant);
  assertSessionId(session);
  return chainGenesis(tenant, session);
}

/** Links drafts into the chain after `prevHash`, in order. */
export function sealEvents(drafts: readonly EventDraft[], prevHash: string): SessionEvent[] {
  return sealChained(drafts, prevHash);
}

/** Recomputes the chain over events in ascending seq order, from `anchorHash` (genesis, or the last verified hash). */
export function verifyChain(events: readonly StoredEvent[], anchorHash: string): ChainVerification {
  return verifyChained(events, anchorHash);
}
