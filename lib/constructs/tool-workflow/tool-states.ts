import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { REFERENCE_ITEM_KEY_FORMAT } from '../../contract/reference-table';
import { KEY_ATTRIBUTE_PATTERN, type ToolDeclaration } from '../../contract/tool-declaration';
import { WORKFLOW_ERRORS, type ToolErrorCode } from '../../contract/workflow-contract';
import type { IReferenceData } from '../reference-data/reference-data';

/**
 * The states both tool workflows share: the Task that runs one tool and the
 * states that turn its failures into ToolRunOutput (workflow-contract.ts).
 * A tool's failure is data the model sees, never a failed execution.
 */

/** What runs a tool: its Lambda function, or the reference data for a GetItem tool. */
export interface ToolTarget {
  readonly function?: lambda.IFunction;
  readonly referenceData?: IReferenceData;
}

/** Where a state writes its ToolRunOutput: the whole state (Express) or `$.result` (Standard). */
export interface OutputPlacement {
  readonly resultPath?: string;
}

/** The state name of a tool's Task; tests and runbooks find tools by it. */
export function runStateName(tool: ToolDeclaration): string {
  return `Run ${tool.name}`;
}

/** The payload every tool Lambda receives (lambda/tools/tool-task.ts, ToolTaskPayload). */
const TOOL_TASK_PAYLOAD = {
  input: sfn.JsonPath.objectAt('$.input'),
  tenant: sfn.JsonPath.stringAt('$.tenant'),
  session: sfn.JsonPath.stringAt('$.session'),
  toolCallId: sfn.JsonPath.stringAt('$.toolCallId'),
};

/** Success: `{ ok: true, output }` with the tool's own result as output. */
const SUCCESS = { ok: true, output: sfn.JsonPath.objectAt('$') };

/**
 * The Task of one tool, with the tool's timeout. A Lambda tool gets the task
 * payload and answers with its output JSON; a `dynamodb-get-item` tool is the
 * AWS SDK integration itself (no Lambda): GetItem of the calling tenant's item
 * whose `<keyAttribute>` is `$.input.<keyAttribute>`.
 */
export function toolTask(scope: Construct, tool: ToolDeclaration, target: ToolTarget, placement: OutputPlacement, retry: sfn.RetryProps): sfn.TaskStateBase {
  const common = {
    stateName: runStateName(tool),
    taskTimeout: sfn.Timeout.duration(Duration.seconds(tool.timeoutSeconds)),
    resultSelector: SUCCESS,
    resultPath: placement.resultPath,
  };
  const implementation = tool.implementation;
  if (implementation.kind === 'dynamodb-get-item') {
    const referenceData = required(target.referenceData, tool, 'the reference data (referenceData)');
    const { keyAttribute } = implementation;
    if (!KEY_ATTRIBUTE_PATTERN.test(keyAttribute)) {
      throw new Error(
        `tool "${tool.name}": keyAttribute is ${JSON.stringify(keyAttribute)}; it must match ${KEY_ATTRIBUTE_PATTERN} (an input field of the tool, e.g. "caseId").`,
      );
    }
    return new tasks.CallAwsService(scope, runStateName(tool), {
      ...common,
      service: 'dynamodb',
      action: 'getItem',
      parameters: {
        TableName: referenceData.tableName,
        // AC-3, AC-4: the tenant comes from the workflow input, which the orchestrator sets from the
        // authenticated caller; the model chooses only the value, inside its own tenant's items.
        Key: {
          [referenceData.partitionKeyName]: {
            S: sfn.JsonPath.format(REFERENCE_ITEM_KEY_FORMAT, sfn.JsonPath.stringAt('$.tenant'), keyAttribute, sfn.JsonPath.stringAt(`$.input.${keyAttribute}`)),
          },
        },
      },
      iamResources: [referenceData.tableArn],
      iamAction: 'dynamodb:GetItem',
    });
  }
  const task = new tasks.LambdaInvoke(scope, runStateName(tool), {
    ...common,
    lambdaFunction: required(target.function, tool, 'its Lambda function'),
    payload: sfn.TaskInput.fromObject(TOOL_TASK_PAYLOAD),
    payloadResponseOnly: true,
    // Only Lambda's own errors are retried, as `retry` says; a tool's error could follow a side effect.
    retryOnServiceExceptions: false,
  });
  task.addRetry(retry);
  return task;
}

/** Not a tool this workflow runs: `{ ok: false, error: 'not_allowed' }`. */
export function notAllowed(scope: Construct, placement: OutputPlacement): sfn.Pass {
  return new sfn.Pass(scope, 'Not allowed', {
    parameters: failureOutput('not_allowed', "States.Format('The tool {} does not run in this workflow.', $.tool)"),
    resultPath: placement.resultPath,
  });
}

function required<T>(value: T | undefined, tool: ToolDeclaration, what: string): T {
  if (value === undefined) throw new Error(`tool "${tool.name}" (${tool.implementation.kind}) needs ${what}, but none was given.`);
  return value;
}

/** `{ ok: false, error, message }` as a Pass state's parameters. `message` is a literal or a `.$` expression. */
export function failureOutput(error: ToolErrorCode, message: string): Record<string, unknown> {
  return message.startsWith('States.') || message.startsWith('$')
    ? { ok: false, error, 'message.$': message }
    : { ok: false, error, message };
}

/**
 * The states a tool Task's catchers lead to, one set per workflow. Each
 * writes a ToolRunOutput where `placement` says, then continues with `next`
 * (or ends the execution when `next` is undefined).
 */
export class ToolFailureStates {
  private readonly timedOut: sfn.Pass;
  private readonly readError: sfn.Pass;
  private readonly crashed: sfn.Pass;

  constructor(scope: Construct, placement: OutputPlacement, next?: sfn.IChainable) {
    const outcome = (id: string, error: ToolErrorCode, message: string) => {
      const state = new sfn.Pass(scope, id, { parameters: failureOutput(error, message), resultPath: placement.resultPath });
      if (next) state.next(next);
      return state;
    };
    this.timedOut = outcome('Tool timed out', 'timeout', "States.Format('The tool {} did not finish within its time limit.', $.tool)");
    // A Lambda error's Cause is the runtime's JSON ({"errorType", "errorMessage", "trace"}): the model sees the message only.
    this.readError = new sfn.Pass(scope, 'Read tool error', {
      parameters: { 'Error.$': '$.failure.Error', 'Cause.$': 'States.StringToJson($.failure.Cause)' },
      resultPath: '$.failure',
    });
    this.readError.next(outcome('Tool failed', 'tool_failed', '$.failure.Cause.errorMessage'));
    // Anything else (a crash, an SDK error): its name only; its text may hold data the model must not see.
    this.crashed = outcome('Tool crashed', 'tool_failed', "States.Format('The tool {} failed ({}).', $.tool, $.failure.Error)");
  }

  /**
   * Catch a tool Task's failures: its timeout, the tool's own
   * `Statehouse.ToolFailed` (message shown), anything else (error name only).
   */
  public catchFailuresOf(task: sfn.TaskStateBase): void {
    task.addCatch(this.timedOut, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.failure' });
    task.addCatch(this.readError, { errors: [WORKFLOW_ERRORS.TOOL_FAILED], resultPath: '$.failure' });
    task.addCatch(this.crashed, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
  }
}
