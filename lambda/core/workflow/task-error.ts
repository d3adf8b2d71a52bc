import { ModelError, StatehouseError } from '../domain/errors';
import { taskErrorName } from '../../../lib/contract/workflow-contract';
import { MODEL_ERROR_MESSAGE } from '../http/error-body';

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
  task.name = taskErrorName(error.code);
  return task;
}
