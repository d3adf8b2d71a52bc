import { RECENT_REQUESTS_KEPT, type RecordedTurn } from './session-header';

/**
 * Records a turn under its requestId and keeps only the newest entries (by
 * turnSeq, which grows with every turn), so the header stays small however
 * long the session runs.
 */
export function recordRequest(
  recent: Readonly<Record<string, RecordedTurn>>,
  requestId: string,
  turn: RecordedTurn,
  keep: number = RECENT_REQUESTS_KEPT,
): Record<string, RecordedTurn> {
  const newest = Object.entries({ ...recent, [requestId]: turn })
    .sort(([, a], [, b]) => b.turnSeq - a.turnSeq)
    .slice(0, keep);
  return Object.fromEntries(newest);
}
