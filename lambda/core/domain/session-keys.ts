import { sessionPartitionKey } from '../../../lib/contract/session-table';
import { ValidationError } from './errors';

/**
 * Keys of the one-table session model. Every item of a session shares
 * `pk = T#{tenant}#S#{session}`; the header sorts last (`~` > `E`), so one
 * descending Query returns the header and then the newest events.
 */

export const HEADER_SK = '~HEAD';
export const EVENT_SK_PREFIX = 'E#';
/**
 * Request markers (one per request, kept as long as its turn's events). `#`
 * (0x23) sorts below `E` (0x45): sort keys compare as UTF-8 bytes, so every
 * marker sorts before every event and the descending Query that reads the
 * header and the newest events never reaches one. A prefix above `E#` (such
 * as `R`) would sort between the events and `~HEAD` and fill that Query's
 * page with markers. Kept out of `E#` too, so the summarizer's stream filter
 * (prefix `E#`) never wakes for one.
 */
export const REQUEST_SK_PREFIX = '#REQ#';
/**
 * The session's pending approval as an inbox entry (at most one: a session
 * waits on one call at a time). Like the markers it sorts below every event,
 * so neither the turn's Query nor the summarizer's stream filter sees it; it
 * shares the session's key, so deleting the session deletes it.
 */
export const APPROVAL_SK = '#APPROVAL';

const SEQ_DIGITS = 10;
/** The largest sequence number that still sorts correctly in a 10-digit key. */
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/**
 * Ids become parts of DynamoDB keys and S3 object keys, so they exclude the
 * separators both use (`#`, `/`) and anything that would need escaping.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const MAX_TENANT_ID_LENGTH = 64;
export const MAX_SESSION_ID_LENGTH = 128;

function assertId(field: string, value: unknown, maxLength: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, 'is required');
  }
  if (value.length > maxLength) {
    throw new ValidationError(field, `is ${value.length} characters; the limit is ${maxLength}`);
  }
  if (!ID_PATTERN.test(value)) {
    throw new ValidationError(
      field,
      `"${value}" may hold only letters, digits, '.', '_', ':' and '-', and must start with a letter or digit`,
    );
  }
}

export function assertTenantId(value: unknown): asserts value is string {
  assertId('tenant', value, MAX_TENANT_ID_LENGTH);
}

export function assertSessionId(value: unknown): asserts value is string {
  assertId('session', value, MAX_SESSION_ID_LENGTH);
}

export function sessionPk(tenant: string, session: string): string {
  assertTenantId(tenant);
  assertSessionId(session);
  return sessionPartitionKey(tenant, session);
}

function assertSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new ValidationError('seq', `${seq} is not an integer between 0 and ${MAX_SEQ}`);
  }
}

/** Zero-padded so that string order of sort keys equals numeric order of seqs. */
export function eventSk(seq: number): string {
  assertSeq(seq);
  return `${EVENT_SK_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** Request ids become parts of marker keys and payload keys: the same safe charset as other ids, at most 128 characters. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function assertRequestId(value: string): void {
  if (!REQUEST_ID_PATTERN.test(value)) {
    throw new ValidationError(
      'requestId',
      `"${value}" must be 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  }
}

/** The request marker's sort key. Request ids exclude `#`, so the key is unambiguous. */
export function requestSk(requestId: string): string {
  assertRequestId(requestId);
  return `${REQUEST_SK_PREFIX}${requestId}`;
}

/** Where a session's large payloads live in the payload store; ids exclude '/', so prefixes never overlap. */
export function sessionPayloadPrefix(tenant: string, session: string): string {
  assertTenantId(tenant);
  assertSessionId(session);
  return `${tenant}/${session}/`;
}

/** A request marker's large answer; the digest in the key keeps a losing attempt's answer from overwriting the winner's. */
export function requestPayloadKey(tenant: string, session: string, requestId: string, digest: string): string {
  assertRequestId(requestId);
  // Event payload keys start with a digit, so `request-` keeps the two kinds apart.
  return `${sessionPayloadPrefix(tenant, session)}request-${requestId}-${digest}`;
}

/** The hash in the key keeps a losing writer's payload from overwriting the winner's at the same seq. */
export function eventPayloadKey(tenant: string, session: string, seq: number, hash: string): string {
  return `${sessionPayloadPrefix(tenant, session)}${eventSk(seq).slice(EVENT_SK_PREFIX.length)}-${hash}`;
}

/**
 * Keys of the list index (lib/contract/session-table.ts, listIndex). A
 * header is listed under its tenant and owner, newest first by creation
 * time; the session id in the sort key makes each position unique. A pending
 * approval is listed under its tenant, oldest first (the longest wait first).
 */
export function ownerListPk(tenant: string, owner: string): string {
  assertTenantId(tenant);
  if (owner.length === 0) throw new ValidationError('owner', 'is required');
  return `T#${tenant}#OWNER#${owner}`;
}

export function approvalsListPk(tenant: string): string {
  assertTenantId(tenant);
  return `T#${tenant}#APPROVALS`;
}

/** `createdAt` and `requestedAt` are ISO-8601 UTC, so string order is time order. */
export function listSk(time: string, session: string): string {
  assertSessionId(session);
  return `${time}#${session}`;
}

/** The session id of a `T#{tenant}#S#{session}` key (a list entry's table key). */
export function sessionOfPk(pk: string, tenant: string): string {
  const prefix = `T#${tenant}#S#`;
  if (!pk.startsWith(prefix)) throw new Error(`key ${pk} is not a session of tenant ${tenant}`);
  return pk.slice(prefix.length);
}
