import { actorIdentity, isSameParty } from './actor';
import type { JsonValue } from './canonical-json';
import { ValidationError } from './errors';
import type { SessionStatus, TokenUsage } from './session-header';
import { assertTenantId } from './session-keys';
import type { SessionRepository } from '../ports/session-repository';

/**
 * The two lists the API serves from the list index (lib/contract/session-table.ts):
 * a caller's own sessions, newest first, and the approvals a caller may
 * decide, oldest first. Each page is one Query. The index is eventually
 * consistent (a session created a moment ago may be missing from the first
 * page); every decision still reads the session itself.
 */

/** A session as its owner's list shows it. */
export interface SessionListing {
  readonly sessionId: string;
  readonly agent?: string;
  readonly status: SessionStatus;
  readonly lastSeq: number;
  readonly tokens: TokenUsage;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Epoch seconds (the header's TTL). */
  readonly expiresAt: number;
}

/** A pending approval as the approvers' inbox shows it: what is asked, by whom, and until when. */
export interface ApprovalListing {
  readonly sessionId: string;
  readonly toolCallId: string;
  readonly tool: string;
  readonly input: JsonValue;
  readonly requestedBy: string;
  readonly approverRoles: readonly string[];
  readonly requestedAt: string;
  /** How long the workflow waits for a decision from `requestedAt`. */
  readonly timeoutSeconds: number;
}

export interface ListPage<T> {
  readonly items: readonly T[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  readonly cursor?: string;
}

export interface SessionListQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly agent?: string;
  readonly status?: SessionStatus;
  /** Sessions past their TTL that DynamoDB has not swept yet are left out. */
  readonly now: Date;
}

export interface ApprovalListQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Only approvals this IAM role name may decide. */
  readonly approverRole: string;
  readonly now: Date;
}

export const MAX_LIST_PAGE = 100;
export const DEFAULT_LIST_PAGE = 25;

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_PAGE) {
    throw new ValidationError('limit', `${limit} is not a whole number from 1 to ${MAX_LIST_PAGE}`);
  }
}

/** `GET /sessions`: the caller's own sessions (AC-3: the owner is the caller, from its signature). */
export function listOwnSessions(
  sessions: Pick<SessionRepository, 'listSessions'>,
  caller: { readonly tenant: string; readonly actor: string },
  query: SessionListQuery,
): Promise<ListPage<SessionListing>> {
  assertTenantId(caller.tenant);
  assertLimit(query.limit);
  return sessions.listSessions(caller.tenant, caller.actor, query);
}

/**
 * `GET /approvals`: pending approvals across the tenant's sessions that the
 * caller's role may decide, without those the caller asked for (AC-5: the
 * requester never approves, so its own requests are not in its inbox). A
 * caller that is no role (an IAM user) has an empty inbox. A page may hold
 * fewer than `limit` entries and still have a cursor: the index is read in
 * order and filtered, as DynamoDB's Limit counts items read.
 */
export async function listApprovalInbox(
  sessions: Pick<SessionRepository, 'listApprovals'>,
  caller: { readonly tenant: string; readonly actor: string },
  query: Omit<ApprovalListQuery, 'approverRole'>,
): Promise<ListPage<ApprovalListing>> {
  assertTenantId(caller.tenant);
  assertLimit(query.limit);
  const { roleName } = actorIdentity(caller.actor);
  if (roleName === undefined) return { items: [] };
  const page = await sessions.listApprovals(caller.tenant, { ...query, approverRole: roleName });
  return { ...page, items: page.items.filter((item) => !isSameParty(caller.actor, item.requestedBy)) };
}
