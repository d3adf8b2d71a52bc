/** Step Functions error names are identifiers; anything else is not echoed to the model. */
const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,128}$/;

export function errorNameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export function printableErrorName(name: string | undefined): string {
  return name !== undefined && IDENTIFIER.test(name) ? name : 'an unnamed error';
}

/**
 * `arn:<partition>:states:<region>:<account>:stateMachine:<name>` →
 * `arn:<partition>:states:<region>:<account>:execution:<name>:<executionName>`.
 */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[2] !== 'states' || parts[5] !== 'stateMachine') {
    throw new RangeError(`${stateMachineArn} is not a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>)`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}
