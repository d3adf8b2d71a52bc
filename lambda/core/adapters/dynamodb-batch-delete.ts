import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SESSION_TABLE_SCHEMA } from '../../../lib/contract/session-table';

const PK = SESSION_TABLE_SCHEMA.partitionKey.name;
const SK = SESSION_TABLE_SCHEMA.sortKey.name;
/** BatchWriteItem's limit per call. */
const BATCH_SIZE = 25;
/** DynamoDB may return part of a batch unprocessed under throttling; it asks callers to retry with backoff. */
const MAX_BATCH_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 50;

/** Deletes every item under a partition key; returns how many it deleted. */
export async function deleteAllKeys(documents: DynamoDBDocumentClient, tableName: string, pk: string): Promise<number> {
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: '#pk, #sk',
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += BATCH_SIZE) {
      await deleteBatch(documents, tableName, keys.slice(i, i + BATCH_SIZE));
    }
    deleted += keys.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}

/** Deletes these keys (at most 25), retrying what DynamoDB leaves unprocessed. */
export async function deleteBatch(documents: DynamoDBDocumentClient, tableName: string, keys: Record<string, unknown>[]): Promise<void> {
  let pending = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === MAX_BATCH_ATTEMPTS) {
      throw new Error(`${pending.length} deletes still unprocessed after ${MAX_BATCH_ATTEMPTS} attempts`);
    }
    if (attempt > 0) await sleep(BACKOFF_BASE_MS * 2 ** attempt);
    const { UnprocessedItems } = await documents.send(
      new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
    );
    pending = (UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
      request.DeleteRequest?.Key ? [{ DeleteRequest: { Key: request.DeleteRequest.Key } }] : [],
    );
  }
}
