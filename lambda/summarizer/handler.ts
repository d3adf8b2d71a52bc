import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { summarizeSession, type SummarizeSettings } from '../core/domain/summarize';
import type { Clock } from '../core/ports/clock';
import type { ModelBackend } from '../core/ports/model-backend';
import type { SessionRepository } from '../core/ports/session-repository';
import { sessionBatchHandler } from '../core/adapters/stream-sessions';

export interface SummarizerDeps {
  readonly sessions: SessionRepository;
  readonly model: ModelBackend;
  readonly clock: Clock;
  readonly settings: SummarizeSettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The summarizer's Lambda handler, fed by the session table's stream
 * (INSERTs of `E#` items). Each session in the batch is summarized once; a
 * session that fails reports its records as batch item failures, so Lambda
 * retries from there while the other sessions' work stands.
 */
export function createHandler(deps: SummarizerDeps) {
  const { logger, metrics } = deps;
  return sessionBatchHandler({
    logger,
    metrics,
    failureMetric: 'SummaryFailures',
    failureMessage: 'summary failed',
    async work({ tenant, session }) {
      const outcome = await summarizeSession(deps, tenant, session, deps.settings);
      logger.info('session summarized', { tenant, session, ...outcome });
      if (outcome.kind !== 'summarized') return;
      metrics.addMetric('SummariesWritten', MetricUnit.Count, 1);
      metrics.addMetric('EventsSummarized', MetricUnit.Count, outcome.folded);
      metrics.addMetric('TokensIn', MetricUnit.Count, outcome.usage.input);
      metrics.addMetric('TokensOut', MetricUnit.Count, outcome.usage.output);
    },
  });
}
