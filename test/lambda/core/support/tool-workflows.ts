import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findTool } from '../../../../lib/tools/catalog';
import { asSdkTask, type LocalStepFunctions } from '../../../helpers/local-stepfunctions';
import { WORKFLOW_ERRORS } from '../../../../lib/contract/workflow-contract';

/**
 * Minimal Amazon States Language definitions that follow
 * lib/contract/workflow-contract.ts, for the orchestrator's tests. The
 * synthesized definitions (lib/constructs/tool-workflow) are tested by their
 * own suite through the same local endpoint; these stay small on purpose.
 *
 * Express (fast tools): input ToolRunInput, output ToolRunOutput. Each tool's
 * Lambda gets the ToolRunInput and returns its output; a timeout, an invalid
 * input error or any other error becomes `{ ok: false, ... }`.
 *
 * Standard (slow tools): input SlowToolRunInput. With approval, the
 * approval-wait Lambda stores the task token and the workflow waits for the
 * ApprovalDecision (SendTaskSuccess); denied or timed out, the tool does not
 * run. It ends by invoking the orchestrator with a ResumeTurnEvent.
 */

export const PARTITION = 'aws-us-gov';
const REGION = 'us-gov-west-1';
const ACCOUNT = '111122223333';

export const functionArn = (name: string) => `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`;
export const stateMachineArn = (name: string) => `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

export const LAMBDA_INVOKE = `arn:${PARTITION}:states:::lambda:invoke`;
export const FUNCTIONS = {
  computeDeadline: functionArn('statehouse-compute-deadline'),
  releaseRecords: functionArn('statehouse-release-records'),
  approvalWait: functionArn('statehouse-approval-wait'),
  orchestrator: functionArn('statehouse-orchestrator'),
} as const;

const failure = (error: string, message: string) => ({ Type: 'Pass', Result: { ok: false, error, message }, End: true });

/** One Lambda task per tool; the state is named after the tool (timeout overrides use that name). */
function toolTask(tool: string, fn: string, next: { readonly next?: string; readonly resultPath?: string; readonly catchPrefix: string }) {
  const declaration = findTool(tool);
  if (!declaration) throw new Error(`${tool} is not in the catalog`);
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: fn,
      Payload: { 'tool.$': '$.tool', 'toolCallId.$': '$.toolCallId', 'input.$': '$.input', 'tenant.$': '$.tenant', 'session.$': '$.session' },
    },
    TimeoutSeconds: declaration.timeoutSeconds,
    ResultSelector: { ok: true, 'output.$': '$.Payload' },
    ...(next.resultPath ? { ResultPath: next.resultPath } : {}),
    ...(next.next ? { Next: next.next } : { End: true }),
    Catch: [
      { ErrorEquals: ['States.Timeout'], ResultPath: next.resultPath ? '$.failure' : null, Next: `${next.catchPrefix}TimedOut` },
      { ErrorEquals: [WORKFLOW_ERRORS.INVALID_INPUT], ResultPath: next.resultPath ? '$.failure' : null, Next: `${next.catchPrefix}InvalidInput` },
      { ErrorEquals: ['States.ALL'], ResultPath: next.resultPath ? '$.failure' : null, Next: `${next.catchPrefix}Failed` },
    ],
  };
}

/** The Express workflow: tool name → that tool's Lambda. */
export function fastToolsDefinition(tools: Readonly<Record<string, string>>) {
  return {
    Comment: 'Statehouse fast tools (test definition)',
    StartAt: 'WhichTool',
    States: {
      WhichTool: {
        Type: 'Choice',
        Choices: Object.keys(tools).map((tool) => ({ Variable: '$.tool', StringEquals: tool, Next: tool })),
        Default: 'NotAllowed',
      },
      ...Object.fromEntries(Object.entries(tools).map(([tool, fn]) => [tool, toolTask(tool, fn, { catchPrefix: '' })])),
      TimedOut: failure('timeout', 'the tool did not finish in time'),
      InvalidInput: failure('invalid_input', 'the tool refused its input'),
      Failed: failure('tool_failed', 'the tool failed'),
      NotAllowed: failure('not_allowed', 'no such tool in this workflow'),
    },
  };
}

const resultOf = (error: string, message: string, next: string) => ({
  Type: 'Pass',
  Result: { ok: false, error, message },
  ResultPath: '$.result',
  Next: next,
});

const resume = (withDecision: boolean) => ({
  Type: 'Task',
  Resource: LAMBDA_INVOKE,
  Parameters: {
    FunctionName: FUNCTIONS.orchestrator,
    Payload: {
      kind: 'statehouse.resume',
      'tenant.$': '$.tenant',
      'session.$': '$.session',
      'toolCallId.$': '$.toolCallId',
      'result.$': '$.result',
      ...(withDecision ? { 'decision.$': '$.decision' } : {}),
    },
  },
  Retry: [{ ErrorEquals: ['Statehouse.ModelError', 'Statehouse.SessionBusy'], MaxAttempts: 3 }],
  OutputPath: '$.Payload',
  End: true,
});

/** The Standard workflow: tool name → that tool's Lambda. */
export function slowToolsDefinition(tools: Readonly<Record<string, string>>) {
  return {
    Comment: 'Statehouse slow tools (test definition)',
    StartAt: 'NeedsApproval',
    States: {
      NeedsApproval: {
        Type: 'Choice',
        Choices: [{ Variable: '$.approvalRequired', BooleanEquals: true, Next: 'WaitForApproval' }],
        Default: 'WhichTool',
      },
      WaitForApproval: {
        Type: 'Task',
        Resource: `${LAMBDA_INVOKE}.waitForTaskToken`,
        Parameters: {
          FunctionName: FUNCTIONS.approvalWait,
          Payload: { 'taskToken.$': '$$.Task.Token', 'tenant.$': '$.tenant', 'session.$': '$.session', 'toolCallId.$': '$.toolCallId' },
        },
        TimeoutSeconds: findTool('release_records')?.approval?.timeoutSeconds,
        ResultPath: '$.decision',
        Next: 'Approved',
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'ApprovalTimedOut' }],
      },
      Approved: {
        Type: 'Choice',
        Choices: [{ Variable: '$.decision.approved', BooleanEquals: true, Next: 'WhichTool' }],
        Default: 'Denied',
      },
      Denied: resultOf('denied', 'the approver denied the call', 'ResumeWithDecision'),
      ApprovalTimedOut: resultOf('approval_timeout', 'no approver decided in time', 'Resume'),
      WhichTool: {
        Type: 'Choice',
        Choices: Object.keys(tools).map((tool) => ({ Variable: '$.tool', StringEquals: tool, Next: tool })),
        Default: 'NotAllowed',
      },
      ...Object.fromEntries(
        Object.entries(tools).map(([tool, fn]) => [tool, toolTask(tool, fn, { next: 'HasDecision', resultPath: '$.result', catchPrefix: 'Tool' })]),
      ),
      ToolTimedOut: resultOf('timeout', 'the tool did not finish in time', 'HasDecision'),
      ToolInvalidInput: resultOf('invalid_input', 'the tool refused its input', 'HasDecision'),
      ToolFailed: resultOf('tool_failed', 'the tool failed', 'HasDecision'),
      NotAllowed: resultOf('not_allowed', 'no such tool in this workflow', 'HasDecision'),
      HasDecision: {
        Type: 'Choice',
        Choices: [{ Variable: '$.decision', IsPresent: true, Next: 'ResumeWithDecision' }],
        Default: 'Resume',
      },
      ResumeWithDecision: resume(true),
      Resume: resume(false),
    },
  };
}

/**
 * lookup_case as a small Express definition on the local endpoint: the real
 * GetItem of the caller's tenant's record in `referenceTable`, on moto.
 * `output` picks what the tool returns of the item (`$.Item`, or one field).
 */
export function registerLookupCase(
  sfn: { register: LocalStepFunctions['register'] },
  stateMachine: string,
  dynamodb: DynamoDBClient,
  referenceTable: string,
  output = '$.Item',
): void {
  const getItem = `arn:${PARTITION}:states:::dynamodb:getItem`;
  sfn.register(
    stateMachine,
    {
      StartAt: 'lookup_case',
      States: {
        lookup_case: {
          Type: 'Task',
          Resource: getItem,
          Parameters: { TableName: referenceTable, Key: { caseId: { 'S.$': "States.Format('T#{}#caseId#{}', $.tenant, $.input.caseId)" } } },
          ResultSelector: { ok: true, 'output.$': output },
          End: true,
        },
      },
    },
    { [getItem]: asSdkTask('DynamoDb', (parameters) => dynamodb.send(new GetItemCommand(parameters)) as never) },
    { type: 'EXPRESS' },
  );
}
