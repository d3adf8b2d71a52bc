import { ModelError, SessionBusyError, ToolWorkflowError } from '../../../lambda/core/domain/errors';
import { asTaskError } from '../../../lambda/core/workflow/task-error';
import { TASK_ERROR_PREFIX, taskErrorName, WORKFLOW_ERRORS } from '../../../lib/contract/workflow-contract';

/** The error names the workflows retry are built from the typed errors' codes, so a renamed code cannot leave a retrier matching nothing. */
describe('workflow error names', () => {
  test('the resume retrier matches exactly what the orchestrator throws for its transient failures', () => {
    const transient = [new ModelError('model down'), new SessionBusyError(1, 2), new ToolWorkflowError('states throttled')];
    const thrown = transient.map((error) => (asTaskError(error) as Error).name);
    expect(thrown).toEqual([...WORKFLOW_ERRORS.RESUME_TRANSIENT]);
    expect(thrown.every((name) => name.startsWith(TASK_ERROR_PREFIX))).toBe(true);
  });

  test('the tools\' own error names carry the same prefix', () => {
    expect([WORKFLOW_ERRORS.TOOL_FAILED, WORKFLOW_ERRORS.INVALID_INPUT]).toEqual([taskErrorName('ToolFailed'), taskErrorName('InvalidInput')]);
  });
});
