import { canonicalJson } from '../domain/canonical-json';
import type { RequestMarker, RequestMarkerWrite } from '../domain/idempotency';
import type { StoredEvent } from '../domain/session-event';
import type { ApprovalHeaderUpdate, PendingTool, RecordedResult, SessionHeader, TurnHeaderUpdate } from '../domain/session-header';
import type { ApprovalListing, SessionListing } from '../domain/session-lists';
import { APPROVAL_SK, approvalsListPk, eventSk, HEADER_SK, listSk, ownerListPk, requestSk, sessionOfPk, sessionPk } from '../domain/session-keys';
import { SESSION_TABLE_SCHEMA } from '../../../lib/contract/session-table';

/**
 * The mapping between domain objects and DynamoDB items. Fields are copied by
 * name in both directions, so a stray attribute never leaks into the domain
 * and a domain field never reaches the table unlisted.
 */

type Item = Record<string, unknown>;

const PK = SESSION_TABLE_SCHEMA.partitionKey.name;
const SK = SESSION_TABLE_SCHEMA.sortKey.name;
const TTL = SESSION_TABLE_SCHEMA.timeToLiveAttribute;
const GPK = SESSION_TABLE_SCHEMA.listIndex.partitionKey.name;
const GSK = SESSION_TABLE_SCHEMA.listIndex.sortKey.name;

export function headerKey(tenant: string, session: string): Item {
  return { [PK]: sessionPk(tenant, session), [SK]: HEADER_SK };
}

/**
 * A header carries its owner's list keys from its creation: neither the
 * owner nor `createdAt` ever changes, so no turn rewrites them.
 */
export function headerItem(tenant: string, session: string, header: SessionHeader): Item {
  const { expiresAt, ...rest } = header;
  return {
    ...headerKey(tenant, session),
    ...rest,
    [TTL]: expiresAt,
    [GPK]: ownerListPk(tenant, header.owner),
    [GSK]: listSk(header.createdAt, session),
  };
}

/** A header as its owner's list shows it, from the list index's projection. */
export function sessionListingFromItem(tenant: string, item: Item): SessionListing {
  return {
    sessionId: sessionOfPk(item[PK] as string, tenant),
    ...(item.agent === undefined ? {} : { agent: item.agent as string }),
    status: item.status as SessionListing['status'],
    lastSeq: item.lastSeq as number,
    tokens: item.tokens as SessionListing['tokens'],
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    expiresAt: item[TTL] as number,
  };
}

export function approvalKey(tenant: string, session: string): Item {
  return { [PK]: sessionPk(tenant, session), [SK]: APPROVAL_SK };
}

/**
 * The session's pending approval in the approvers' inbox, written by the
 * commit that leaves the session awaiting it and removed by the one that
 * ends the wait. It expires with the session's events.
 */
export function approvalItem(tenant: string, session: string, pending: PendingTool, requestedAt: string, expiresAt: number): Item {
  if (!pending.approval) throw new Error(`tool call ${pending.toolCallId} needs no approval; it has no inbox entry`);
  return {
    ...approvalKey(tenant, session),
    [GPK]: approvalsListPk(tenant),
    [GSK]: listSk(requestedAt, session),
    toolCallId: pending.toolCallId,
    tool: pending.tool,
    input: pending.input,
    requestedBy: pending.requestedBy,
    approverRoles: [...pending.approval.approverRoles],
    requestedAt,
    timeoutSeconds: pending.approval.timeoutSeconds,
    [TTL]: expiresAt,
  };
}

