import { createHash } from 'node:crypto';
import type { ToolCall } from '../ports/model-backend';
import { ValidationError } from './errors';
import { recordedMessageDigest, type GuardrailNotice } from './guardrail-event';
import type { SessionEvent } from './session-event';
import { RECENT_REQUESTS_KEPT, type RecordedTurn } from './session-header';
import { turnResultFromEvents, type TurnResult } from './turn-result';
import type { TurnStatus } from '../../../lib/contract/agent-loop';

/**
 * A request is answered once for the life of its session. Two records serve
 * its retries:
 *
 * - the header's small map of recent requests: the fast path, read with the
 *   header, so a recent retry calls no model;
 * - a marker item per request, written in the same transaction as its turn
 *   (`Put` only if absent), holding what a retry returns. An older retry runs
 *   the model, its commit is refused on the marker, and the refusal carries
 *   the stored marker back: the retry answers with it, writing nothing and
 *   reading nothing more.
 */

/**
 * Records a turn under its requestId in the header's map and keeps only the
 * newest entries (by turnSeq, which grows with every turn), so the header
 * stays small however long the session runs.
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

/** What a request's marker item holds: the recorded turn and the answer its result shows, so no event is read to replay it. */
export interface RequestMarker {
  readonly requestId: string;
  /** sha256 of the request's message, hex: reusing the id for another message is refused without reading the turn. */
  readonly messageDigest: string;
  readonly turn: RecordedTurn;
  /** The model's last answer in the turn. */
  readonly reply: string;
  /** Every tool call of the turn, in order. */
  readonly toolCalls: readonly ToolCall[];
  /** What a guardrail blocked or masked, as the turn's result shows it. */
  readonly guardrail?: readonly GuardrailNotice[];
  /** A background turn's progress when the marker was written (absent: a synchronous turn). */
  readonly progress?: TurnProgress;
}

/** What a background turn's marker records of its progress. */
export interface TurnProgress {
  readonly status: TurnStatus;
  /** Rounds committed. */
  readonly rounds: number;
  /** Why the turn ended without its answer (cancelled, incomplete, failed). */
  readonly reason?: string;
  readonly deadline: string;
}

/**
 * The marker a commit writes with its turn: `first` for the turn's first
 * commit (only if no marker exists: a second attempt of the request loses to
 * the first), `resumed` for the commit that finishes a turn after its slow
 * call (only if the marker exists).
 */
export interface RequestMarkerWrite {
  readonly kind: 'first' | 'resumed';
  readonly marker: RequestMarker;
}

export function messageDigest(message: string): string {
  return createHash('sha256').update(message, 'utf8').digest('hex');
}

/**
 * The marker of a turn from its events (seq `turn.turnSeq`..`turn.result.lastSeq`,
 * any order): the same reply and tool calls the turn's result shows.
 */
export function requestMarkerFor(requestId: string, turn: RecordedTurn, turnEvents: readonly SessionEvent[], progress?: TurnProgress): RequestMarker {
  const userEvent = turnEvents.find((event) => event.seq === turn.turnSeq);
  if (userEvent?.type !== 'user') throw new Error(`turn of request ${requestId} does not start with a user event`);
  const digest = recordedMessageDigest(turnEvents, userEvent) ?? messageDigest(userEvent.content);
  return requestMarkerWithDigest(requestId, digest, turn, turnEvents, progress);
}

/**
 * The marker of a turn whose request is identified by `digest`: a turn that
 * opened with something other than a message (the client's function outputs,
 * client-calls.ts) has no user event to take it from. Such a turn may end
 * without an answer (its session's budget spent), as a background one may.
 */
export function requestMarkerWithDigest(
  requestId: string,
  digest: string,
  turn: RecordedTurn,
  turnEvents: readonly SessionEvent[],
  progress?: TurnProgress,
  answerRequired = progress === undefined,
): RequestMarker {
  const result = turnResultFromEvents(requestId, turn, turnEvents, false, answerRequired);
  return {
    requestId,
    messageDigest: digest,
    turn,
    reply: result.reply,
    toolCalls: result.toolCalls,
    ...(result.guardrail ? { guardrail: result.guardrail } : {}),
    ...(progress ? { progress } : {}),
  };
}

/** Whether `message` is the one the turn's user event was sent with (a guardrail may have masked or withheld what it stores). */
export function isMessageOf(turnEvents: readonly SessionEvent[], userEvent: SessionEvent, message: string): boolean {
  const recorded = recordedMessageDigest(turnEvents, userEvent);
  return recorded === undefined ? userEvent.content === message : recorded === messageDigest(message);
}

/** A retry's answer from the marker, once the retry is known to send the same message. */
export function replayFromMarker(marker: RequestMarker, message: string): TurnResult {
  if (marker.messageDigest !== messageDigest(message)) throw reusedRequestId(marker.requestId);
  const { turnSeq, result } = marker.turn;
  return {
    requestId: marker.requestId,
    version: result.version,
    turnSeq,
    lastSeq: result.lastSeq,
    reply: marker.reply,
    toolCalls: marker.toolCalls,
    status: result.status,
    usage: result.usage,
    replayed: true,
    ...(marker.guardrail ? { guardrail: marker.guardrail } : {}),
  };
}

export function reusedRequestId(requestId: string): ValidationError {
  return new ValidationError('requestId', `"${requestId}" was already used for a different message`);
}
