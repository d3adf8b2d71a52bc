import type { RequestMarker } from './idempotency';
import type { SessionHeader } from './session-header';

/**
 * Typed errors of the session domain. Each carries the HTTP status and the
 * stable `code` that the API adapter returns, so handlers map errors without
 * inspecting messages. Step Functions tasks use `code` as the error name.
 */
export abstract class StatehouseError extends Error {
  abstract readonly httpStatus: number;
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request field that is missing, malformed or out of range. */
export class ValidationError extends StatehouseError {
  readonly httpStatus = 400;
  readonly code = 'ValidationError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The caller may not act on this session (AC-3: only the owner sends turns). */
export class ForbiddenError extends StatehouseError {
  readonly httpStatus = 403;
  readonly code = 'Forbidden';
}

export class SessionNotFoundError extends StatehouseError {
  readonly httpStatus = 404;
  readonly code = 'SessionNotFound';

  constructor(
    readonly tenant: string,
    readonly session: string,
  ) {
    super(`session ${session} of tenant ${tenant} does not exist or has expired`);
  }
}

export class SessionExistsError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'SessionExists';

  constructor(
    readonly tenant: string,
    readonly session: string,
  ) {
    super(`session ${session} of tenant ${tenant} already exists`);
  }
}

/**
 * Another turn committed first. Nothing of this turn was written; the client
 * may retry with the same requestId. `currentVersion` is undefined when the
 * store could not say (a transaction conflict rather than a failed condition).
 */
export class SessionBusyError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'SessionBusy';

  constructor(
    readonly seenVersion: number,
    readonly currentVersion: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `session changed while this turn ran (read version ${seenVersion}, now ${currentVersion ?? 'unknown'}); retry the request`,
      options,
    );
  }
}

/** The session recorded no turn under this requestId. */
export class TurnNotFoundError extends StatehouseError {
  readonly httpStatus = 404;
  readonly code = 'TurnNotFound';

  constructor(readonly requestId: string) {
    super(`the session has no turn with requestId ${JSON.stringify(requestId)}`);
  }
}

export class MemoryRecordNotFoundError extends StatehouseError {
  readonly httpStatus = 404;
  readonly code = 'MemoryRecordNotFound';

  constructor(readonly id: string) {
    super(`the caller's memory holds no record ${JSON.stringify(id)}`);
  }
}

/** The deployment has no memory table (no agent has memory): the memory routes have nothing to serve. */
export class MemoryOffError extends StatehouseError {
  readonly httpStatus = 404;
  readonly code = 'MemoryOff';

  constructor() {
    super('this deployment keeps no memory across sessions: no agent has `memory` set');
  }
}

/** The turn ended before the cancel arrived: nothing is left to cancel. */
export class TurnEndedError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'TurnEnded';

  constructor(
    readonly requestId: string,
    readonly status: string,
  ) {
    super(`turn ${JSON.stringify(requestId)} has ended (${status}); there is nothing to cancel`);
  }
}

/**
 * The session waits for a tool result, an approval, a background turn, or
 * the outputs of the client's function calls before it takes another turn.
 */
export class SessionAwaitingError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'SessionAwaiting';

  constructor(
    readonly status: string,
    /** The background turn that holds the session, when one does. */
    readonly activeRequestId?: string,
    /** The calls of the client's functions the session waits on (status `awaiting_client`). */
    readonly clientCallIds?: readonly string[],
  ) {
    super(
      clientCallIds !== undefined
        ? `session is ${status}: it waits for the outputs of the client's function calls ${quotedIds(clientCallIds)}; ` +
            'send them as function_call_output items (POST /v1/responses) before a new message'
        : activeRequestId === undefined
          ? `session is ${status}; it takes a new turn once the pending tool call is resolved`
          : `session is running turn ${activeRequestId} (${status}); it takes a new turn once that turn ends (GET /sessions/{id}/turns/${activeRequestId})`,
    );
  }

  /** Why a session that is not idle takes no turn, from its header. */
  static of(header: Pick<SessionHeader, 'status' | 'activeTurn' | 'clientCalls'>): SessionAwaitingError {
    return new SessionAwaitingError(header.status, header.activeTurn?.requestId, header.clientCalls?.map((call) => call.toolCallId));
  }
}

