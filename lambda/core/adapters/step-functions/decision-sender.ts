import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { canonicalJson } from '../../domain/canonical-json';
import { ApprovalClosedError, ToolWorkflowError } from '../../domain/errors';
import type { DecisionSender } from '../../ports/tool-workflows';
import type { ApprovalDecision } from '../../../../lib/contract/workflow-contract';
import { errorNameOf, printableErrorName } from './execution-errors';

/** What Step Functions answers for a token nobody waits on any more. */
const CLOSED_TASK_ERRORS: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export interface StepFunctionsDecisionSenderProps {
  readonly client: SFNClient;
}

/** An approver's decision, as the output of the approval task the Standard workflow waits on (SendTaskSuccess). */
export class StepFunctionsDecisionSender implements DecisionSender {
  private readonly client: SFNClient;

  constructor(props: StepFunctionsDecisionSenderProps) {
    this.client = props.client;
  }

  async sendDecision(taskToken: string, decision: ApprovalDecision): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: canonicalJson(decision) }));
    } catch (error) {
      const name = errorNameOf(error);
      if (name !== undefined && CLOSED_TASK_ERRORS.has(name)) throw new ApprovalClosedError({ cause: error });
      throw new ToolWorkflowError(
        `the decision is recorded, but it could not be sent to the workflow (${printableErrorName(name)}); retry the same request`,
        { cause: error },
      );
    }
  }
}
