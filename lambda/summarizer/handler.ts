import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { StatehouseError } from '../core/domain/errors';
import { summarizeSession, type SummarizeSettings } from '../core/domain/summarize';
import type { Clock } from '../core/ports/clock';
import type { ModelBackend } from '../core/ports/model-backend';
import type { SessionRepository } from '../core/ports/session-repository';
import { sessionsInBatch, type StreamSession } from '../core/adapters/stream-sessions';

export interface SummarizerDeps {
  readonly sessions: SessionRepository;
  readonly model: ModelBackend;
  readonly clock: Clock;
  readonly settings: SummarizeSettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Sessions summarized at once: model calls overlap, within the function's timeout, without flooding the endpoint. */
export const SESSION_CONCURRENCY = 4;

/**
 * The summarizer's Lambda handler, fed by the session table's stream
 * (INSERTs of `E#` items). Each session in the batch is summarized once; a
 * session that fails reports its records as batch item failures, so Lambda
 * retries from there while the other sessions' work stands.
 */
export function createHandler(deps: SummarizerDeps) {
  const { logger, metrics } = deps;

  async function summarize(target: StreamSession): Promise<DynamoDBBatchItemFailure[]> {
    const { tenant, session } = target;
    try {
      const outcome = await summarizeSession(deps, tenant, session, deps.settings);
      logger.info('session summarized', { tenant, session, ...outcome });
      if (outcome.kind === 'summarized') {
        metrics.addMetric('SummariesWritten', MetricUnit.Count, 1);
        metrics.addMetric('EventsSummarized', MetricUnit.Count, outcome.folded);
        metrics.addMetric('TokensIn', MetricUnit.Count, outcome.usage.input);
        metrics.addMetric('TokensOut', MetricUnit.Count, outcome.usage.output);
      }
      return [];
    } catch (error) {
      metrics.addMetric('SummaryFailures', MetricUnit.Count, 1);
      // Typed errors carry content-free messages; anything else is logged with its stack.
      logger.error('summary failed', {
        tenant,
        session,
        error: error instanceof StatehouseError ? { code: error.code, message: error.message } : error instanceof Error ? error : String(error),
      });
      return target.sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier }));
    }
  }

  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    try {
      const { sessions, ignored } = sessionsInBatch(event.Records ?? []);
      if (ignored > 0) logger.warn('records that are not new events were skipped', { ignored });
      const failures: DynamoDBBatchItemFailure[] = [];
      for (let i = 0; i < sessions.length; i += SESSION_CONCURRENCY) {
        const results = await Promise.all(sessions.slice(i, i + SESSION_CONCURRENCY).map(summarize));
        failures.push(...results.flat());
      }
      return { batchItemFailures: failures };
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
