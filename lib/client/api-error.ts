/**
 * An error answer of the session API, typed: the orchestrator's
 * `{ error: { code, message, details? } }` (lambda/orchestrator/README.md,
 * "Status codes"), or API Gateway's own `{ message }` for a request it
 * refused before the function (403 on a missing or bad signature, 429 when
 * throttled), whose code comes from its `x-amzn-ErrorType` header.
 */
export class StatehouseApiError extends Error {
  override readonly name = 'StatehouseApiError';

  constructor(
    readonly status: number,
    /** `SessionBusy`, `ValidationError`, ... or API Gateway's `InvalidSignatureException`, `MissingAuthenticationTokenException`, ... */
    readonly code: string,
    /** The message as the API sent it; `message` prefixes it with the status and code. */
    readonly apiMessage: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** API Gateway's request id (`x-amzn-RequestId`), to quote to the platform team. */
    readonly requestId?: string,
  ) {
    super(`${status} ${code}: ${apiMessage}`);
  }

  /** No such route in this deployment (API Gateway answers an unknown resource or method with 403 MissingAuthenticationToken). */
  get routeMissing(): boolean {
    return this.code === 'MissingAuthenticationTokenException' || this.code === 'RouteNotFound' || this.code === 'MethodNotAllowed';
  }
}

/** Reads an error response into a StatehouseApiError; a body that is not JSON keeps its text as the message. */
export async function apiErrorOf(response: Response): Promise<StatehouseApiError> {
  const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = (parsed ?? {}) as { error?: { code?: unknown; message?: unknown; details?: unknown }; message?: unknown };
  if (body.error && typeof body.error.code === 'string') {
    const details = typeof body.error.details === 'object' && body.error.details !== null ? (body.error.details as Record<string, unknown>) : undefined;
    return new StatehouseApiError(response.status, body.error.code, String(body.error.message ?? ''), details, requestId);
  }
  // API Gateway: `x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/...`
  const errorType = response.headers.get('x-amzn-errortype')?.split(':')[0];
  const message = typeof body.message === 'string' ? body.message : text || response.statusText;
  return new StatehouseApiError(response.status, errorType || 'GatewayError', message, undefined, requestId);
}
