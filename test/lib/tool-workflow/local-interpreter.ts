import type { StateMachineDefinition } from 'aws-local-stepfunctions';

/**
 * What running a synthesized definition in aws-local-stepfunctions 3.0 on
 * this machine needs, and nothing more. Each adaptation is a known difference
 * between that interpreter and AWS Step Functions, not a change to the workflow.
 */

// The Node 20 polyfill lives with the local Step Functions endpoint; re-exported for the tests that use this file.
export { asSdkTask, installPromiseWithResolvers } from '../../helpers/local-stepfunctions';

/** The field the adaptation below copies a dynamic timeout into. */
const LOCAL_TIMEOUT_FIELD = 'localTimeoutSeconds';

/**
 * Step Functions resolves a Task's TimeoutSecondsPath against the state's
 * input (the Amazon States Language spec; aws-cdk-lib `Timeout.at`: "a path in
 * the state input"); aws-local-stepfunctions 3.0 resolves it against the
 * effective input, after Parameters. This copies the value into the effective
 * input so both read the same number. The Task's override receives one extra
 * field, which the tests ignore.
 */
export function resolveTimeoutPathsAgainstStateInput(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(definition)) as StateMachineDefinition;
  for (const state of Object.values(copy.States) as Array<Record<string, any>>) {
    if (state.Type !== 'Task' || state.TimeoutSecondsPath === undefined) continue;
    state.Parameters = { ...state.Parameters, [`${LOCAL_TIMEOUT_FIELD}.$`]: state.TimeoutSecondsPath };
    state.TimeoutSecondsPath = `$.${LOCAL_TIMEOUT_FIELD}`;
  }
  return copy;
}

/**
 * A Lambda task as the Lambda service runs it for Step Functions: the
 * handler's result is the task result; a thrown error becomes the task error
 * named by its `errorType`, with the runtime's JSON error document as its
 * Cause (Node.js runtime: `{"errorType","errorMessage","trace"}`).
 * aws-local-stepfunctions names the caught error by `error.name` and takes
 * `error.message` as its Cause.
 */
export function asLambdaTask(handler: (event: unknown) => Promise<unknown>): (payload: any) => Promise<any> {
  return async (payload) => {
    try {
      return await handler(payload);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const failure = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }));
      failure.name = e.name;
      throw failure;
    }
  };
}