/** Most ids one message lists: a request may name many, a message stays short. */
const MAX_IDS_LISTED = 16;

/** Call ids in a message, as the model (or a client) wrote them: quoted, each bounded, and not too many. */
export function quotedIds(ids: readonly string[]): string {
  const listed = ids.slice(0, MAX_IDS_LISTED).map((id) => JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}...` : id));
  return ids.length > MAX_IDS_LISTED ? `${listed.join(', ')} and ${ids.length - MAX_IDS_LISTED} more` : listed.join(', ');
}

export class PayloadTooLargeError extends StatehouseError {
  readonly httpStatus = 413;
  readonly code = 'PayloadTooLarge';

  constructor(
    readonly field: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`${field} is ${sizeBytes} bytes; the limit is ${limitBytes} bytes`);
  }
}

/** The session's token budget cannot pay for this turn's prompt. */
export class BudgetExceededError extends StatehouseError {
  readonly httpStatus = 429;
  readonly code = 'BudgetExceeded';

  constructor(
    readonly usedTokens: number,
    readonly requestedTokens: number,
    readonly maxTokens: number,
  ) {
    super(
      `session has used ${usedTokens} of ${maxTokens} tokens; this turn needs about ${requestedTokens} more`,
    );
  }
}

/**
 * The session belongs to an agent this deployment no longer runs (its
 * definition was removed): its turns are refused, nothing is written, and
 * the session is readable as it was. Deploy the agent again to go on.
 */
export class AgentUnavailableError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'AgentUnavailable';

  constructor(
    readonly agent: string,
    readonly deployed: readonly string[],
  ) {
    super(`the session's agent "${agent}" is not deployed here (agents: ${deployed.join(', ') || 'none'})`);
  }
}

/** The model backend failed or answered with something the turn cannot use. Nothing was written. */
export class ModelError extends StatehouseError {
  readonly httpStatus = 502;
  readonly code = 'ModelError';
  /** Whether asking again may succeed: the backend `throttled` the call, or was `unavailable` (5xx, timeout, connection). */
  readonly transient?: 'throttled' | 'unavailable';

  constructor(message: string, options?: ErrorOptions & { readonly transient?: 'throttled' | 'unavailable' }) {
    super(message, options);
    if (options?.transient) this.transient = options.transient;
  }
}

/** The session does not wait for a decision on this tool call (none is pending, or the call needs no approval). */
export class NoPendingApprovalError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'NoPendingApproval';

  constructor(readonly toolCallId: string) {
    super(`the session has no tool call ${JSON.stringify(toolCallId.slice(0, 128))} waiting for approval`);
  }
}

/** The workflow has not reached its approval step yet (no task token is stored); retry shortly. */
export class ApprovalNotReadyError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'ApprovalNotReady';

  constructor(readonly toolCallId: string) {
    super('the approval workflow is still starting and cannot take a decision yet; retry the same request in a few seconds');
  }
}

/**
 * Step Functions no longer waits for this decision: the approval timed out,
 * or the decision was delivered already and the workflow moved on.
 */
export class ApprovalClosedError extends StatehouseError {
  readonly httpStatus = 409;
  readonly code = 'ApprovalClosed';

  constructor(options?: ErrorOptions) {
    super(
      'the workflow no longer waits for this decision: it was delivered already, or the approval timed out; read the session to see the outcome',
      options,
    );
  }
}

/**
 * A tool workflow could not be called: the Step Functions service, not the
 * tool, failed. A tool's own failure is never this; it reaches the model.
 */
export class ToolWorkflowError extends StatehouseError {
  readonly httpStatus = 502;
  readonly code = 'ToolWorkflowError';
}

/**
 * The commit was refused because an earlier attempt of the same request
 * committed first: its marker exists. Carries that marker, so the turn
 * answers with the stored result (a replay). Not a StatehouseError on
 * purpose: it is control flow inside the turn and has no HTTP status; one
 * that escaped would be a defect (500), never a 409.
 */
export class RequestRecordedError extends Error {
  constructor(
    readonly marker: RequestMarker,
    options?: ErrorOptions,
  ) {
    super(`request ${marker.requestId} was recorded by an earlier attempt`, options);
    this.name = 'RequestRecordedError';
  }
}
