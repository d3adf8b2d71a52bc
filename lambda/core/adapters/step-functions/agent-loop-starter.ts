import { StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AgentLoopInput } from '../../../../lib/contract/agent-loop';
import { ToolWorkflowError } from '../../domain/errors';
import type { AgentLoop } from '../../ports/agent-loop';
import { errorNameOf, executionArnOf, printableErrorName } from './execution-errors';
import { startNamedExecution } from './named-execution';

export interface StepFunctionsAgentLoopProps {
  readonly client: SFNClient;
  /** The agent loop (ENV.AGENT_LOOP_STATE_MACHINE). */
  readonly stateMachineArn: string;
}

/** Step Functions' `cause` of StopExecution holds at most 32,768 characters. */
const MAX_CAUSE = 32_768;

/** The agent loop through Step Functions: StartExecution under the turn's name, StopExecution for a cancel. */
export class StepFunctionsAgentLoop implements AgentLoop {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(props: StepFunctionsAgentLoopProps) {
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
  }

  start(executionName: string, input: AgentLoopInput): Promise<void> {
    return startNamedExecution(this.client, this.stateMachineArn, executionName, input, 'the agent loop');
  }

  async stop(executionName: string, cause: string): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, executionName), error: 'Statehouse.Cancelled', cause: cause.slice(0, MAX_CAUSE) }),
      );
    } catch (error) {
      // Never started (the turn was cancelled before its start), or already ended: nothing runs, which is what was asked.
      if (errorNameOf(error) === 'ExecutionDoesNotExist') return;
      throw new ToolWorkflowError(`the agent loop's execution could not be stopped: ${printableErrorName(errorNameOf(error))}`, { cause: error });
    }
  }
}
