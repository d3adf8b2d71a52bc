import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AGENT_LOOP_ERRORS } from '../../contract/agent-loop';
import { LAMBDA_SERVICE_ERRORS } from '../tool-workflow/tool-workflow-defaults';

/** Defaults of the AgentLoop, named so a fork can audit them. */

/** The loop's fixed name: the orchestrator names it by an ARN built from it (no reference, so no cycle). */
export function agentLoopMachineName(namePrefix: string): string {
  return `${namePrefix}-agent-loop`;
}

/**
 * The machine's own timeout is a backstop this far past the turn's deadline.
 * The round function enforces the deadline itself (it ends the turn
 * `incomplete` at the next step boundary); the backstop only stops an
 * execution that something else kept alive.
 */
export const AGENT_LOOP_TIMEOUT_MARGIN = Duration.hours(1);

/**
 * How long the loop waits for one round: above Lambda's 15-minute maximum,
 * so it never cuts off a live round function, whatever its own timeout.
 */
export const ROUND_TASK_TIMEOUT = Duration.minutes(20);

/**
 * Lambda's own transient errors, and `Lambda.Unknown`: what a round function
 * killed by its timeout or out of memory reports. A round is safe to ask
 * again: a retry of a round that committed answers as the committed round did.
 */
export const ROUND_LAMBDA_ERRORS = [...LAMBDA_SERVICE_ERRORS, 'Lambda.Unknown'];

/** The model backend throttled: back off up to a minute, with full jitter so parallel turns spread out. */
export const MODEL_THROTTLED_RETRY: sfn.RetryProps = {
  errors: [AGENT_LOOP_ERRORS.MODEL_THROTTLED],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  maxAttempts: 8,
  jitterStrategy: sfn.JitterType.FULL,
};

/** The model backend failed or timed out, the round ran past its Task timeout, or Lambda failed. */
export const ROUND_UNAVAILABLE_RETRY: sfn.RetryProps = {
  errors: [AGENT_LOOP_ERRORS.MODEL_UNAVAILABLE, sfn.Errors.TIMEOUT, ...ROUND_LAMBDA_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 5,
  jitterStrategy: sfn.JitterType.FULL,
};

/** Another writer committed first (an approval, a cancel): ask the round again, soon, from the session as it is now. */
export const SESSION_BUSY_RETRY: sfn.RetryProps = {
  errors: [AGENT_LOOP_ERRORS.SESSION_BUSY],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 5,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Recording a failed turn: Lambda's errors, and a concurrent writer (the
 * record is one conditional write, and idempotent).
 */
export const ROUND_FAILED_RETRY: sfn.RetryProps = {
  errors: [...ROUND_LAMBDA_ERRORS, AGENT_LOOP_ERRORS.SESSION_BUSY],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  jitterStrategy: sfn.JitterType.FULL,
};
