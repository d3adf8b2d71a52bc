import { ModelError, StatehouseError } from '../domain/errors';
import { MODEL_ERROR_MESSAGE } from '../http/error-body';

/** Prefix of every error name a Statehouse task raises, as WORKFLOW_ERRORS names the tools' own. */
export const TASK_ERROR_PREFIX = 'Statehouse.';

/**
 * An error as a Step Functions task reports it. Lambda turns a thrown
 * error's `name` into the errorType that a state's Retry and Catch match, so
 * a typed error becomes `Statehouse.<code>` (`Statehouse.ModelError`,
 * `Statehouse.SessionBusy`, `Statehouse.ValidationError`, ...). The message
 * lands in the execution history: a model failure's own text may quote the
 * prompt, so it is replaced by the fixed one. Anything untyped is left as
 * it is (the definition's `States.ALL` or `Lambda.*` retriers see it).
 */
export function asTaskError(error: unknown): unknown {
  if (!(error instanceof StatehouseError)) return error;
  const task = new Error(error instanceof ModelError ? MODEL_ERROR_MESSAGE : error.message);
  task.name = `${TASK_ERROR_PREFIX}${error.code}`;
  return task;
}
