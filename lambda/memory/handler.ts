import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { sessionsInBatch, type StreamSession } from '../core/adapters/stream-sessions';
import { StatehouseError } from '../core/domain/errors';
import { extractSessionMemory, type ExtractMemoryDeps, type ExtractMemorySettings } from '../core/domain/extract-memory';

export interface MemoryExtractorDeps extends ExtractMemoryDeps {
  readonly settings: ExtractMemorySettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Sessions extracted at once: model calls overlap within the function's timeout without flooding the endpoint. */
export const SESSION_CONCURRENCY = 4;

/**
 * The memory extractor's Lambda handler, fed by the session table's stream
 * (INSERTs of `E#` items), beside the summarizer. Each session of the batch
 * is extracted once; a session that fails reports its records as batch item
 * failures, so Lambda retries it (the progress item makes the retry write
 * each record once) while the other sessions' work stands.
 */
export function createHandler(deps: MemoryExtractorDeps) {
  const { logger, metrics } = deps;

  async function extract(target: StreamSession): Promise<DynamoDBBatchItemFailure[]> {
    const { tenant, session } = target;
    try {
      const outcome = await extractSessionMemory(deps, tenant, session, deps.settings);
      logger.info('session memory extracted', { tenant, session, ...outcome });
      if (outcome.kind === 'extracted') {
        metrics.addMetric('MemoryRecordsWritten', MetricUnit.Count, outcome.written);
        metrics.addMetric('MemoryRecordsDropped', MetricUnit.Count, outcome.dropped);
        metrics.addMetric('MemoryRecordsEvicted', MetricUnit.Count, outcome.evicted);
        metrics.addMetric('TokensIn', MetricUnit.Count, outcome.usage.input);
        metrics.addMetric('TokensOut', MetricUnit.Count, outcome.usage.output);
      }
      return [];
    } catch (error) {
      metrics.addMetric('MemoryExtractionFailures', MetricUnit.Count, 1);
      // Typed errors carry content-free messages; anything else is logged with its stack.
      logger.error('memory extraction failed', {
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
        const results = await Promise.all(sessions.slice(i, i + SESSION_CONCURRENCY).map(extract));
        failures.push(...results.flat());
      }
      return { batchItemFailures: failures };
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
