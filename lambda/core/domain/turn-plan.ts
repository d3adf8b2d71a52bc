import type { ModelReply } from '../ports/model-backend';
import { ModelError } from './errors';
import type { AgentStamp } from './agents';
import { sealEvents } from './hash-chain';
import { recordRequest } from './idempotency';
import { statusWhilePending } from './pending-tool';
import type { EventDraft, SessionEvent } from './session-event';
import {
  expiresAtFrom,
  inboxChange,
  type PendingTool,
  type RecordedTurn,
  type ActiveTurn,
  type ClientCall,
  type SessionHeader,
  type TokenUsage,
  type TurnHeaderUpdate,
} from './session-header';
import { estimateTokens } from './token-estimate';
import { toolCallDraft } from './tool-call-event';
import { ttlSecondsOf, type SessionLimits } from '../../../lib/contract/session-limits';
import type { TurnRequest } from './turn-request';
import type { FinishReason } from './turn-step';
import { turnResultFromEvents, type TurnResult } from './turn-result';

/** The actor recorded on events the model produced. */
export const MODEL_ACTOR = 'model';

/**
 * The turn's first event, chained after the session's last. Built before the
 * model call, as the context needs it. `served` names the agent that takes
 * the turn; without it the event has the shape of one written before agents.
 */
export function userEventFor(header: SessionHeader, request: TurnRequest, time: string, served?: AgentStamp): SessionEvent {
  const draft: EventDraft = {
    seq: header.lastSeq + 1,
    type: 'user',
    content: request.message,
    tokens: estimateTokens(request.message),
    actor: request.actor,
    time,
    ...served,
  };
  return sealEvents([draft], header.lastHash)[0];
}

function isTokenCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A reply the session cannot store faithfully is the backend's fault (502), not the caller's. */
export function assertUsableReply(reply: ModelReply, limits: Pick<SessionLimits, 'maxToolCallsPerTurn'>): void {
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

/** A model reply as events: the assistant's text, then one event per tool call. */
export function replyDrafts(reply: ModelReply, firstSeq: number, time: string): EventDraft[] {
  const assistant: EventDraft = {
    seq: firstSeq,
    type: 'assistant',
    content: reply.text,
    tokens: reply.usage.output,
    actor: MODEL_ACTOR,
    time,
  };
  return [assistant, ...reply.toolCalls.map((call, index) => toolCallDraft(call, firstSeq + 1 + index, MODEL_ACTOR, time))];
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { input: a.input + b.input, output: a.output + b.output };
}

/** What a stretch of model rounds produced: new events, chained after the header, and what the session now waits on. */
export interface RoundsOutcome {
  readonly events: readonly SessionEvent[];
  /** Tokens the model calls of this stretch used, its delegates' included. */
  readonly usage: TokenUsage;
  readonly pending?: PendingTool;
  /** The calls of the client's functions the stretch ended with: the session waits for their outputs. */
  readonly clientCalls?: readonly ClientCall[];
  /** The session's agent after the stretch: the one that served it, or the one it was handed to. Absent keeps the header's. */
  readonly agent?: string;
  /** Model calls of the session's agent in this stretch. */
  readonly modelCalls?: number;
  /** Why the stretch finished; absent when it waits on a slow call or the client's calls, or stopped at a round boundary. */
  readonly finish?: FinishReason;
  /** Set when the stretch stopped at a round boundary (RoundsOptions.modelCallsAtMost): the turn goes on. */
  readonly continues?: true;
}

function statusAfter(outcome: RoundsOutcome) {
  if (outcome.pending) return statusWhilePending(outcome.pending);
  return outcome.clientCalls ? 'awaiting_client' : 'idle';
}

/** A request's stored result after this commit: what its retry returns. `usage` counts the whole request. */
export function recordedTurnFor(header: SessionHeader, outcome: RoundsOutcome, turnSeq: number, usage: TokenUsage): RecordedTurn {
  const last = outcome.events[outcome.events.length - 1];
  return { turnSeq, result: { version: header.version + 1, lastSeq: last.seq, status: statusAfter(outcome), usage } };
}

/**
 * The header a commit writes: the chain's new end, the tokens spent, the
 * status and pending call, and the request's recorded result (when given).
 */
export function headerUpdateFor(
  header: SessionHeader,
  outcome: RoundsOutcome,
  record: { readonly requestId: string; readonly turn: RecordedTurn } | undefined,
  now: Date,
  sessionTtlSeconds: number,
  /** The background turn that goes on after this commit (absent: none does). */
  activeTurn?: ActiveTurn,
): TurnHeaderUpdate {
  const last = outcome.events[outcome.events.length - 1];
  const inbox = inboxChange(header.pendingTool, outcome.pending);
  return {
    lastSeq: last.seq,
    lastHash: last.hash,
    tokens: addUsage(header.tokens, outcome.usage),
    recentRequests: record ? recordRequest(header.recentRequests, record.requestId, record.turn) : header.recentRequests,
    status: activeTurn && !outcome.pending ? 'running' : statusAfter(outcome),
    expiresAt: expiresAtFrom(now, sessionTtlSeconds),
    updatedAt: now.toISOString(),
    pendingTool: outcome.pending,
    activeTurn,
    clientCalls: outcome.clientCalls,
    agent: outcome.agent ?? header.agent,
    ...(inbox ? { inbox } : {}),
  };
}

export interface TurnPlan {
  /** The user event, then the assistant event, chained. */
  readonly events: SessionEvent[];
  readonly headerUpdate: TurnHeaderUpdate;
  readonly result: TurnResult;
}

/**
 * Everything a turn writes when the model answers in one reply without
 * calling a tool (runTurn runs the tools a reply calls; see turn-rounds.ts).
 */
export function planTurn(
  header: SessionHeader,
  request: TurnRequest,
  userEvent: SessionEvent,
  reply: ModelReply,
  now: Date,
  limits: Pick<SessionLimits, 'maxToolCallsPerTurn' | 'ttlDays'>,
): TurnPlan {
  assertUsableReply(reply, limits);
  if (reply.toolCalls.length > 0) throw new Error('planTurn plans a reply without tool calls; runTurn runs the tools a reply calls');
  const events = [userEvent, ...sealEvents(replyDrafts(reply, userEvent.seq + 1, userEvent.time), userEvent.hash)];
  const outcome: RoundsOutcome = { events, usage: reply.usage };
  const turn = recordedTurnFor(header, outcome, userEvent.seq, reply.usage);
  const headerUpdate = headerUpdateFor(header, outcome, { requestId: request.requestId, turn }, now, ttlSecondsOf(limits));
  return { events, headerUpdate, result: turnResultFromEvents(request.requestId, turn, events, false) };
}
