import type { ModelReply } from '../ports/model-backend';
import { ModelError } from './errors';
import { sealEvents } from './hash-chain';
import { recordRequest } from './idempotency';
import type { EventDraft, SessionEvent } from './session-event';
import { expiresAtFrom, type RecordedTurn, type SessionHeader, type TurnHeaderUpdate } from './session-header';
import { estimateTokens } from './token-estimate';
import { toolCallDraft } from './tool-call-event';
import type { TurnLimits } from './turn-limits';
import type { TurnRequest } from './turn-request';
import { turnResultFromEvents, type TurnResult } from './turn-result';

/** The actor recorded on events the model produced. */
export const MODEL_ACTOR = 'model';

/** The turn's first event, chained after the session's last. Built before the model call, as the context needs it. */
export function userEventFor(header: SessionHeader, request: TurnRequest, time: string): SessionEvent {
  const draft: EventDraft = {
    seq: header.lastSeq + 1,
    type: 'user',
    content: request.message,
    tokens: estimateTokens(request.message),
    actor: request.actor,
    time,
  };
  return sealEvents([draft], header.lastHash)[0];
}

function isTokenCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A reply the session cannot store faithfully is the backend's fault (502), not the caller's. */
function assertUsableReply(reply: ModelReply, limits: Pick<TurnLimits, 'maxToolCallsPerTurn'>): void {
  if (typeof reply.text !== 'string') throw new ModelError('model reply has no text');
  if (!isTokenCount(reply.usage.input) || !isTokenCount(reply.usage.output)) {
    throw new ModelError(`model reply has unusable token usage ${JSON.stringify(reply.usage)}`);
  }
  if (reply.toolCalls.length > limits.maxToolCallsPerTurn) {
    throw new ModelError(
      `model asked for ${reply.toolCalls.length} tool calls in one turn; the limit is ${limits.maxToolCallsPerTurn}`,
    );
  }
  const ids = new Set(reply.toolCalls.map((call) => call.id));
  if (ids.size !== reply.toolCalls.length || reply.toolCalls.some((call) => !call.id || !call.name)) {
    throw new ModelError('model reply has tool calls without a unique id and a name');
  }
}

export interface TurnPlan {
  /** The user event, the assistant event, then one event per tool call, chained. */
  readonly events: SessionEvent[];
  readonly headerUpdate: TurnHeaderUpdate;
  readonly result: TurnResult;
}

/** Everything a turn writes, decided from what was read and what the model said. */
export function planTurn(
  header: SessionHeader,
  request: TurnRequest,
  userEvent: SessionEvent,
  reply: ModelReply,
  now: Date,
  limits: Pick<TurnLimits, 'maxToolCallsPerTurn' | 'sessionTtlSeconds'>,
): TurnPlan {
  assertUsableReply(reply, limits);
  const time = userEvent.time;
  const assistant: EventDraft = {
    seq: userEvent.seq + 1,
    type: 'assistant',
    content: reply.text,
    tokens: reply.usage.output,
    actor: MODEL_ACTOR,
    time,
  };
  const toolCalls = reply.toolCalls.map((call, index) => toolCallDraft(call, assistant.seq + 1 + index, MODEL_ACTOR, time));
  const events = [userEvent, ...sealEvents([assistant, ...toolCalls], userEvent.hash)];
  const last = events[events.length - 1];

  const recorded: RecordedTurn = {
    turnSeq: userEvent.seq,
    result: {
      version: header.version + 1,
      lastSeq: last.seq,
      status: toolCalls.length > 0 ? 'awaiting_tool' : 'idle',
      usage: reply.usage,
    },
  };
  const headerUpdate: TurnHeaderUpdate = {
    lastSeq: last.seq,
    lastHash: last.hash,
    tokens: {
      input: header.tokens.input + reply.usage.input,
      output: header.tokens.output + reply.usage.output,
    },
    recentRequests: recordRequest(header.recentRequests, request.requestId, recorded),
    status: recorded.result.status,
    expiresAt: expiresAtFrom(now, limits.sessionTtlSeconds),
    updatedAt: now.toISOString(),
  };
  return { events, headerUpdate, result: turnResultFromEvents(request.requestId, recorded, events, false) };
}
