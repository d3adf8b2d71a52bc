import type { StoredEvent } from '../domain/session-event';
import type { SessionHeader, TurnHeaderUpdate } from '../domain/session-header';
import { eventSk, HEADER_SK, sessionPk } from '../domain/session-keys';
import { SESSION_TABLE_SCHEMA } from './session-table-schema';

/**
 * The mapping between domain objects and DynamoDB items. Fields are copied by
 * name in both directions, so a stray attribute never leaks into the domain
 * and a domain field never reaches the table unlisted.
 */

type Item = Record<string, unknown>;

const PK = SESSION_TABLE_SCHEMA.partitionKey.name;
const SK = SESSION_TABLE_SCHEMA.sortKey.name;
const TTL = SESSION_TABLE_SCHEMA.timeToLiveAttribute;

export function headerKey(tenant: string, session: string): Item {
  return { [PK]: sessionPk(tenant, session), [SK]: HEADER_SK };
}

export function headerItem(tenant: string, session: string, header: SessionHeader): Item {
  const { expiresAt, ...rest } = header;
  return { ...headerKey(tenant, session), ...rest, [TTL]: expiresAt };
}

export function isHeaderItem(item: Item): boolean {
  return item[SK] === HEADER_SK;
}

export function headerFromItem(item: Item): SessionHeader {
  return {
    version: item.version as number,
    lastSeq: item.lastSeq as number,
    lastHash: item.lastHash as string,
    summary: item.summary as string,
    summaryUpToSeq: item.summaryUpToSeq as number,
    owner: item.owner as string,
    tokens: item.tokens as SessionHeader['tokens'],
    budget: item.budget as SessionHeader['budget'],
    recentRequests: item.recentRequests as SessionHeader['recentRequests'],
    status: item.status as SessionHeader['status'],
    expiresAt: item[TTL] as number,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/** An event item carries the session's expiry too, so TTL removes events with their header. */
export function eventItem(tenant: string, session: string, event: StoredEvent, expiresAt: number): Item {
  return {
    [PK]: sessionPk(tenant, session),
    [SK]: eventSk(event.seq),
    seq: event.seq,
    type: event.type,
    content: event.content,
    s3Ref: event.s3Ref,
    tokens: event.tokens,
    actor: event.actor,
    time: event.time,
    toolCallId: event.toolCallId,
    toolName: event.toolName,
    prevHash: event.prevHash,
    hash: event.hash,
    [TTL]: expiresAt,
  };
}

export function eventFromItem(item: Item): StoredEvent {
  const event = {
    seq: item.seq as number,
    type: item.type as StoredEvent['type'],
    content: item.content as string | undefined,
    s3Ref: item.s3Ref as string | undefined,
    tokens: item.tokens as number,
    actor: item.actor as string,
    time: item.time as string,
    toolCallId: item.toolCallId as string | undefined,
    toolName: item.toolName as string | undefined,
    prevHash: item.prevHash as string,
    hash: item.hash as string,
  };
  // Absent attributes stay absent, as they were before the round trip.
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as StoredEvent;
}

/** An event is written once: a second writer at the same seq fails instead of overwriting it. */
export function newEventPut(tableName: string, item: Item) {
  return {
    TableName: tableName,
    Item: item,
    ConditionExpression: 'attribute_not_exists(#sk)',
    ExpressionAttributeNames: { '#sk': SK },
  };
}

/**
 * The header half of a turn's transaction: set the turn's fields and bump
 * `version`, only if the header is still at the version the turn read.
 */
export function headerTurnUpdate(
  tableName: string,
  tenant: string,
  session: string,
  expectedVersion: number,
  update: TurnHeaderUpdate,
) {
  const { expiresAt, ...fields } = update;
  const assignments = Object.entries({ ...fields, [TTL]: expiresAt });
  return {
    TableName: tableName,
    Key: headerKey(tenant, session),
    UpdateExpression: `SET #version = #version + :one, ${assignments.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
    ConditionExpression: '#version = :seen',
    ExpressionAttributeNames: {
      ...Object.fromEntries(assignments.map(([field], i) => [`#f${i}`, field])),
      '#version': 'version',
    },
    ExpressionAttributeValues: {
      ...Object.fromEntries(assignments.map(([, value], i) => [`:f${i}`, value])),
      ':one': 1,
      ':seen': expectedVersion,
    },
    // The loser learns the winner's version without another read.
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}
