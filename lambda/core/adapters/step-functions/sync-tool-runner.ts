import { StartSyncExecutionCommand, type SFNClient, type StartSyncExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { canonicalJson } from '../../domain/canonical-json';
import { ToolWorkflowError } from '../../domain/errors';
import type { ToolRunner } from '../../ports/tool-workflows';
import { WORKFLOW_ERRORS, type ToolErrorCode, type ToolRunInput, type ToolRunOutput } from '../../../../lib/contract/workflow-contract';
import { errorNameOf, printableErrorName } from './execution-errors';
import { toolRunOutputSchema } from './workflow-schemas';

export interface StepFunctionsToolRunnerProps {
  /** FIPS where the region facts list `states` (SC-13); the SDK sends StartSyncExecution to the `sync-` host itself. */
  readonly client: SFNClient;
  /** The Express workflow of fast tools (ENV.FAST_TOOLS_STATE_MACHINE). */
  readonly stateMachineArn: string;
}

function failure(error: ToolErrorCode, message: string): ToolRunOutput {
  return { ok: false, error, message };
}

/**
 * Fast tools through the Express workflow, called synchronously
 * (StartSyncExecution). Whatever the tool does, the turn gets a
 * ToolRunOutput: a failed, timed-out or unreadable run is a tool error the
 * model sees. Only the service refusing the call throws.
 */
export class StepFunctionsToolRunner implements ToolRunner {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(props: StepFunctionsToolRunnerProps) {
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
  }

  async run(input: ToolRunInput): Promise<ToolRunOutput> {
    let execution: StartSyncExecutionCommandOutput;
    try {
      execution = await this.client.send(new StartSyncExecutionCommand({ stateMachineArn: this.stateMachineArn, input: canonicalJson(input) }));
    } catch (error) {
      // The client's own request timeout: the tool took longer than the turn can wait.
      if (errorNameOf(error) === 'TimeoutError') return failure('timeout', `${input.tool} did not answer in time`);
      throw new ToolWorkflowError(`the fast tool workflow could not run ${input.tool}: ${printableErrorName(errorNameOf(error))}`, {
        cause: error,
      });
    }
    if (execution.status === 'SUCCEEDED') return outputOf(input.tool, execution.output);
    if (execution.status === 'TIMED_OUT') return failure('timeout', `${input.tool} did not finish in time`);
    return failedRun(input.tool, execution.error);
  }
}

function outputOf(tool: string, text: string | undefined): ToolRunOutput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    return failure('tool_failed', `${tool} returned output that is not JSON`);
  }
  const output = toolRunOutputSchema.safeParse(parsed);
  return output.success ? output.data : failure('tool_failed', `${tool} returned output that is not a tool result`);
}

/** An error the workflow did not catch: its name says what happened; its cause (a stack, perhaps) stays out of the prompt. */
function failedRun(tool: string, error: string | undefined): ToolRunOutput {
  if (error === 'States.Timeout') return failure('timeout', `${tool} did not finish in time`);
  if (error === WORKFLOW_ERRORS.INVALID_INPUT) return failure('invalid_input', `${tool} refused its input`);
  return failure('tool_failed', `${tool} failed with ${printableErrorName(error)}`);
}
