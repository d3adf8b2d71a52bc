import { ModelError, StatehouseError } from '../../domain/errors';

/**
 * Turns any failure of a model call into the domain's ModelError. The message
 * names the operation and what went wrong in terms safe to return to a caller:
 * the error's type, HTTP status, attempts and request id, never its text,
 * which may quote the prompt (a container's error body, a validation message).
 * The original error stays as `cause` for the logs.
 */
export function toModelError(operation: string, error: unknown): StatehouseError {
  // Already typed (a malformed reply found by the adapter itself): keep it.
  if (error instanceof StatehouseError) return error;
  return new ModelError(`${operation} failed: ${describeFailure(error)}`, { cause: error, transient: transienceOf(error) });
}

/** Throttling names the model services use (Bedrock, SageMaker Runtime), besides HTTP 429. */
const THROTTLING_NAMES = new Set(['ThrottlingException', 'TooManyRequestsException', 'ServiceQuotaExceededException']);

/**
 * Whether asking again may succeed: throttled (429, a throttling exception),
 * or unavailable (5xx, a timeout, a lost connection). A 4xx other than 429
 * will fail again the same way.
 */
function transienceOf(error: unknown): ModelError['transient'] {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as SdkErrorFields;
  const status = positiveInteger(fields.$metadata?.httpStatusCode);
  const name = identifier(fields.name);
  if (status === 429 || (name !== undefined && THROTTLING_NAMES.has(name))) return 'throttled';
  if ((status !== undefined && status >= 500) || name === 'TimeoutError' || networkCode(fields) !== undefined) return 'unavailable';
  return undefined;
}

/** A reply the adapter cannot use; `problem` describes its shape, never its content. */
export function malformedReply(operation: string, problem: string, cause?: unknown): ModelError {
  return new ModelError(`${operation} returned an unusable reply: ${problem}`, cause === undefined ? undefined : { cause });
}

interface SdkErrorFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly attempts?: unknown; readonly requestId?: unknown };
  /** SageMaker's ModelError: the status the container itself answered with. */
  readonly OriginalStatusCode?: unknown;
}

/** Identifiers only: error type names, codes and ids never carry user content. */
const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,128}$/;

function identifier(value: unknown): string | undefined {
  return typeof value === 'string' && IDENTIFIER.test(value) ? value : undefined;
}

/** Node's codes for a connection that failed. */
const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'];
const NETWORK_CODE_IN_TEXT = new RegExp(`\\b(${NETWORK_CODES.join('|')})\\b`);

/**
 * The network code of a failed connection, if that is what the error is.
 * The SDK re-wraps an error that fails its `instanceof Error` check (one from
 * another realm, as under a test runner's sandbox) in a new Error with only
 * its text, so the code is also looked for there; nothing else of the text is used.
 */
function networkCode(fields: SdkErrorFields): string | undefined {
  if (typeof fields.code === 'string' && NETWORK_CODES.includes(fields.code)) return fields.code;
  return typeof fields.message === 'string' ? NETWORK_CODE_IN_TEXT.exec(fields.message)?.[1] : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function describeFailure(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'an unknown error';
  const fields = error as SdkErrorFields;
  const name = identifier(fields.name) ?? 'Error';
  const code = networkCode(fields);
  const status = positiveInteger(fields.$metadata?.httpStatusCode);
  const attempts = positiveInteger(fields.$metadata?.attempts);
  const requestId = identifier(fields.$metadata?.requestId);
  const originalStatus = positiveInteger(fields.OriginalStatusCode);

  const parts: string[] = [];
  if (name === 'TimeoutError' || code === 'ETIMEDOUT') parts.push('the request timed out');
  else if (status === undefined && code !== undefined) parts.push(`the connection to the endpoint failed (${code})`);
  else parts.push(name);
  if (status !== undefined) parts.push(`HTTP ${status}`);
  if (originalStatus !== undefined) parts.push(`the model container answered ${originalStatus}`);
  if (attempts !== undefined && attempts > 1) parts.push(`after ${attempts} attempts`);
  if (requestId !== undefined) parts.push(`request id ${requestId}`);
  return parts.join(', ');
}
