import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { sessionBatchHandler } from '../core/adapters/stream-sessions';
import { extractSessionMemory, type ExtractMemoryDeps, type ExtractMemorySettings } from '../core/domain/extract-memory';

export interface MemoryExtractorDeps extends ExtractMemoryDeps {
  readonly settings: ExtractMemorySettings;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The memory extractor's Lambda handler, fed by the session table's stream
 * (INSERTs of `E#` items), beside the summarizer. Each session of the batch
 * is extracted once; a session that fails has its records retried (the
 * progress item makes the retry write each record once) while the other
 * sessions' work stands.
 */
export function createHandler(deps: MemoryExtractorDeps) {
  const { logger, metrics } = deps;
  return sessionBatchHandler({
    logger,
    metrics,
    failureMetric: 'MemoryExtractionFailures',
    failureMessage: 'memory extraction failed',
    async work({ tenant, session }) {
      const outcome = await extractSessionMemory(deps, tenant, session, deps.settings);
      logger.info('session memory extracted', { tenant, session, ...outcome });
      if (outcome.kind !== 'extracted') return;
      metrics.addMetric('MemoryRecordsWritten', MetricUnit.Count, outcome.written);
      metrics.addMetric('MemoryRecordsDropped', MetricUnit.Count, outcome.dropped);
      metrics.addMetric('MemoryRecordsEvicted', MetricUnit.Count, outcome.evicted);
      metrics.addMetric('TokensIn', MetricUnit.Count, outcome.usage.input);
      metrics.addMetric('TokensOut', MetricUnit.Count, outcome.usage.output);
    },
  });
}
