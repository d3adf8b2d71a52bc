import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SESSION_TABLE_SCHEMA } from '../../lambda/core/adapters/session-table-schema';

/**
 * moto_server as a real AWS endpoint for adapter tests: one per test file,
 * on a free port of 127.0.0.1, so files can run in parallel.
 */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // Not listening yet: poll again.
    }
    await sleep(100);
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/** SIGTERM, then SIGKILL if moto has not gone within the grace period; resolves once its pipes have closed. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await closed;
  } finally {
    clearTimeout(escalation);
  }
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    // Only the tail matters for a start-up failure; moto logs every request.
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await waitUntilAnswering(endpoint, child, () => output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { endpoint, port, stop: () => stopProcess(child) };
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
  return new DynamoDBClient({
    ...motoClientConfig(moto),
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }) },
  });
}

/** Path-style addressing: virtual-host style would need DNS for `<bucket>.127.0.0.1`. */
export function motoS3Client(moto: Pick<MotoServer, 'endpoint'>): S3Client {
  return new S3Client({ ...motoClientConfig(moto), forcePathStyle: true });
}

/** The session table exactly as the session-store construct declares it. */
export async function createSessionTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, billingMode, streamViewType, timeToLiveAttribute } = SESSION_TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
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
      StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: timeToLiveAttribute },
    }),
  );
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}
