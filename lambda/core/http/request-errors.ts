import { StatehouseError } from '../domain/errors';

/**
 * Errors of the HTTP envelope itself, before any session is touched. The
 * domain's typed errors cover everything after parsing; these cover a request
 * that cannot be parsed, routed or attributed to a caller.
 */

/** One problem with one part of a request, as returned in `error.details.issues`. */
export interface RequestIssue {
  /** Where: `body.message`, `query.limit`, `path.sessionId`, `header.content-type`. */
  readonly path: string;
  readonly message: string;
}

/** The request is malformed; `issues` says what and where. Nothing was read or written. */
export class InvalidRequestError extends StatehouseError {
  readonly httpStatus = 400;
  readonly code = 'ValidationError';

  constructor(readonly issues: readonly RequestIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
  }
}

/** The body is not JSON at all. */
export class InvalidJsonError extends StatehouseError {
  readonly httpStatus = 400;
  readonly code = 'InvalidJson';
}

export class UnsupportedMediaTypeError extends StatehouseError {
  readonly httpStatus = 415;
  readonly code = 'UnsupportedMediaType';
}

/** The caller is not authenticated, or its principal is not mapped to a tenant. */
export class CallerNotAllowedError extends StatehouseError {
  readonly httpStatus = 403;
  readonly code = 'Forbidden';
}

export class RouteNotFoundError extends StatehouseError {
  readonly httpStatus = 404;
  readonly code = 'RouteNotFound';
}

export class MethodNotAllowedError extends StatehouseError {
  readonly httpStatus = 405;
  readonly code = 'MethodNotAllowed';

  constructor(
    method: string,
    resource: string,
    readonly allowed: readonly string[],
  ) {
    super(`${method} is not allowed on ${resource}; use ${allowed.join(' or ')}`);
  }
}
