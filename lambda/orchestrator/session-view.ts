import type { SessionEvent } from '../core/domain/session-event';
import type { SessionHeader } from '../core/domain/session-header';

/**
 * What the API shows of a session: allowlists, so a field added to the header
 * or the event later stays internal until it is listed here. The header's
 * bookkeeping (recent request ids, the chain's last hash) and the events'
 * hashes and storage references are not shown: clients retry by requestId and
 * check the chain through the verify route.
 */
const SESSION_FIELDS = ['status', 'version', 'lastSeq', 'owner', 'summary', 'summaryUpToSeq', 'tokens', 'budget', 'createdAt', 'updatedAt'] as const;
const EVENT_FIELDS = ['seq', 'type', 'content', 'tokens', 'actor', 'time', 'toolCallId', 'toolName'] as const;

export type SessionView = Pick<SessionHeader, (typeof SESSION_FIELDS)[number]> & {
  readonly sessionId: string;
  /** ISO-8601, where the header keeps epoch seconds for DynamoDB TTL. */
  readonly expiresAt: string;
};

export type EventView = Pick<SessionEvent, (typeof EVENT_FIELDS)[number]>;

function pick<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  // Absent optional fields stay absent rather than showing as null.
  return Object.fromEntries(fields.filter((field) => source[field] !== undefined).map((field) => [field, source[field]])) as Pick<T, K>;
}

export function sessionView(sessionId: string, header: SessionHeader): SessionView {
  return { sessionId, ...pick(header, SESSION_FIELDS), expiresAt: new Date(header.expiresAt * 1000).toISOString() };
}

export function eventView(event: SessionEvent): EventView {
  return pick(event, EVENT_FIELDS);
}
