import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { canonicalJson } from '../../domain/canonical-json';
import { ToolWorkflowError } from '../../domain/errors';
import { errorNameOf, executionArnOf, printableErrorName } from './execution-errors';

/**
 * Starts a Standard execution under a name the caller made deterministic,
 * with canonical JSON input, so a second start of the same work is the same
 * request: Step Functions answers it with the running execution, or with
 * ExecutionAlreadyExists once it has ended, which is success here when the
 * stored input is this one. `what` names the work in an error.
 */
export async function startNamedExecution(client: SFNClient, stateMachineArn: string, executionName: string, input: object, what: string): Promise<void> {
  const text = canonicalJson(input as never);
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: text }));
    return;
  } catch (error) {
    if (errorNameOf(error) !== 'ExecutionAlreadyExists') {
      throw new ToolWorkflowError(`${what} could not be started: ${printableErrorName(errorNameOf(error))}`, { cause: error });
    }
  }
  const existing = await client.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, executionName) }));
  if (existing.input !== text) {
    throw new ToolWorkflowError(`execution ${executionName} already exists with another input; it was not started again`);
  }
}
