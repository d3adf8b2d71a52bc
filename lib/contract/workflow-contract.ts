import type { JsonValue } from './json';

/**
 * The contract between the orchestrator and the tool workflows: what a
 * workflow receives and what it returns. The CDK definitions (lib/constructs/
 * tool-workflow) and the Lambda code both use these names.
 */

/** Input of both workflows. */
export interface ToolRunInput {
  readonly tool: string;
  readonly toolCallId: string;
  readonly input: JsonValue;
  readonly tenant: string;
  readonly session: string;
}

/** Output of a tool run, as the model will see it. Tool failures are data, not crashes. */
export type ToolRunOutput =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: ToolErrorCode; readonly message: string };

export type ToolErrorCode = 'tool_failed' | 'timeout' | 'invalid_input' | 'denied' | 'approval_timeout' | 'not_allowed';

/** Input of the Standard (slow / approval) workflow. */
export interface SlowToolRunInput extends ToolRunInput {
  /** The turn's request id and the caller who asked; the approver must differ from it. */
  readonly requestId: string;
  readonly requestedBy: string;
  readonly approvalRequired: boolean;
  readonly approvalTimeoutSeconds: number;
}

/** What the approval-wait task stores for an approver to act on (the task token). */
export interface PendingApproval {
  readonly taskToken: string;
  readonly tenant: string;
  readonly session: string;
  readonly toolCallId: string;
}

/** The decision an approver sends; it resumes the workflow (SendTaskSuccess output). */
export interface ApprovalDecision {
  readonly approved: boolean;
  readonly approver: string;
  readonly reason: string;
  readonly decidedAt: string;
}

/** The event the Standard workflow sends to the orchestrator when the tool is done (or refused). */
export interface ResumeTurnEvent {
  readonly kind: 'statehouse.resume';
  readonly tenant: string;
  readonly session: string;
  readonly toolCallId: string;
  readonly result: ToolRunOutput;
  readonly decision?: ApprovalDecision;
}

/**
 * Prefix of every error name a Statehouse task raises. Lambda turns a thrown
 * error's `name` into the errorType that a state's Retry and Catch match, so
 * a typed error with code `X` reaches Step Functions as `Statehouse.X`.
 */
export const TASK_ERROR_PREFIX = 'Statehouse.';

/** The Step Functions error name of a Statehouse error code. */
export function taskErrorName<C extends string>(code: C): `${typeof TASK_ERROR_PREFIX}${C}` {
  return `${TASK_ERROR_PREFIX}${code}`;
}

/** Step Functions error names the workflows raise and catch. */
export const WORKFLOW_ERRORS = {
  /** A tool's own failure (lambda/tools/tool-task.ts): its message is shown to the model. */
  TOOL_FAILED: taskErrorName('ToolFailed'),
  INVALID_INPUT: taskErrorName('InvalidInput'),
  /**
   * The orchestrator's transient failures when it resumes a turn (the codes
   * of ModelError, SessionBusyError and ToolWorkflowError in
   * lambda/core/domain/errors.ts): the Standard workflow retries them.
   */
  RESUME_TRANSIENT: [taskErrorName('ModelError'), taskErrorName('SessionBusy'), taskErrorName('ToolWorkflowError')],
} as const;
