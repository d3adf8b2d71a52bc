import type { ToolCall } from '../ports/model-backend';
import { guardrailNotices, type GuardrailNotice } from './guardrail-event';
import type { SessionEvent } from './session-event';
import type { RecordedTurn, SessionStatus, TokenUsage } from './session-header';
import { toolCallFromEvent } from './tool-call-event';

export interface TurnResult {
  readonly requestId: string;
  /** The session version this turn created. */
  readonly version: number;
  /** Seq of the turn's user event. */
  readonly turnSeq: number;
  /** Seq of the turn's last event. */
  readonly lastSeq: number;
  /** The session agent's last answer in the turn (after any tool rounds and delegations). */
  readonly reply: string;
  /** Every tool call the session's agent made in the turn, in order: those that ran, were refused, delegated, or are pending. */
  readonly toolCalls: readonly ToolCall[];
  readonly status: SessionStatus;
  readonly usage: TokenUsage;
  /** True when this is the stored result of an earlier attempt with the same requestId. */
  readonly replayed: boolean;
  /** What a guardrail blocked or masked in the turn, in order (names only, never the text). Absent when it changed nothing. */
  readonly guardrail?: readonly GuardrailNotice[];
  /** Set when the turn ran out of time and continues in the background (status `running`): where to follow it. */
  readonly background?: { readonly requestId: string; readonly status: 'running'; readonly rounds: number; readonly message: string };
}

/** Rebuilds a turn's result from its events. Throws when an event of the turn is missing: the log is then damaged. */
export function turnResultFromEvents(
  requestId: string,
  recorded: RecordedTurn,
  events: readonly SessionEvent[],
  replayed: boolean,
  /** A background turn may end (cancelled, failed) before its agent answered: its reply is then empty. */
  answerRequired = true,
): TurnResult {
  const { turnSeq, result } = recorded;
  const bySeq = new Map(events.map((event) => [event.seq, event]));
  const turnEvents: SessionEvent[] = [];
  for (let seq = turnSeq; seq <= result.lastSeq; seq++) {
    const event = bySeq.get(seq);
    if (!event) throw new Error(`turn of request ${requestId} lacks event ${seq}`);
    turnEvents.push(event);
  }
  // A delegate's events are its caller's tool result, not the turn's answer.
  const own = turnEvents.filter((event) => event.delegationDepth === undefined);
  const assistant = own.filter((event) => event.type === 'assistant').pop();
  if (!assistant && answerRequired) throw new Error(`turn of request ${requestId} has no assistant event`);
  const guardrail = guardrailNotices(turnEvents);
  return {
    requestId,
    version: result.version,
    turnSeq,
    lastSeq: result.lastSeq,
    reply: assistant?.content ?? '',
    toolCalls: own.filter((event) => event.type === 'tool_call').map(toolCallFromEvent),
    status: result.status,
    usage: result.usage,
    replayed,
    ...(guardrail.length > 0 ? { guardrail } : {}),
  };
}
