import { S3Client } from '@aws-sdk/client-s3';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { RuntimeEnv } from './runtime-env';

/**
 * The session store's S3 client, traced; SC-13: the FIPS endpoint when the
 * region facts list `s3` in ENV.FIPS_SERVICES. A module of its own so that
 * session-store-wiring.ts can require it when a payload first goes to S3.
 */
export function s3Client(env: Pick<RuntimeEnv, 'region' | 'fipsServices'>, tracer: Tracer): S3Client {
  return tracer.captureAWSv3Client(new S3Client({ region: env.region, useFipsEndpoint: env.fipsServices.has('s3') }));
}
