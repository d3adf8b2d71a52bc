import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { attachCallCounter, type DynamoDbCallCounter } from '../../../../lambda/core/adapters/dynamodb-call-counter';
import { DynamoDbSessionRepository } from '../../../../lambda/core/adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../../../../lambda/core/adapters/s3-payload-store';
import {
  createBucket,
  createSessionTable,
  motoDynamoDbClient,
  motoS3Client,
  startMoto,
  type MotoServer,
} from '../../../helpers/moto';

/** A session store on moto: the real table, bucket and adapters, with a call counter on DynamoDB. */
export interface MotoSessions {
  readonly moto: MotoServer;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucket: string;
  readonly payloads: S3PayloadStore;
  readonly repository: DynamoDbSessionRepository;
  readonly calls: DynamoDbCallCounter;
  /** Items in the table, read with a Scan the call counter does not see. */
  countItems(): Promise<number>;
  stop(): Promise<void>;
}

export async function startMotoSessions(): Promise<MotoSessions> {
  const moto = await startMoto();
  const dynamodb = motoDynamoDbClient(moto);
  const s3 = motoS3Client(moto);
  const tableName = 'statehouse-sessions';
  const bucket = 'statehouse-payloads';
  await createSessionTable(dynamodb, tableName);
  await createBucket(s3, bucket);
  const payloads = new S3PayloadStore({ client: s3, bucket });
  const repository = new DynamoDbSessionRepository({ client: dynamodb, tableName, payloads });
  const calls = attachCallCounter(dynamodb);
  // A separate client, so counting items never shows up in the call counts under test.
  const inspector = motoDynamoDbClient(moto);
  return {
    moto,
    dynamodb,
    s3,
    tableName,
    bucket,
    payloads,
    repository,
    calls,
    async countItems() {
      let count = 0;
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await inspector.send(
          new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: startKey }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return count;
    },
    async stop() {
      dynamodb.destroy();
      inspector.destroy();
      s3.destroy();
      await moto.stop();
    },
  };
}
