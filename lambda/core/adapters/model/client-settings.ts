import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SageMakerRuntimeClientConfig } from '@aws-sdk/client-sagemaker-runtime';

/**
 * SDK client settings shared by every model backend: FIPS endpoints where the
 * target asks for them, bounded retries on throttling, and timeouts, so a
 * stuck model call fails as a typed error instead of running out the Lambda.
 */

/** Service keys as ENV.FIPS_SERVICES lists them (the endpoint prefixes of botocore's endpoints.json). */
export type ModelService = 'runtime.sagemaker' | 'bedrock-runtime' | 'bedrock-agent-runtime';

/**
 * Attempts per model call, the first included. Three is the SDK's own
 * default: it rides out a short burst of throttling without multiplying a
 * slow model's latency past the caller's patience.
 */
export const MODEL_MAX_ATTEMPTS = 3;

/**
 * `standard`: exponential backoff with jitter (longer for throttling errors)
 * and a retry quota per client. Not `adaptive`: its client-side rate limiter
 * only learns from the requests of one Lambda execution environment, which
 * sends one model call at a time, so it adds delay before a call without
 * protecting the shared endpoint quota.
 */
export const MODEL_RETRY_MODE = 'standard';

/** Time to open the TCP/TLS connection; the VPC endpoint answers in milliseconds when healthy. */
export const MODEL_CONNECTION_TIMEOUT_MS = 3_000;

/**
 * Time from sending a request until the response starts, per attempt.
 * SageMaker's InvokeEndpoint allows a container 60 s to answer; callers with
 * less time left (the orchestrator behind API Gateway's 29 s) pass a smaller value.
 */
export const MODEL_REQUEST_TIMEOUT_MS = 60_000;

export type ModelClientCredentials = NonNullable<SageMakerRuntimeClientConfig['credentials']>;

export interface ModelClientOptions {
  readonly region: string;
  /** Services whose clients use the separate `-fips` host (ENV.FIPS_SERVICES). */
  readonly fipsServices: ReadonlySet<string>;
  /**
   * Replaces the service endpoint (tests, or a VPC endpoint's DNS name).
   * @default the SDK's endpoint for the region
   */
  readonly endpoint?: string;
  /** @default the SDK's default credential chain (the Lambda role) */
  readonly credentials?: ModelClientCredentials;
  /** @default MODEL_MAX_ATTEMPTS */
  readonly maxAttempts?: number;
  /** @default MODEL_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default MODEL_CONNECTION_TIMEOUT_MS */
  readonly connectionTimeoutMs?: number;
  /**
   * Longest silence on an open connection, which bounds a streamed reply
   * between chunks.
   * @default the request timeout
   */
  readonly socketTimeoutMs?: number;
}

/** The constructor settings of a model service's SDK client. */
export interface ModelClientConfig {
  readonly region: string;
  readonly useFipsEndpoint: boolean;
  readonly maxAttempts: number;
  readonly retryMode: string;
  readonly requestHandler: NodeHttpHandler;
  readonly endpoint?: string;
  readonly credentials?: ModelClientCredentials;
}

export function modelClientConfig(service: ModelService, options: ModelClientOptions): ModelClientConfig {
  const requestTimeout = options.requestTimeoutMs ?? MODEL_REQUEST_TIMEOUT_MS;
  return {
    region: options.region,
    // SC-13: FIPS-validated endpoints where the partition runs them on a separate host.
    useFipsEndpoint: options.fipsServices.has(service),
    maxAttempts: options.maxAttempts ?? MODEL_MAX_ATTEMPTS,
    retryMode: MODEL_RETRY_MODE,
    // HTTP/1.1 for every model service. bedrock-runtime would otherwise default
    // to HTTP/2, which only its bidirectional streaming needs and which has no
    // connection timeout.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.connectionTimeoutMs ?? MODEL_CONNECTION_TIMEOUT_MS,
      requestTimeout,
      // Without it a breached requestTimeout only logs a warning.
      throwOnRequestTimeout: true,
      socketTimeout: options.socketTimeoutMs ?? requestTimeout,
    }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
}
