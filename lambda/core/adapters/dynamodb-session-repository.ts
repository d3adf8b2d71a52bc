import { DEFAULT_SESSION_LIMITS, SESSION_LIMIT_BOUNDS } from '../../../lib/contract/session-limits';
import { createHash, randomUUID } from 'node:crypto';
import type { CancellationReason, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { RequestRecordedError, SessionBusyError, SessionExistsError, SessionNotFoundError, ValidationError } from '../domain/errors';
import type { RequestMarker, RequestMarkerWrite } from '../domain/idempotency';
import { isResolved, type SessionEvent, type StoredEvent } from '../domain/session-event';
import type { ApprovalHeaderUpdate, SessionHeader, TurnHeaderUpdate } from '../domain/session-header';
import {
  approvalsListPk,
  eventPayloadKey,
  eventSk,
  ownerListPk,
  HEADER_SK,
  MAX_SEQ,
  requestPayloadKey,
  sessionPayloadPrefix,
  sessionPk,
} from '../domain/session-keys';
import type { ApprovalListing, ApprovalListQuery, ListPage, SessionListing, SessionListQuery } from '../domain/session-lists';
import type { PayloadStore } from '../ports/payload-store';
import { decodeListCursor, encodeListCursor } from './list-cursor';
import type {
  EventPage,
  LoadedSession,
  ReadEventsOptions,
  SessionRepository,
} from '../ports/session-repository';
import { deleteAllKeys } from './dynamodb-batch-delete';
import {
  approvalItem,
  approvalKey,
  approvalListingFromItem,
  sessionListingFromItem,
  eventFromItem,
  eventItem,
  headerApprovalUpdate,
  headerFromItem,
  headerItem,
  headerKey,
  headerTurnUpdate,
  isHeaderItem,
  markerAnswer,
  markerFromItem,
  markerItem,
  markerPut,
  newEventPut,
  requestKey,
  storedAnswerOf,
  type StoredAnswer,
} from './session-items';
import { SESSION_TABLE_SCHEMA } from '../../../lib/contract/session-table';

/** Content above this many UTF-8 bytes goes to the payload store. */
export const DEFAULT_PAYLOAD_THRESHOLD_BYTES = DEFAULT_SESSION_LIMITS.inlineThresholdBytes;
/** Keeps an event item far below DynamoDB's 400 KB item limit and a turn's writes below the 4 MB transaction limit. */
export const MAX_PAYLOAD_THRESHOLD_BYTES = SESSION_LIMIT_BOUNDS.inlineThresholdBytes.max;
const DEFAULT_PAGE_SIZE = 100;

export interface DynamoDbSessionRepositoryProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly payloads: PayloadStore;
  /** @default DEFAULT_PAYLOAD_THRESHOLD_BYTES (64 KiB) */
  readonly payloadThresholdBytes?: number;
}

const PK = SESSION_TABLE_SCHEMA.partitionKey.name;
const SK = SESSION_TABLE_SCHEMA.sortKey.name;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Sessions in one DynamoDB table, an item per event and a marker per
 * request. A turn costs two round trips whatever the session's length: one
 * Query and one TransactWriteItems.
 */
export class DynamoDbSessionRepository implements SessionRepository {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly payloads: PayloadStore;
  private readonly payloadThresholdBytes: number;

