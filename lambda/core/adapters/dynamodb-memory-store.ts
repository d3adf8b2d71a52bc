import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import {
  MEMORY_KINDS,
  MEMORY_LOG_PREFIX,
  MEMORY_PROFILE_SK,
  MEMORY_RECORD_PREFIX,
  MEMORY_TABLE_SCHEMA,
  memoryPartitionKey,
  memoryProgressSk,
  memoryRecordSk,
  type MemoryKind,
} from '../../../lib/contract/memory-table';
import type { MemoryRecord } from '../domain/memory-records';
import type { ExtractionWrite, MemoryLogEntry, MemoryProfile, MemoryStore } from '../ports/memory-store';
import { deleteBatch } from './dynamodb-batch-delete';

const PK = MEMORY_TABLE_SCHEMA.partitionKey.name;
const SK = MEMORY_TABLE_SCHEMA.sortKey.name;
const BATCH_SIZE = 25;

export interface DynamoDbMemoryStoreProps {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Days a log entry is kept (MemorySettings.logRetentionDays). */
  readonly logRetentionDays: number;
  readonly now?: () => Date;
}

/** The memory table (lib/contract/memory-table.ts) through the SDK v3 document client. */
export class DynamoDbMemoryStore implements MemoryStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly logRetentionDays: number;
  private readonly now: () => Date;

  constructor(props: DynamoDbMemoryStoreProps) {
    this.documents = DynamoDBDocumentClient.from(props.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = props.tableName;
    this.logRetentionDays = props.logRetentionDays;
    this.now = props.now ?? (() => new Date());
  }

  async records(tenant: string, actor: string): Promise<MemoryRecord[]> {
    const records: MemoryRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :records)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': memoryPartitionKey(tenant, actor), ':records': MEMORY_RECORD_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = recordFromItem(item, tenant, actor);
        if (record) records.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async progress(tenant: string, actor: string, session: string): Promise<number> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: memoryPartitionKey(tenant, actor), [SK]: memoryProgressSk(session) },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.upToSeq === 'number' ? Item.upToSeq : 0;
  }

  async writeExtraction(write: ExtractionWrite): Promise<boolean> {
    const pk = memoryPartitionKey(write.tenant, write.actor);
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // The progress moves only from what this run read: a concurrent or retried run of the same range loses here.
              Update: {
                TableName: this.tableName,
                Key: { [PK]: pk, [SK]: memoryProgressSk(write.session) },
                UpdateExpression: 'SET #upTo = :upTo, #expiresAt = :expiresAt',
                ConditionExpression: write.afterSeq === 0 ? 'attribute_not_exists(#upTo)' : '#upTo = :afterSeq',
                ExpressionAttributeNames: { '#upTo': 'upToSeq', '#expiresAt': MEMORY_TABLE_SCHEMA.timeToLiveAttribute },
                ExpressionAttributeValues: {
                  ':upTo': write.upToSeq,
                  ':expiresAt': write.progressExpiresAt,
                  ...(write.afterSeq === 0 ? {} : { ':afterSeq': write.afterSeq }),
                },
              },
            },
            ...write.records.map((record) => ({
              Put: { TableName: this.tableName, Item: recordItem(record), ConditionExpression: 'attribute_not_exists(#sk)', ExpressionAttributeNames: { '#sk': SK } },
            })),
            ...(write.records.length > 0
              ? [
                  {
                    Update: {
                      TableName: this.tableName,
                      Key: { [PK]: pk, [SK]: MEMORY_PROFILE_SK },
                      UpdateExpression: 'ADD #records :n',
                      ExpressionAttributeNames: { '#records': 'records' },
                      ExpressionAttributeValues: { ':n': write.records.length },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') {
        const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false;
      }
      throw error;
    }
  }

  async remove(tenant: string, actor: string, records: readonly Pick<MemoryRecord, 'namespace' | 'id'>[], entry: MemoryLogEntry): Promise<number> {
    const pk = memoryPartitionKey(tenant, actor);
    const keys = records.map((record) => ({ [PK]: pk, [SK]: memoryRecordSk(record.namespace, record.id) }));
    for (let i = 0; i < keys.length; i += BATCH_SIZE) await deleteBatch(this.documents, this.tableName, keys.slice(i, i + BATCH_SIZE));
    // The count is recounted from the records left, so a repeated or concurrent removal cannot drive it wrong.
    const left = (await this.records(tenant, actor)).length;
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: pk, [SK]: MEMORY_PROFILE_SK },
        UpdateExpression:
          entry.action === 'evict' ? 'SET #records = :left, #lastEvictedAt = :at ADD #evicted :n' : 'SET #records = :left',
        ExpressionAttributeNames: {
          '#records': 'records',
          ...(entry.action === 'evict' ? { '#evicted': 'evicted', '#lastEvictedAt': 'lastEvictedAt' } : {}),
        },
        ExpressionAttributeValues: { ':left': left, ...(entry.action === 'evict' ? { ':n': keys.length, ':at': entry.at } : {}) },
      }),
    );
    await this.log(tenant, actor, entry);
    return keys.length;
  }

  async profile(tenant: string, actor: string): Promise<MemoryProfile> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: memoryPartitionKey(tenant, actor), [SK]: MEMORY_PROFILE_SK }, ConsistentRead: true }),
    );
    return {
      records: typeof Item?.records === 'number' ? Item.records : 0,
      evicted: typeof Item?.evicted === 'number' ? Item.evicted : 0,
      ...(typeof Item?.lastEvictedAt === 'string' ? { lastEvictedAt: Item.lastEvictedAt } : {}),
    };
  }

  async log(tenant: string, actor: string, entry: MemoryLogEntry): Promise<void> {
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.logRetentionDays * 86_400;
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: memoryPartitionKey(tenant, actor),
          [SK]: `${MEMORY_LOG_PREFIX}${entry.at}#${randomUUID()}`,
          action: entry.action,
          by: entry.by,
          at: entry.at,
          recordIds: [...entry.recordIds],
          count: entry.recordIds.length,
          [MEMORY_TABLE_SCHEMA.timeToLiveAttribute]: expiresAt,
        },
      }),
    );
  }
}

