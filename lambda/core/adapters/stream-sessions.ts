import type { DynamoDBRecord } from 'aws-lambda';
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
