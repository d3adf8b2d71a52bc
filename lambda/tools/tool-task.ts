import type { JsonValue } from '../core/domain/canonical-json';
import { WORKFLOW_ERRORS } from '../../lib/contract/workflow-contract';

/**
 * What a tool Lambda receives from a workflow Task (lib/constructs/tool-workflow
 * builds this payload from the ToolRunInput) and how it reports failure.
 */
export interface ToolTaskPayload<Input = JsonValue> {
  /** The tool's input, already checked against its declared schema by the orchestrator. */
  readonly input: Input;
  readonly tenant: string;
  readonly session: string;
  readonly toolCallId: string;
}

/**
 * A tool failure the model should see. The Lambda runtime reports it as
 * `errorType: "Statehouse.ToolFailed"`; the workflow catches that name and
 * turns the message into `{ ok: false, error: 'tool_failed', message }`.
 * The message must be safe to show the model and to keep in the session log.
 */
export class ToolFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = WORKFLOW_ERRORS.TOOL_FAILED;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Check the payload's envelope and the tool input's own shape. A payload the
 * workflow could not have built is a ToolFailedError, not a crash.
 */
export function parseToolTask<Input>(event: unknown, parseInput: (input: unknown) => Input): ToolTaskPayload<Input> {
  if (!isObject(event)) throw new ToolFailedError('the task payload is not an object');
  for (const field of ['tenant', 'session', 'toolCallId'] as const) {
    if (typeof event[field] !== 'string' || event[field] === '') throw new ToolFailedError(`the task payload has no ${field}`);
  }
  return {
    input: parseInput(event.input),
    tenant: event.tenant as string,
    session: event.session as string,
    toolCallId: event.toolCallId as string,
  };
}

/** The input object of a tool, or a ToolFailedError naming what is wrong. */
export function inputObject(input: unknown): Record<string, unknown> {
  if (!isObject(input)) throw new ToolFailedError('the tool input must be an object');
  return input;
}
