import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { resumeTurnEventSchema } from '../core/adapters/step-functions/workflow-schemas';
import { describeZodIssues } from '../core/adapters/model/zod-issues';
import { ModelError, StatehouseError, ValidationError } from '../core/domain/errors';
import { resumeTurn, type ResumeOutcome } from '../core/domain/resume-turn';
import { asTaskError } from '../core/workflow/task-error';
import { failureIdentifiers } from './failure-identifiers';
import { turnDepsOf, type OrchestratorDeps } from './orchestrator-deps';

/**
 * The Standard tool workflow invokes the orchestrator directly (not through
 * API Gateway) with a ResumeTurnEvent when a slow tool call has ended.
 * Told apart from an API Gateway proxy event by its `kind`.
 */
export function isResumeTurnEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { kind?: unknown }).kind === 'statehouse.resume';
}

/**
 * Finishes the waiting turn and returns a small summary (the task's output).
 * Failures are thrown as `Statehouse.<code>` errors for the workflow's
 * Retry: a model failure or a busy session is worth another attempt, a
 * malformed event is not.
 */
export function createResumeHandler(deps: OrchestratorDeps) {
  const { logger, metrics } = deps;

  return async function resume(event: unknown): Promise<ResumeOutcome> {
    try {
      const parsed = resumeTurnEventSchema.safeParse(event);
      if (!parsed.success) throw new ValidationError('event', `not a resume event: ${describeZodIssues(parsed.error)}`);
      const { tenant, session, toolCallId } = parsed.data;
      logger.appendKeys({ tenant, sessionId: session, toolCallId });
      const outcome = await resumeTurn(
        turnDepsOf(deps),
        parsed.data,
      );
      if (outcome.resumed) metrics.addMetric('TurnsResumed', MetricUnit.Count, 1);
      logger.info('resume completed', { ...outcome });
      return outcome;
    } catch (error) {
      if (error instanceof ModelError) {
        metrics.addMetric('ModelErrors', MetricUnit.Count, 1);
        logger.error('model call failed while resuming', { code: error.code, failure: failureIdentifiers(error) });
      } else if (error instanceof StatehouseError) {
        logger.warn('resume refused', { code: error.code, reason: error.message });
      } else {
        logger.error('resume failed', { error: error instanceof Error ? error : String(error) });
      }
      throw asTaskError(error);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.removeKeys(['tenant', 'sessionId', 'toolCallId']);
    }
  };
}
