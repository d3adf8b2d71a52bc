import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SlowToolStarter } from '../../ports/tool-workflows';
import type { SlowToolRunInput } from '../../../../lib/contract/workflow-contract';
import { startNamedExecution } from './named-execution';

export interface StepFunctionsSlowToolStarterProps {
  readonly client: SFNClient;
  /** The Standard workflow of slow and approval-gated tools (ENV.SLOW_TOOLS_STATE_MACHINE). */
  readonly stateMachineArn: string;
}

/**
 * Slow tools through the Standard workflow (StartExecution), under the
 * execution name of the tool call (pending-tool.ts): a second start of the
 * same call is the same request (startNamedExecution).
 */
export class StepFunctionsSlowToolStarter implements SlowToolStarter {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(props: StepFunctionsSlowToolStarterProps) {
    this.client = props.client;
    this.stateMachineArn = props.stateMachineArn;
  }

  start(executionName: string, input: SlowToolRunInput): Promise<void> {
    return startNamedExecution(this.client, this.stateMachineArn, executionName, input, `the slow tool workflow of ${input.tool}`);
  }
}