function recordItem(record: MemoryRecord): Record<string, unknown> {
  return {
    [PK]: memoryPartitionKey(record.tenant, record.actor),
    [SK]: memoryRecordSk(record.namespace, record.id),
    id: record.id,
    kind: record.kind,
    text: record.text,
    namespace: record.namespace,
    agent: record.agent,
    session: record.source.session,
    fromSeq: record.source.fromSeq,
    toSeq: record.source.toSeq,
    hash: record.source.hash,
    createdAt: record.createdAt,
    [MEMORY_TABLE_SCHEMA.timeToLiveAttribute]: record.expiresAt,
    // A float32 vector as bytes: 1 KiB for 256 dimensions, against about 5 KiB as a list of numbers.
    ...(record.vector ? { vector: new Uint8Array(Float32Array.from(record.vector).buffer) } : {}),
  };
}

/** An item that is not a whole record (a hand edit, a future field) is skipped, never recalled half-read. */
function recordFromItem(item: Record<string, unknown>, tenant: string, actor: string): MemoryRecord | undefined {
  const { id, kind, text, namespace, agent, session, fromSeq, toSeq, hash, createdAt } = item;
  const expiresAt = item[MEMORY_TABLE_SCHEMA.timeToLiveAttribute];
  if (
    typeof id !== 'string' ||
    typeof kind !== 'string' ||
    !(MEMORY_KINDS as readonly string[]).includes(kind) ||
    typeof text !== 'string' ||
    typeof namespace !== 'string' ||
    typeof agent !== 'string' ||
    typeof session !== 'string' ||
    typeof fromSeq !== 'number' ||
    typeof toSeq !== 'number' ||
    typeof hash !== 'string' ||
    typeof createdAt !== 'string' ||
    typeof expiresAt !== 'number'
  ) {
    return undefined;
  }
  const bytes = item.vector instanceof Uint8Array ? item.vector : undefined;
  const vector = bytes ? Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))) : undefined;
  return {
    id,
    tenant,
    actor,
    namespace,
    kind: kind as MemoryKind,
    text,
    agent,
    source: { session, fromSeq, toSeq, hash },
    createdAt,
    expiresAt,
    ...(vector ? { vector } : {}),
  };
}