export function approvalListingFromItem(tenant: string, item: Item): ApprovalListing {
  return {
    sessionId: sessionOfPk(item[PK] as string, tenant),
    toolCallId: item.toolCallId as string,
    tool: item.tool as string,
    input: item.input as ApprovalListing['input'],
    requestedBy: item.requestedBy as string,
    approverRoles: item.approverRoles as string[],
    requestedAt: item.requestedAt as string,
    timeoutSeconds: item.timeoutSeconds as number,
  };
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
    // Absent on sessions created before agents.
    ...(item.agent === undefined ? {} : { agent: item.agent as string }),
    tokens: item.tokens as SessionHeader['tokens'],
    budget: item.budget as SessionHeader['budget'],
    recentRequests: item.recentRequests as SessionHeader['recentRequests'],
    status: item.status as SessionHeader['status'],
    ...(item.pendingTool === undefined ? {} : { pendingTool: pendingToolFromItem(item.pendingTool as Item) }),
    ...(item.activeTurn === undefined ? {} : { activeTurn: item.activeTurn as SessionHeader['activeTurn'] }),
    ...(item.clientCalls === undefined ? {} : { clientCalls: item.clientCalls as SessionHeader['clientCalls'] }),
    expiresAt: item[TTL] as number,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

function pendingToolFromItem(item: Item): PendingTool {
  const pending = {
    toolCallId: item.toolCallId as string,
    tool: item.tool as string,
    input: item.input as PendingTool['input'],
    callSeq: item.callSeq as number,
    requestId: item.requestId as string,
    requestedBy: item.requestedBy as string,
    approval: item.approval as PendingTool['approval'],
    executionName: item.executionName as string,
    taskToken: item.taskToken as string | undefined,
    decision: item.decision as PendingTool['decision'],
  };
  return Object.fromEntries(Object.entries(pending).filter(([, value]) => value !== undefined)) as unknown as PendingTool;
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
    agent: event.agent,
    agentVersion: event.agentVersion,
    delegationDepth: event.delegationDepth,
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
    agent: item.agent as string | undefined,
    agentVersion: item.agentVersion as string | undefined,
    delegationDepth: item.delegationDepth as number | undefined,
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

export function requestKey(tenant: string, session: string, requestId: string): Item {
  return { [PK]: sessionPk(tenant, session), [SK]: requestSk(requestId) };
}

/** A marker's answer (reply, tool calls, guardrail notices) as one canonical JSON text: inline, or in the payload store when large. */
export function markerAnswer(marker: RequestMarker): string {
  return canonicalJson({ reply: marker.reply, toolCalls: marker.toolCalls, guardrail: marker.guardrail });
}

export type StoredAnswer = { readonly answer: string } | { readonly answerRef: string };

/** A marker item carries the expiry of the events its commit writes, so TTL removes it with them. */
export function markerItem(tenant: string, session: string, marker: RequestMarker, answer: StoredAnswer, expiresAt: number): Item {
  return {
    ...requestKey(tenant, session, marker.requestId),
    requestId: marker.requestId,
    messageDigest: marker.messageDigest,
    turnSeq: marker.turn.turnSeq,
    result: marker.turn.result,
    ...(marker.progress ? { progress: marker.progress } : {}),
    ...answer,
    [TTL]: expiresAt,
  };
}

export function storedAnswerOf(item: Item): StoredAnswer {
  if (typeof item.answer === 'string') return { answer: item.answer };
  if (typeof item.answerRef === 'string') return { answerRef: item.answerRef };
  throw new Error(`request marker ${String(item[SK])} has neither answer nor answerRef`);
}

/** The marker from its item and its answer's text (resolved from the payload store if it was offloaded). */
export function markerFromItem(item: Item, answer: string): RequestMarker {
  const { reply, toolCalls, guardrail } = JSON.parse(answer) as Pick<RequestMarker, 'reply' | 'toolCalls' | 'guardrail'>;
  return {
    requestId: item.requestId as string,
    messageDigest: item.messageDigest as string,
    turn: { turnSeq: item.turnSeq as number, result: item.result as RecordedResult },
    reply,
    toolCalls,
    ...(guardrail ? { guardrail } : {}),
    ...(item.progress === undefined ? {} : { progress: item.progress as RequestMarker['progress'] }),
  };
}

/**
 * The marker half of a turn's transaction. A first commit puts it only if
 * absent, and a refusal returns the stored marker (ALL_OLD): a second attempt
 * of the request learns the first one's result without another read. The
 * commit that resumes a turn writes the whole marker, rebuilt from the turn's
 * events, whether or not one exists: a session that waited on a slow tool
 * when markers arrived has none, and its resume must still finish. The
 * header's version condition in the same transaction orders it.
 */
export function markerPut(tableName: string, item: Item, kind: RequestMarkerWrite['kind']) {
  return kind === 'first'
    ? {
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#sk)',
        ExpressionAttributeNames: { '#sk': SK },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      }
    : { TableName: tableName, Item: item };
}

/**
 * The header half of a turn's transaction: set the turn's fields and bump
 * `version`, only if the header is still at the version the turn read. A
 * field given as undefined (a resolved `pendingTool`) is removed.
 */
export function headerTurnUpdate(
  tableName: string,
  tenant: string,
  session: string,
  expectedVersion: number,
  update: TurnHeaderUpdate,
) {
  // `inbox` is the commit's instruction for the inbox item, not a header field.
  const { expiresAt, inbox: _inbox, ...fields } = update;
  const entries = Object.entries({ ...fields, [TTL]: expiresAt });
  const assignments = entries.filter(([, value]) => value !== undefined);
  const removals = entries.filter(([, value]) => value === undefined).map(([field]) => field);
  return {
    TableName: tableName,
    Key: headerKey(tenant, session),
    UpdateExpression:
      `SET #version = #version + :one, ${assignments.map((_, i) => `#f${i} = :f${i}`).join(', ')}` +
      (removals.length > 0 ? ` REMOVE ${removals.map((_, i) => `#r${i}`).join(', ')}` : ''),
    ConditionExpression: '#version = :seen',
    ExpressionAttributeNames: {
      ...Object.fromEntries(assignments.map(([field], i) => [`#f${i}`, field])),
      ...Object.fromEntries(removals.map((field, i) => [`#r${i}`, field])),
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

/**
 * The header half of an approval's transaction: store the decision on the
 * pending call, move the chain's end and bump `version`, only if the header
 * is still at the version read and the call is pending and undecided.
 */
export function headerApprovalUpdate(
  tableName: string,
  tenant: string,
  session: string,
  expectedVersion: number,
  update: ApprovalHeaderUpdate,
) {
  return {
    TableName: tableName,
    Key: headerKey(tenant, session),
    UpdateExpression:
      'SET #version = #version + :one, #pending.#decision = :decision, #lastSeq = :lastSeq, #lastHash = :lastHash, #updatedAt = :updatedAt, #ttl = :ttl',
    ConditionExpression: '#version = :seen AND #pending.#toolCallId = :toolCallId AND attribute_not_exists(#pending.#decision)',
    ExpressionAttributeNames: {
      '#version': 'version',
      '#pending': 'pendingTool',
      '#decision': 'decision',
      '#toolCallId': 'toolCallId',
      '#lastSeq': 'lastSeq',
      '#lastHash': 'lastHash',
      '#updatedAt': 'updatedAt',
      '#ttl': TTL,
    },
    ExpressionAttributeValues: {
      ':one': 1,
      ':seen': expectedVersion,
      ':decision': update.decision,
      ':toolCallId': update.toolCallId,
      ':lastSeq': update.lastSeq,
      ':lastHash': update.lastHash,
      ':updatedAt': update.updatedAt,
      ':ttl': update.expiresAt,
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

/**
 * The approval-wait task's write: the task token on the pending call, only
 * while the session awaits approval of that call. `version` is untouched, so
 * no turn or decision in flight is disturbed by it.
 */
export function taskTokenUpdate(tableName: string, tenant: string, session: string, toolCallId: string, taskToken: string) {
  return {
    TableName: tableName,
    Key: headerKey(tenant, session),
    UpdateExpression: 'SET #pending.#token = :token',
    ConditionExpression: 'attribute_exists(#pk) AND #status = :awaiting AND #pending.#toolCallId = :toolCallId',
    ExpressionAttributeNames: {
      '#pk': PK,
      '#status': 'status',
      '#pending': 'pendingTool',
      '#token': 'taskToken',
      '#toolCallId': 'toolCallId',
    },
    ExpressionAttributeValues: { ':token': taskToken, ':awaiting': 'awaiting_approval', ':toolCallId': toolCallId },
  };
}
