import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { WORKFLOW_ERRORS } from '../../contract/workflow-contract';

/** Secure defaults of the tool workflows (ToolWorkflow, FastToolWorkflow, ApprovalWorkflow), named so a fork can audit them. */

/**
 * Fixed state machine names: the orchestrator's environment and IAM policy
 * name the machines by ARN built from these names, while the Standard machine
 * invokes the orchestrator. Names instead of references break that cycle.
 */
export function fastToolsMachineName(namePrefix: string): string {
  return `${namePrefix}-tools-fast`;
}

export function slowToolsMachineName(namePrefix: string): string {
  return `${namePrefix}-tools-slow`;
}

/** AU-2/AU-12: every state transition, with its input and output, in the encrypted log group. */
export const WORKFLOW_LOG_LEVEL = sfn.LogLevel.ALL;
export const WORKFLOW_INCLUDE_EXECUTION_DATA = true;
/** SI-4: X-Ray traces every execution (a default: `stateMachineProps.tracingEnabled` overrides it). */
export const WORKFLOW_TRACING = true;
/** AU-11: execution history kept a year in a log group a workflow creates itself (`logGroupProps.retention` overrides it). */
export const WORKFLOW_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;
/** AU-9: the execution history outlives the stack. */
export const WORKFLOW_LOG_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** Tool functions are small: a date computation, one PutItem, one Retrieve. */
export const TOOL_FUNCTION_MEMORY_MB = 512;
/** SC-5: one runaway tool cannot take the account's concurrency. */
export const TOOL_FUNCTION_RESERVED_CONCURRENCY = 20;
/** Storing a task token is one DynamoDB write. */
export const APPROVAL_WAIT_TIMEOUT = Duration.seconds(10);

/** Lambda's own transient errors; a tool's errors are never retried (a retry could repeat a side effect). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** A fast tool runs inside a turn the caller is waiting for: one quick retry, no more. */
export const FAST_TOOL_RETRY: sfn.RetryProps = {
  errors: LAMBDA_SERVICE_ERRORS,
  interval: Duration.seconds(1),
  maxAttempts: 1,
  backoffRate: 2,
};

/** Slow tools and the resume call: nobody waits on the line, so retry longer. */
export const SLOW_RETRY: sfn.RetryProps = {
  errors: LAMBDA_SERVICE_ERRORS,
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
};

/** Transient failures the orchestrator reports when resuming (asTaskError in lambda/core/workflow/task-error.ts). */
export const RESUME_RETRY: sfn.RetryProps = {
  errors: [...WORKFLOW_ERRORS.RESUME_TRANSIENT],
  interval: Duration.seconds(30),
  maxAttempts: 10,
  backoffRate: 2,
  maxDelay: Duration.minutes(30),
};

/** The approval wait's handler: it stores a pending approval's task token in the session. */
export const APPROVAL_WAIT_ENTRY = path.join(__dirname, '..', '..', '..', 'lambda', 'tools', 'approval-wait', 'index.ts');
