import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import * as z from 'zod';
import { parseFipsServices } from '../adapters/model/backend-config';
import { describeZodIssues } from '../adapters/model/zod-issues';
import { DynamoDbTaskTokenStore } from '../adapters/dynamodb-task-token-store';
import { ENV } from '../../../lib/contract/env-names';
import { RuntimeEnvError } from './runtime-env';

const envSchema = z.object({
  AWS_REGION: z.string().min(1),
  [ENV.SESSION_TABLE]: z.string().min(1),
  [ENV.FIPS_SERVICES]: z.string().optional(),
});

/**
 * The approval-wait task's store, from its environment: the session table
 * only (least privilege: it writes one attribute of one header and reads
 * nothing). SC-13: FIPS endpoint where ENV.FIPS_SERVICES lists `dynamodb`.
 */
export function taskTokenStoreFromEnv(env: NodeJS.ProcessEnv, tracer: Tracer): DynamoDbTaskTokenStore {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new RuntimeEnvError(describeZodIssues(parsed.error));
  const vars = parsed.data;
  const client = new DynamoDBClient({
    region: vars.AWS_REGION,
    useFipsEndpoint: parseFipsServices(vars[ENV.FIPS_SERVICES]).has('dynamodb'),
  });
  return new DynamoDbTaskTokenStore({ client: tracer.captureAWSv3Client(client), tableName: vars[ENV.SESSION_TABLE] });
}
