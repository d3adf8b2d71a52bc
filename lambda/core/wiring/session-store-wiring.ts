import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDbSessionRepository } from '../adapters/dynamodb-session-repository';
import type { PayloadStore } from '../ports/payload-store';
import { lazy } from './lazy';
import type { RuntimeEnv } from './runtime-env';

export interface SessionClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

type ClientEnv = Pick<RuntimeEnv, 'region' | 'fipsServices'>;

/** The traced DynamoDB client of a session function, its FIPS endpoint where the region facts list one. */
export function dynamodbClient(env: ClientEnv, tracer: Tracer): DynamoDBClient {
  return tracer.captureAWSv3Client(new DynamoDBClient({ region: env.region, useFipsEndpoint: env.fipsServices.has('dynamodb') }));
}

/** Required, not imported: most turns never reach S3 (only a payload above the inline threshold does), so a cold start does not load its client. */
function s3Client(env: ClientEnv, tracer: Tracer): S3Client {
  return (require('./s3-client') as typeof import('./s3-client')).s3Client(env, tracer);
}

/**
 * The session store's SDK clients, built once per execution environment and
 * traced. SC-13: a client uses its service's FIPS endpoint when the region
 * facts list the service in ENV.FIPS_SERVICES (keys as botocore names them:
 * `dynamodb`, `s3`).
 */
export function sessionClients(env: ClientEnv, tracer: Tracer): SessionClients {
  return { dynamodb: dynamodbClient(env, tracer), s3: s3Client(env, tracer) };
}

/** The payload store, its S3 client and adapter made when a payload is first written, read or deleted. */
function lazyPayloadStore(make: () => PayloadStore): PayloadStore {
  const store = lazy(make);
  return {
    put: (key, content) => store().put(key, content),
    get: (key) => store().get(key),
    deletePrefix: (prefix) => store().deletePrefix(prefix),
  };
}

/** The session repository; `dynamodb` when the function's other stores share the client (the memory table). */
export function sessionRepositoryFromEnv(env: RuntimeEnv, tracer: Tracer, dynamodb: DynamoDBClient = dynamodbClient(env, tracer)): DynamoDbSessionRepository {
  return new DynamoDbSessionRepository({
    client: dynamodb,
    tableName: env.tableName,
    payloads: lazyPayloadStore(() => {
      const { S3PayloadStore } = require('../adapters/s3-payload-store') as typeof import('../adapters/s3-payload-store');
      return new S3PayloadStore({ client: s3Client(env, tracer), bucket: env.bucket, kmsKeyId: env.payloadKeyId });
    }),
    payloadThresholdBytes: env.limits.inlineThresholdBytes,
  });
}
