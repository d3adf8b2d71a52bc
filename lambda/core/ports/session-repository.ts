import type { RequestMarker, RequestMarkerWrite } from '../domain/idempotency';
import type { SessionEvent, StoredEvent } from '../domain/session-event';
import type { ApprovalHeaderUpdate, SessionHeader, TurnHeaderUpdate } from '../domain/session-header';
import type { ApprovalListing, ApprovalListQuery, ListPage, SessionListing, SessionListQuery } from '../domain/session-lists';

export interface LoadedSession<E extends StoredEvent = StoredEvent> {
  readonly header: SessionHeader;
  /** The newest events, newest first. */
  readonly events: readonly E[];
}

export interface ReadEventsOptions {
  /** Cursor: return events with seq greater than this. Default 0 (from the start). */
  readonly afterSeq?: number;
  /** Default 100. */
  readonly limit?: number;
  readonly resolvePayloads?: boolean;
}

export interface EventPage<E extends StoredEvent = StoredEvent> {
  /** Ascending by seq. */
  readonly events: readonly E[];
  /** Pass as `afterSeq` for the next page; absent on the last page. */
  readonly nextAfterSeq?: number;
}

/**
 * Session persistence. Every method validates tenant and session ids and
 * throws the domain's typed errors: SessionNotFoundError, SessionExistsError,
 * SessionBusyError.
 */
export interface SessionRepository {
  /** Stores a new header; throws SessionExistsError if the session exists. */
  create(tenant: string, session: string, header: SessionHeader): Promise<void>;

  /** The header and the newest `k` events in one read. `resolvePayloads` fetches offloaded content. */
  load(tenant: string, session: string, k: number, options: { resolvePayloads: true }): Promise<LoadedSession<SessionEvent>>;
  load(tenant: string, session: string, k: number, options?: { resolvePayloads?: false }): Promise<LoadedSession>;

  /**
   * Appends events, writes the request's marker (when given) and updates the
   * header in one atomic write, only if the header is still at
   * `expectedVersion`. Returns the new version. Throws SessionBusyError when
   * another writer got there first, and RequestRecordedError (carrying the
   * stored marker) when a `first` marker exists already: an earlier attempt
   * of the same request committed, whatever else changed since. The same
   * write adds the session's approval to the approvers' inbox, or removes
   * it, as `headerUpdate.inbox` says.
   */
  commitTurn(
    tenant: string,
    session: string,
    expectedVersion: number,
    newEvents: readonly SessionEvent[],
    headerUpdate: TurnHeaderUpdate,
    request?: RequestMarkerWrite,
  ): Promise<number>;

  /** The request's marker, or undefined when the session recorded no such request; one strongly consistent read. */
  readRequestMarker(tenant: string, session: string, requestId: string): Promise<RequestMarker | undefined>;

  /**
   * Appends an approval event and stores the decision on the pending tool
   * call in one atomic write, only if the header is still at
   * `expectedVersion` and the call is pending and undecided; the same write
   * takes the approval out of the approvers' inbox. Returns the new
   * version; throws SessionBusyError when another writer got there first.
   */
  commitApproval(
    tenant: string,
    session: string,
    expectedVersion: number,
    event: SessionEvent,
    update: ApprovalHeaderUpdate,
  ): Promise<number>;

  readEvents(tenant: string, session: string, options: ReadEventsOptions & { resolvePayloads: true }): Promise<EventPage<SessionEvent>>;
  readEvents(tenant: string, session: string, options?: ReadEventsOptions): Promise<EventPage>;

  /** A page of the owner's sessions, newest first (one Query of the list index). Throws ValidationError for a cursor of another list. */
  listSessions(tenant: string, owner: string, query: SessionListQuery): Promise<ListPage<SessionListing>>;

  /** A page of the tenant's pending approvals that `query.approverRole` may decide, oldest first (one Query of the list index). */
  listApprovals(tenant: string, query: ApprovalListQuery): Promise<ListPage<ApprovalListing>>;

  /** Removes the session, its events, its request markers and its payloads; returns how many items were removed. */
  delete(tenant: string, session: string): Promise<number>;

  /**
   * Stores a summary of events 1..`summaryUpToSeq` on the header, only if it
   * covers more than the stored one and the session still exists. Never
   * changes `version`, so a turn in flight still commits. Returns false when
   * the write was refused (a newer summary is stored, or the session is gone).
   */
  updateSummary(tenant: string, session: string, summary: string, summaryUpToSeq: number): Promise<boolean>;
}
