import { BatchWriteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { eventItem, headerItem, markerAnswer, markerItem } from '../../lambda/core/adapters/session-items';
import { requestMarkerFor } from '../../lambda/core/domain/idempotency';
import type { SessionEvent } from '../../lambda/core/domain/session-event';
import type { SessionHeader } from '../../lambda/core/domain/session-header';
import { planTurn, userEventFor } from '../../lambda/core/domain/turn-plan';
import type { ModelReply } from '../../lambda/core/ports/model-backend';
import { DEFAULT_SESSION_LIMITS } from '../../lib/contract/session-limits';

export interface SeededTurns {
  /** The session's header after the seeded turns, as stored. */
  readonly header: SessionHeader;
  readonly events: readonly SessionEvent[];
}

/**
 * `turns` more turns of a session, built by the domain's own turn planner
 * from `header` on (the same events, hashes, request markers and header a
 * real run writes: planTurn, requestMarkerFor), stored with BatchWriteItem
 * and one PutItem of the header. For tests and benchmarks that need a long
 * session BEFORE what they measure: through real turns, moto's
 * transactions (which deep-copy the table for every item they write) make
 * seeding O(n^2). What is measured afterwards takes the real path.
 */
export async function seedTurns(
  client: DynamoDBClient,
  table: string,
  ids: { readonly tenant: string; readonly session: string },
  from: SessionHeader,
  turns: number,
  turn: (index: number) => { readonly requestId: string; readonly actor: string; readonly message: string; readonly reply: ModelReply },
): Promise<SeededTurns> {
  const now = new Date();
  let header = from;
  const events: SessionEvent[] = [];
  const items: Record<string, unknown>[] = [];
  for (let t = 1; t <= turns; t++) {
    const { requestId, actor, message, reply } = turn(t);
    const request = { ...ids, requestId, actor, message };
    const plan = planTurn(header, request, userEventFor(header, request, now.toISOString()), reply, now, DEFAULT_SESSION_LIMITS);
    const recorded = plan.headerUpdate.recentRequests[requestId];
    const marker = requestMarkerFor(requestId, recorded, plan.events);
    items.push(markerItem(ids.tenant, ids.session, marker, { answer: markerAnswer(marker) }, plan.headerUpdate.expiresAt));
    events.push(...plan.events);
    header = { ...header, ...plan.headerUpdate, version: header.version + 1 };
  }
  items.push(...events.map((event) => eventItem(ids.tenant, ids.session, event, header.expiresAt)));
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
    const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
    if (Object.keys(UnprocessedItems ?? {}).length > 0) throw new Error('seedTurns: the table left items of a batch unwritten');
  }
  await client.send(new PutItemCommand({ TableName: table, Item: marshall(headerItem(ids.tenant, ids.session, header), { removeUndefinedValues: true }) }));
  return { header, events };
}
