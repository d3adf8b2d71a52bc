import { genesisHash, verifyChain, type ChainBreak } from '../core/domain/hash-chain';
import type { SessionHeader } from '../core/domain/session-header';
import type { SessionRepository } from '../core/ports/session-repository';

/** Pages of the largest size the session read route serves. */
export const VERIFY_PAGE_SIZE = 100;

export type VerifyBreak = ChainBreak | 'header_mismatch';

export type SessionVerification =
  | { readonly valid: true; readonly events: number }
  | { readonly valid: false; readonly events: number; readonly brokenAtSeq: number; readonly reason: VerifyBreak };

/**
 * Recomputes the hash chain of every event up to the header's `lastSeq`,
 * page by page, each page anchored on the last hash verified (AU-9). The
 * header's `lastHash` closes the chain, so a removed tail shows as well as a
 * changed event. Events committed after the header was read are left out.
 * `events` counts the events verified before any break.
 */
export async function verifySession(
  sessions: SessionRepository,
  tenant: string,
  session: string,
  header: SessionHeader,
  pageSize: number = VERIFY_PAGE_SIZE,
): Promise<SessionVerification> {
  let anchor = genesisHash(tenant, session);
  let lastSeq = 0;
  while (lastSeq < header.lastSeq) {
    const page = await sessions.readEvents(tenant, session, {
      afterSeq: lastSeq,
      limit: Math.min(pageSize, header.lastSeq - lastSeq),
      resolvePayloads: true,
    });
    const events = page.events.filter((event) => event.seq <= header.lastSeq);
    if (events.length === 0) break;
    if (events[0].seq !== lastSeq + 1) {
      return { valid: false, events: lastSeq, brokenAtSeq: events[0].seq, reason: 'seq_gap' };
    }
    const result = verifyChain(events, anchor);
    if (!result.ok) {
      const verified = lastSeq + events.filter((event) => event.seq < result.brokenAtSeq).length;
      return { valid: false, events: verified, brokenAtSeq: result.brokenAtSeq, reason: result.reason };
    }
    anchor = result.lastHash;
    lastSeq = result.lastSeq ?? lastSeq;
  }
  if (lastSeq !== header.lastSeq || anchor !== header.lastHash) {
    // A missing tail breaks at the first absent seq; a rewritten last event, at that event.
    const brokenAtSeq = lastSeq < header.lastSeq ? lastSeq + 1 : header.lastSeq;
    return { valid: false, events: brokenAtSeq - 1, brokenAtSeq, reason: 'header_mismatch' };
  }
  return { valid: true, events: lastSeq };
}
