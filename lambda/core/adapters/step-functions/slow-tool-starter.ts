import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { canonicalJson } from '../../domain/canonical-json';
import { ToolWorkflowError } from '../../domain/errors';
import type { SlowToolStarter } from '../../ports/tool-workflows';
import type { SlowToolRunInput } from '../../../../lib/contract/workflow-contract';
import { errorNameOf, executionArnOf, printableErrorName } from './execution-errors';

export interface StepFunctionsSlowToolStarterProps {
  readonly client: SFNClient;
  /** The Standard workflow of slow and approval-gated tools (ENV.SLOW_TOOLS_STATE_MACHINE). */
  readonly stateMachineArn: string;
}

/**
 * Slow tools through the Standard workflow (StartExecution). The execution
 * name is the caller's, deterministic per tool call, and the input is
 * canonical JSON, so a second start of the same call is the same request:
 * Step Functions answers it with the running execution, or with
 * ExecutionAlreadyExists once it has ended, which is success here when the
 * stored input is this one.
 */
export class StepFunctionsSlowToolStarter implements SlowToolStarter {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(props: StepFunctionsSlowToolStarterProps) {
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
  }

  async start(executionName: string, input: SlowToolRunInput): Promise<void> {
    const text = canonicalJson(input);
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input: text }));
      return;
    } catch (error) {
      if (errorNameOf(error) !== 'ExecutionAlreadyExists') {
        throw new ToolWorkflowError(`the slow tool workflow could not start ${input.tool}: ${printableErrorName(errorNameOf(error))}`, {
          cause: error,
        });
      }
    }
    const existing = await this.client.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, executionName) }),
    );
    if (existing.input !== text) {
      throw new ToolWorkflowError(`execution ${executionName} already exists with another input; it was not started again`);
    }
  }
}
