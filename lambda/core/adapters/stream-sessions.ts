import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { StatehouseError } from '../domain/errors';
import { EVENT_SK_PREFIX } from '../domain/session-keys';

/** One session touched by a stream batch, with the records that touched it. */
export interface StreamSession {
  readonly tenant: string;
  readonly session: string;
  /** The records' stream sequence numbers: what a failure reports back to Lambda. */
  readonly sequenceNumbers: string[];
}

/** `T#{tenant}#S#{session}`: ids exclude `#`, so the split is unambiguous. */
const SESSION_PK = /^T#([^#]+)#S#([^#]+)$/;

/**
 * Groups a batch's new-event records by session, so a session written to
 * many times in one batch is worked on once (summarized, its memory extracted). Records that are not event
 * inserts (the event source filter should already have dropped them) are
 * returned apart, to be logged and skipped.
 */
export function sessionsInBatch(records: readonly DynamoDBRecord[]): { sessions: StreamSession[]; ignored: number } {
  const sessions = new Map<string, StreamSession>();
  let ignored = 0;
  for (const record of records) {
    const pk = record.dynamodb?.Keys?.pk?.S;
    const sk = record.dynamodb?.Keys?.sk?.S;
    const match = pk === undefined ? null : SESSION_PK.exec(pk);
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (record.eventName !== 'INSERT' || !match || !sk?.startsWith(EVENT_SK_PREFIX) || sequenceNumber === undefined) {
      ignored++;
      continue;
    }
    const [key, tenant, session] = match;
    const group = sessions.get(key) ?? { tenant, session, sequenceNumbers: [] };
    group.sequenceNumbers.push(sequenceNumber);
    sessions.set(key, group);
  }
  return { sessions: [...sessions.values()], ignored };
}

/** Sessions worked on at once: model calls overlap within the function's timeout without flooding the endpoint. */
export const SESSION_CONCURRENCY = 4;

export interface SessionBatchStep {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** What the step does for one session of the batch; a throw has that session's records retried. */
  work(target: StreamSession): Promise<void>;
  /** The metric counted and the message logged when `work` throws. */
  readonly failureMetric: string;
  readonly failureMessage: string;
}

/**
 * A stream-driven step's Lambda handler: the batch's new-event records
 * grouped by session, each session worked on once (SESSION_CONCURRENCY at a
 * time), and a session that fails reported as batch item failures, so
 * Lambda retries it from there while the other sessions' work stands.
 */
export function sessionBatchHandler(step: SessionBatchStep): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const { logger, metrics } = step;
  async function one(target: StreamSession): Promise<DynamoDBBatchItemFailure[]> {
    try {
      await step.work(target);
      return [];
    } catch (error) {
      metrics.addMetric(step.failureMetric, MetricUnit.Count, 1);
      // Typed errors carry content-free messages; anything else is logged with its stack.
      logger.error(step.failureMessage, {
        tenant: target.tenant,
        session: target.session,
        error: error instanceof StatehouseError ? { code: error.code, message: error.message } : error instanceof Error ? error : String(error),
      });
      return target.sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier }));
    }
  }
  return async function handler(event) {
    try {
      const { sessions, ignored } = sessionsInBatch(event.Records ?? []);
      if (ignored > 0) logger.warn('records that are not new events were skipped', { ignored });
      const failures: DynamoDBBatchItemFailure[] = [];
      for (let i = 0; i < sessions.length; i += SESSION_CONCURRENCY) {
        const results = await Promise.all(sessions.slice(i, i + SESSION_CONCURRENCY).map(one));
        failures.push(...results.flat());
      }
      return { batchItemFailures: failures };
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
