import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDbSessionRepository } from '../adapters/dynamodb-session-repository';
import { S3PayloadStore } from '../adapters/s3-payload-store';
import type { RuntimeEnv } from './runtime-env';

export interface SessionClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

/**
 * The session store's SDK clients, built once per execution environment and
 * traced. SC-13: a client uses its service's FIPS endpoint when the region
 * facts list the service in ENV.FIPS_SERVICES (keys as botocore names them:
 * `dynamodb`, `s3`).
 */
export function sessionClients(env: Pick<RuntimeEnv, 'region' | 'fipsServices'>, tracer: Tracer): SessionClients {
  return {
    dynamodb: tracer.captureAWSv3Client(new DynamoDBClient({ region: env.region, useFipsEndpoint: env.fipsServices.has('dynamodb') })),
    s3: tracer.captureAWSv3Client(new S3Client({ region: env.region, useFipsEndpoint: env.fipsServices.has('s3') })),
  };
}

/** The session repository; `clients` when the function's other stores share them (the memory table). */
export function sessionRepositoryFromEnv(env: RuntimeEnv, tracer: Tracer, clients: SessionClients = sessionClients(env, tracer)): DynamoDbSessionRepository {
  const { dynamodb, s3 } = clients;
  return new DynamoDbSessionRepository({
    client: dynamodb,
    tableName: env.tableName,
    payloads: new S3PayloadStore({ client: s3, bucket: env.bucket, kmsKeyId: env.payloadKeyId }),
    payloadThresholdBytes: env.limits.inlineThresholdBytes,
  });
}
