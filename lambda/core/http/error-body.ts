import {
  ApprovalNotReadyError,
  BudgetExceededError,
  ModelError,
  NoPendingApprovalError,
  PayloadTooLargeError,
  SessionAwaitingError,
  SessionBusyError,
  StatehouseError,
} from '../domain/errors';
import { InvalidRequestError, MethodNotAllowedError } from './request-errors';

/** The body of every error response: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

export interface ErrorResponse {
  readonly statusCode: number;
  readonly body: ErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The model backend's own words may quote the prompt (a container's error
 * body), so the caller gets a fixed message; the log keeps the details.
 */
export const MODEL_ERROR_MESSAGE = 'the model backend failed to answer; nothing was written, so the request can be retried';

/** Seconds a client should wait before asking again for a decision the workflow is not ready for. */
export const APPROVAL_RETRY_AFTER_SECONDS = 2;

/**
 * Maps any error to its HTTP response. Typed errors keep their status and
 * code; anything else is a 500 whose message says nothing about its cause
 * (SI-11: error messages reveal no internals) but carries a reference the
 * log is keyed by.
 */
export function errorResponse(error: unknown, reference: string): ErrorResponse {
  if (!(error instanceof StatehouseError)) {
    return {
      statusCode: 500,
      body: { error: { code: 'InternalError', message: `internal error; quote reference ${reference} when reporting it` } },
    };
  }
  const message = error instanceof ModelError ? MODEL_ERROR_MESSAGE : error.message;
  const details = detailsOf(error);
  return {
    statusCode: error.httpStatus,
    body: { error: { code: error.code, message, ...(details ? { details } : {}) } },
    ...(error instanceof MethodNotAllowedError ? { headers: { Allow: error.allowed.join(', ') } } : {}),
    ...(error instanceof ApprovalNotReadyError ? { headers: { 'Retry-After': String(APPROVAL_RETRY_AFTER_SECONDS) } } : {}),
  };
}

function detailsOf(error: StatehouseError): Record<string, unknown> | undefined {
  if (error instanceof InvalidRequestError) return { issues: error.issues };
  if (error instanceof SessionBusyError) {
    return { seenVersion: error.seenVersion, ...(error.currentVersion === undefined ? {} : { currentVersion: error.currentVersion }) };
  }
  if (error instanceof SessionAwaitingError) {
    return {
      status: error.status,
      ...(error.activeRequestId === undefined ? {} : { runningTurn: error.activeRequestId }),
      ...(error.clientCallIds === undefined ? {} : { clientCallIds: error.clientCallIds }),
    };
  }
  if (error instanceof NoPendingApprovalError || error instanceof ApprovalNotReadyError) return { toolCallId: error.toolCallId };
  if (error instanceof PayloadTooLargeError) {
    return { field: error.field, sizeBytes: error.sizeBytes, limitBytes: error.limitBytes };
  }
  if (error instanceof BudgetExceededError) {
    return { usedTokens: error.usedTokens, requestedTokens: error.requestedTokens, maxTokens: error.maxTokens };
  }
  return undefined;
}
