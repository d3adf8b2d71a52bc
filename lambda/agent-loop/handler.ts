import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { AGENT_LOOP_ERRORS, type RoundOutcome } from '../../lib/contract/agent-loop';
import { describeZodIssues } from '../core/adapters/model/zod-issues';
import { roundEventSchema, roundFailedEventSchema } from '../core/adapters/step-functions/workflow-schemas';
import { failRound, runRound, type BackgroundDeps } from '../core/domain/background-turn';
import { ModelError, StatehouseError, ValidationError } from '../core/domain/errors';
import { MODEL_ERROR_MESSAGE } from '../core/http/error-body';
import { asTaskError } from '../core/workflow/task-error';
import { failureIdentifiers } from '../orchestrator/failure-identifiers';
import { backgroundDepsOf, type OrchestratorDeps } from '../orchestrator/orchestrator-deps';

/**
 * The round function: the agent loop's Round and RoundFailed tasks
 * (lib/contract/agent-loop.ts). Failures are thrown as the names the loop's
 * Retry matches: a throttled model as AGENT_LOOP_ERRORS.MODEL_THROTTLED, a
 * failed or slow one as MODEL_UNAVAILABLE, a busy session as SESSION_BUSY;
 * anything else as `Statehouse.<code>` (asTaskError), which the loop does
 * not retry: it ends the turn as failed.
 */
export function createRoundHandler(deps: OrchestratorDeps) {
  const { logger, metrics } = deps;
  // Made with the first round, not at cold start: a turn's dependencies hold the tools, which the
  // composition root reads on first use (deps-from-env.ts).
  let made: BackgroundDeps | undefined;
  const background = () => (made ??= backgroundDepsOf(deps));

  return async function round(event: unknown): Promise<RoundOutcome> {
    try {
      const kind = typeof event === 'object' && event !== null ? (event as { kind?: unknown }).kind : undefined;
      if (kind === 'statehouse.round-failed') {
        const failed = roundFailedEventSchema.safeParse(event);
        if (!failed.success) throw new ValidationError('event', `not a round-failed event: ${describeZodIssues(failed.error)}`);
        logger.appendKeys({ tenant: failed.data.tenant, sessionId: failed.data.session, requestId: failed.data.requestId });
        const outcome = await failRound(background(), failed.data);
        metrics.addMetric('BackgroundTurnsFailed', MetricUnit.Count, 1);
        logger.warn('background turn failed', { failure: failed.data.failure.Error, round: outcome.round });
        return outcome;
      }
      const parsed = roundEventSchema.safeParse(event);
      if (!parsed.success) throw new ValidationError('event', `not a round event: ${describeZodIssues(parsed.error)}`);
      logger.appendKeys({ tenant: parsed.data.tenant, sessionId: parsed.data.session, requestId: parsed.data.requestId });
      const outcome = await runRound(background(), parsed.data);
      metrics.addMetric('BackgroundRounds', MetricUnit.Count, 1);
      logger.info('round done', { status: outcome.status, round: outcome.round });
      return outcome;
    } catch (error) {
      if (error instanceof ModelError) {
        metrics.addMetric('ModelErrors', MetricUnit.Count, 1);
        logger.error('model call failed in a round', { code: error.code, transient: error.transient, failure: failureIdentifiers(error) });
      } else if (error instanceof StatehouseError) {
        logger.warn('round refused', { code: error.code, reason: error.message });
      } else {
        logger.error('round failed', { error: error instanceof Error ? error : String(error) });
      }
      throw asRoundError(error);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.removeKeys(['tenant', 'sessionId', 'requestId']);
    }
  };
}

/** The error as the loop's Retry and Catch see it. */
export function asRoundError(error: unknown): unknown {
  if (error instanceof ModelError && error.transient) {
    const task = new Error(MODEL_ERROR_MESSAGE);
    task.name = error.transient === 'throttled' ? AGENT_LOOP_ERRORS.MODEL_THROTTLED : AGENT_LOOP_ERRORS.MODEL_UNAVAILABLE;
    return task;
  }
  return asTaskError(error);
}
