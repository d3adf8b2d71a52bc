import { Agent } from 'node:http';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startMotoServer, type MotoServer } from '../../lib/emulator/moto-server';
import { SESSION_TABLE_SCHEMA } from '../../lib/contract/session-table';
import { MEMORY_TABLE_SCHEMA } from '../../lib/contract/memory-table';

export type { MotoServer } from '../../lib/emulator/moto-server';

/** One moto_server per test file, on a free port of 127.0.0.1, so files can run in parallel. */
export function startMoto(): Promise<MotoServer> {
  return startMotoServer();
}

/** Explicit region and dummy credentials, so no test ever reads the developer's AWS configuration. */
export function motoClientConfig(moto: Pick<MotoServer, 'endpoint'>) {
  return {
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/**
 * One request in flight at a time. moto applies a TransactWriteItems one
 * action at a time and rolls back by restoring a copy of the table, with no
 * lock across its request threads, so concurrent transactions there can see
 * each other's partial writes or undo each other's commits. Real DynamoDB
 * isolates transactions (serializable); sending requests one at a time gives
 * moto that isolation back. Callers still interleave freely between requests,
 * which is where optimistic concurrency is tested.
 */
export function motoDynamoDbClient(moto: Pick<MotoServer, 'endpoint'>): DynamoDBClient {
  return new DynamoDBClient({ ...motoClientConfig(moto), requestHandler: oneRequestAtATime() });
}

/**
 * The request handler options for one request in flight. Requests queued
 * behind the one socket are the point, so the SDK's warning about a queue
 * (@smithy/node-http-handler, checkSocketUsage: after
 * socketAcquisitionWarningTimeout, 3 s by default) is put far past any test's
 * timeout; it only ever printed, it never failed a request.
 */
export function oneRequestAtATime() {
  return { httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }), socketAcquisitionWarningTimeout: 3_600_000 };
}

/** Path-style addressing: virtual-host style would need DNS for `<bucket>.127.0.0.1`. */
export function motoS3Client(moto: Pick<MotoServer, 'endpoint'>): S3Client {
  return new S3Client({ ...motoClientConfig(moto), forcePathStyle: true });
}

/** The session table exactly as the session-store construct declares it. */
export async function createSessionTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, billingMode, streamViewType, timeToLiveAttribute, listIndex } = SESSION_TABLE_SCHEMA;
  await createTableWithTtl(
    client,
    {
      TableName: tableName,
      KeySchema: [
        { AttributeName: partitionKey.name, KeyType: 'HASH' },
        { AttributeName: sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
        { AttributeName: sortKey.name, AttributeType: sortKey.type },
        { AttributeName: listIndex.partitionKey.name, AttributeType: listIndex.partitionKey.type },
        { AttributeName: listIndex.sortKey.name, AttributeType: listIndex.sortKey.type },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: listIndex.name,
          KeySchema: [
            { AttributeName: listIndex.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: listIndex.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: listIndex.projectionType, NonKeyAttributes: [...listIndex.nonKeyAttributes] },
        },
      ],
      BillingMode: billingMode,
      StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
    },
    timeToLiveAttribute,
  );
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** The memory table (lib/contract/memory-table.ts) as the MemoryStore construct creates it: keys and TTL. */
export async function createMemoryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, billingMode, timeToLiveAttribute } = MEMORY_TABLE_SCHEMA;
  await createTableWithTtl(
    client,
    {
      TableName: tableName,
      KeySchema: [
        { AttributeName: partitionKey.name, KeyType: 'HASH' },
        { AttributeName: sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: partitionKey.name, AttributeType: partitionKey.type },
        { AttributeName: sortKey.name, AttributeType: sortKey.type },
      ],
      BillingMode: billingMode,
    },
    timeToLiveAttribute,
  );
}

async function createTableWithTtl(client: DynamoDBClient, input: CreateTableCommandInput, timeToLiveAttribute: string): Promise<void> {
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client, maxWaitTime: 300 }, { TableName: input.TableName });
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: timeToLiveAttribute } }),
  );
}