  constructor(props: DynamoDbSessionRepositoryProps) {
    const threshold = props.payloadThresholdBytes ?? DEFAULT_PAYLOAD_THRESHOLD_BYTES;
    if (!Number.isSafeInteger(threshold) || threshold < 0 || threshold > MAX_PAYLOAD_THRESHOLD_BYTES) {
      throw new RangeError(
        `payloadThresholdBytes is ${threshold}; use an integer from 0 to ${MAX_PAYLOAD_THRESHOLD_BYTES} ` +
          '(larger content goes to the payload store anyway)',
      );
    }
    // Shares the client's middleware stack, so counters attached to `client` see these calls.
    this.documents = DynamoDBDocumentClient.from(props.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = props.tableName;
    this.payloads = props.payloads;
    this.payloadThresholdBytes = threshold;
  }

  async create(tenant: string, session: string, header: SessionHeader): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: headerItem(tenant, session, header),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') {
        throw new SessionExistsError(tenant, session);
      }
      throw error;
    }
  }

  load(tenant: string, session: string, k: number, options: { resolvePayloads: true }): Promise<LoadedSession<SessionEvent>>;
  load(tenant: string, session: string, k: number, options?: { resolvePayloads?: false }): Promise<LoadedSession>;
  async load(
    tenant: string,
    session: string,
    k: number,
    options?: { resolvePayloads?: boolean },
  ): Promise<LoadedSession> {
    if (!Number.isSafeInteger(k) || k < 0) throw new ValidationError('k', `${k} is not a non-negative integer`);
    // The header sorts after every event, so descending order yields it first, then the newest k events.
    // The range starts at the events: request markers sort below them, and a session with fewer than k
    // events would otherwise fill the page's rest with markers.
    // Strongly consistent: a retry right after a commit must see its recorded request.
    const { Items = [] } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :firstEvent AND :header',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': sessionPk(tenant, session), ':firstEvent': eventSk(0), ':header': HEADER_SK },
        ScanIndexForward: false,
        Limit: k + 1,
        ConsistentRead: true,
      }),
    );
    const [first, ...rest] = Items;
    if (!first || !isHeaderItem(first)) throw new SessionNotFoundError(tenant, session);
    const events = rest.map(eventFromItem);
    return {
      header: headerFromItem(first),
      events: options?.resolvePayloads ? await this.resolveAll(events) : events,
    };
  }

  async commitTurn(
    tenant: string,
    session: string,
    expectedVersion: number,
    newEvents: readonly SessionEvent[],
    headerUpdate: TurnHeaderUpdate,
    request?: RequestMarkerWrite,
  ): Promise<number> {
    return this.commit(
      tenant,
      session,
      expectedVersion,
      newEvents,
      headerUpdate.expiresAt,
      { Update: headerTurnUpdate(this.tableName, tenant, session, expectedVersion, headerUpdate) },
      request,
      this.inboxAction(tenant, session, headerUpdate),
    );
  }

  /** The inbox half of a commit (TurnHeaderUpdate.inbox): put the new pending approval, or delete the ended one. */
  private inboxAction(tenant: string, session: string, update: TurnHeaderUpdate): TransactItem | undefined {
    if (update.inbox === 'add') {
      if (!update.pendingTool) throw new Error('a commit that adds an approval to the inbox must leave a pending call');
      return { Put: { TableName: this.tableName, Item: approvalItem(tenant, session, update.pendingTool, update.updatedAt, update.expiresAt) } };
    }
    if (update.inbox === 'remove') return { Delete: { TableName: this.tableName, Key: approvalKey(tenant, session) } };
    return undefined;
  }

  async readRequestMarker(tenant: string, session: string, requestId: string): Promise<RequestMarker | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: requestKey(tenant, session, requestId), ConsistentRead: true }),
    );
    return Item ? this.markerOf(Item) : undefined;
  }

  async commitApproval(
    tenant: string,
    session: string,
    expectedVersion: number,
    event: SessionEvent,
    update: ApprovalHeaderUpdate,
  ): Promise<number> {
    return this.commit(
      tenant,
      session,
      expectedVersion,
      [event],
      update.expiresAt,
      { Update: headerApprovalUpdate(this.tableName, tenant, session, expectedVersion, update) },
      undefined,
      // Decided: no approver needs to see it any more.
      { Delete: { TableName: this.tableName, Key: approvalKey(tenant, session) } },
    );
  }

  async listSessions(tenant: string, owner: string, query: SessionListQuery): Promise<ListPage<SessionListing>> {
    const filters: Record<string, { name: string; value: unknown }> = {
      ...(query.agent === undefined ? {} : { agent: { name: 'agent', value: query.agent } }),
      ...(query.status === undefined ? {} : { status: { name: 'status', value: query.status } }),
    };
    const page = await this.queryList(ownerListPk(tenant, owner), query, false, filters);
    return { items: page.items.map((item) => sessionListingFromItem(tenant, item)), ...page.next };
  }

  async listApprovals(tenant: string, query: ApprovalListQuery): Promise<ListPage<ApprovalListing>> {
    const page = await this.queryList(approvalsListPk(tenant), query, true, {}, { role: query.approverRole });
    return { items: page.items.map((item) => approvalListingFromItem(tenant, item)), ...page.next };
  }

  /**
   * One Query of the list index under `listPk`: live items only (TTL not
   * yet swept counts as gone), `equal` fields matched, and, for the inbox,
   * only entries whose approver roles hold `role`.
   */
  private async queryList(
    listPk: string,
    query: { readonly limit: number; readonly cursor?: string; readonly now: Date },
    oldestFirst: boolean,
    equal: Record<string, { name: string; value: unknown }>,
    inbox?: { readonly role: string },
  ): Promise<{ items: Record<string, unknown>[]; next: { cursor?: string } }> {
    const { listIndex, timeToLiveAttribute } = SESSION_TABLE_SCHEMA;
    const conditions = ['#ttl > :now', ...Object.keys(equal).map((key) => `#${key} = :${key}`), ...(inbox ? ['contains(#roles, :role)'] : [])];
    const { Items = [], LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: listIndex.name,
        KeyConditionExpression: '#gpk = :gpk',
        FilterExpression: conditions.join(' AND '),
        ExpressionAttributeNames: {
          '#gpk': listIndex.partitionKey.name,
          '#ttl': timeToLiveAttribute,
          ...Object.fromEntries(Object.entries(equal).map(([key, { name }]) => [`#${key}`, name])),
          ...(inbox ? { '#roles': 'approverRoles' } : {}),
        },
        ExpressionAttributeValues: {
          ':gpk': listPk,
          ':now': Math.floor(query.now.getTime() / 1000),
          ...Object.fromEntries(Object.entries(equal).map(([key, { value }]) => [`:${key}`, value])),
          ...(inbox ? { ':role': inbox.role } : {}),
        },
        ScanIndexForward: oldestFirst,
        Limit: query.limit,
        ...(query.cursor === undefined ? {} : { ExclusiveStartKey: decodeListCursor(query.cursor, listPk) }),
      }),
    );
    return { items: Items, next: LastEvaluatedKey ? { cursor: encodeListCursor(LastEvaluatedKey) } : {} };
  }

  /**
   * One TransactWriteItems: a Put per new event, the inbox entry's put or
   * delete (when given), the request's marker (when given), then the
   * header's conditional update (always the last action).
   */
  private async commit(
    tenant: string,
    session: string,
    expectedVersion: number,
    newEvents: readonly SessionEvent[],
    expiresAt: number,
    headerAction: TransactItem,
    request?: RequestMarkerWrite,
    inboxAction?: TransactItem,
  ): Promise<number> {
    // Payloads first: once the transaction commits, every s3Ref it wrote must resolve.
    const eventItems = await Promise.all(
      newEvents.map(async (event) => eventItem(tenant, session, await this.offload(tenant, session, event), expiresAt)),
    );
    const markerAction: TransactItem[] = request
      ? [
          {
            Put: markerPut(
              this.tableName,
              markerItem(tenant, session, request.marker, await this.offloadAnswer(tenant, session, request.marker), expiresAt),
              request.kind,
            ),
          },
        ]
      : [];
    try {
      await this.documents.send(
        new TransactWriteCommand({
          // Constant across the SDK's own retries, so a retried commit that already landed is not reported as busy.
          ClientRequestToken: randomUUID(),
          // The marker and the header stay the last two actions: commitFailure reads their reasons by position.
          TransactItems: [
            ...eventItems.map((item) => ({ Put: newEventPut(this.tableName, item) })),
            ...(inboxAction ? [inboxAction] : []),
            ...markerAction,
            headerAction,
          ],
        }),
      );
    } catch (error) {
      throw await this.commitFailure(error, tenant, session, expectedVersion, request);
    }
    return expectedVersion + 1;
  }

  readEvents(
    tenant: string,
    session: string,
    options: ReadEventsOptions & { resolvePayloads: true },
  ): Promise<EventPage<SessionEvent>>;
  readEvents(tenant: string, session: string, options?: ReadEventsOptions): Promise<EventPage>;
  async readEvents(tenant: string, session: string, options: ReadEventsOptions = {}): Promise<EventPage> {
    const afterSeq = options.afterSeq ?? 0;
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError('limit', `${limit} is not a positive integer`);
    const { Items = [], LastEvaluatedKey } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: {
          ':pk': sessionPk(tenant, session),
          ':from': eventSk(afterSeq + 1),
          ':to': eventSk(MAX_SEQ),
        },
        ScanIndexForward: true,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    const stored = Items.map(eventFromItem);
    const events = options.resolvePayloads ? await this.resolveAll(stored) : stored;
    const last = events[events.length - 1];
    return LastEvaluatedKey && last ? { events, nextAfterSeq: last.seq } : { events };
  }

  async delete(tenant: string, session: string): Promise<number> {
    // The header goes first, so readers and writers see the session as gone at once.
    const { Attributes } = await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: headerKey(tenant, session), ReturnValues: 'ALL_OLD' }),
    );
    // Then every other item under the session's key: events and request markers alike.
    const items = await deleteAllKeys(this.documents, this.tableName, sessionPk(tenant, session));
    if (!Attributes && items === 0) throw new SessionNotFoundError(tenant, session);
    await this.payloads.deletePrefix(sessionPayloadPrefix(tenant, session));
    return items + (Attributes ? 1 : 0);
  }

  async updateSummary(tenant: string, session: string, summary: string, summaryUpToSeq: number): Promise<boolean> {
    if (!Number.isSafeInteger(summaryUpToSeq) || summaryUpToSeq < 1 || summaryUpToSeq > MAX_SEQ) {
      throw new ValidationError('summaryUpToSeq', `${summaryUpToSeq} is not an integer between 1 and ${MAX_SEQ}`);
    }
    try {
      // One UpdateItem that leaves `version` alone: the turn's optimistic check never sees the summarizer.
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: headerKey(tenant, session),
          UpdateExpression: 'SET #summary = :summary, #upTo = :upTo',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#upTo) OR #upTo < :upTo)',
          ExpressionAttributeNames: { '#pk': PK, '#summary': 'summary', '#upTo': 'summaryUpToSeq' },
          ExpressionAttributeValues: { ':summary': summary, ':upTo': summaryUpToSeq },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async offload(tenant: string, session: string, event: SessionEvent): Promise<StoredEvent> {
    if (Buffer.byteLength(event.content, 'utf8') <= this.payloadThresholdBytes) return event;
    const key = eventPayloadKey(tenant, session, event.seq, event.hash);
    await this.payloads.put(key, event.content);
    const { content: _offloaded, ...rest } = event;
    return { ...rest, s3Ref: key };
  }

  /** A marker's answer goes to the payload store when it is larger than an event's content may be inline. */
  private async offloadAnswer(tenant: string, session: string, marker: RequestMarker): Promise<StoredAnswer> {
    const answer = markerAnswer(marker);
    if (Buffer.byteLength(answer, 'utf8') <= this.payloadThresholdBytes) return { answer };
    const digest = createHash('sha256').update(answer, 'utf8').digest('hex');
    const key = requestPayloadKey(tenant, session, marker.requestId, digest);
    await this.payloads.put(key, answer);
    return { answerRef: key };
  }

  private async markerOf(item: Record<string, unknown>): Promise<RequestMarker> {
    const stored = storedAnswerOf(item);
    return markerFromItem(item, 'answer' in stored ? stored.answer : await this.payloads.get(stored.answerRef));
  }

  private resolveAll(events: readonly StoredEvent[]): Promise<SessionEvent[]> {
    return Promise.all(events.map((event) => this.resolve(event)));
  }

  private async resolve(event: StoredEvent): Promise<SessionEvent> {
    if (isResolved(event)) return event;
    if (event.s3Ref === undefined) throw new Error(`event ${event.seq} has neither content nor s3Ref`);
    return { ...event, content: await this.payloads.get(event.s3Ref) };
  }

  /**
   * What a cancelled commit means. CancellationReasons has one entry per
   * action, in the order of TransactItems (DynamoDB API Reference,
   * TransactWriteItems); the header is the last action, the marker the one
   * before it.
   */
  private async commitFailure(
    error: unknown,
    tenant: string,
    session: string,
    expectedVersion: number,
    request: RequestMarkerWrite | undefined,
  ): Promise<unknown> {
    if (errorName(error) !== 'TransactionCanceledException') return error;
    const reasons: CancellationReason[] = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    const header = reasons[reasons.length - 1];
    const marker = request ? reasons[reasons.length - 2] : undefined;
    // First: an earlier attempt of this request committed. Its stored marker is the answer, whether or
    // not the header moved on since; never SessionBusy, which would send the client to retry forever.
    if (request?.kind === 'first' && marker?.Code === 'ConditionalCheckFailed' && marker.Item) {
      return new RequestRecordedError(await this.markerOf(unmarshall(marker.Item as Parameters<typeof unmarshall>[0])), { cause: error });
    }
    if (header?.Code === 'ConditionalCheckFailed') {
      if (!header.Item) return new SessionNotFoundError(tenant, session);
      return new SessionBusyError(expectedVersion, Number(header.Item.version?.N), { cause: error });
    }
    // Another transaction held the header at the same moment (real DynamoDB; moto serializes).
    if (reasons.some((reason) => reason.Code === 'TransactionConflict')) {
      return new SessionBusyError(expectedVersion, undefined, { cause: error });
    }
    return error;
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
