import type { Clock } from '../ports/clock';
import type { ChatMessage, ModelBackend, ModelReply, ToolSpec } from '../ports/model-backend';
import type { SessionRepository } from '../ports/session-repository';
import { assertWithinBudget } from './budget';
import { buildContext } from './context-builder';
import { ForbiddenError, ModelError, SessionAwaitingError, SessionNotFoundError, StatehouseError, ValidationError } from './errors';
import type { SessionEvent } from './session-event';
import { isExpired, type RecordedTurn } from './session-header';
import { DEFAULT_TURN_LIMITS, type TurnLimits } from './turn-limits';
import { planTurn, userEventFor } from './turn-plan';
import { validateTurnRequest, type TurnRequest } from './turn-request';
import { turnResultFromEvents, type TurnResult } from './turn-result';

export interface TurnDeps {
  readonly sessions: SessionRepository;
  readonly model: ModelBackend;
  readonly clock: Clock;
  /** Tools the model may call in this deployment. */
  readonly tools?: readonly ToolSpec[];
  readonly limits?: Partial<TurnLimits>;
}

/**
 * One turn: one read, one model call, one conditional write. Whatever fails
 * before the write leaves the session untouched; a retry of a committed
 * request returns its stored result and writes nothing.
 */
export async function runTurn(deps: TurnDeps, request: TurnRequest): Promise<TurnResult> {
  const limits: TurnLimits = { ...DEFAULT_TURN_LIMITS, ...deps.limits };
  validateTurnRequest(request, limits);
  const { tenant, session } = request;

  const { header, events } = await deps.sessions.load(tenant, session, limits.historyEvents, { resolvePayloads: true });
  const now = deps.clock.now();
  if (isExpired(header, now)) throw new SessionNotFoundError(tenant, session);
  // AC-3: checked before the replay, so another principal cannot read a stored result either.
  if (header.owner !== request.actor) {
    throw new ForbiddenError(`${request.actor} is not the owner of session ${session}`);
  }
  if (Object.hasOwn(header.recentRequests, request.requestId)) {
    return replayTurn(deps, request, header.recentRequests[request.requestId], events);
  }
  if (header.status !== 'idle') throw new SessionAwaitingError(header.status);

  const userEvent = userEventFor(header, request, now.toISOString());
  const context = buildContext({
    summary: header.summary,
    summaryUpToSeq: header.summaryUpToSeq,
    eventsNewestFirst: [userEvent, ...events],
    maxTokens: limits.contextTokens,
  });
  assertWithinBudget(header, context.estimatedTokens);

  const reply = await askModel(deps, context.messages);
  const plan = planTurn(header, request, userEvent, reply, now, limits);
  await deps.sessions.commitTurn(tenant, session, header.version, plan.events, plan.headerUpdate);
  return plan.result;
}

async function askModel(deps: TurnDeps, messages: readonly ChatMessage[]): Promise<ModelReply> {
  try {
    return await deps.model.chat(messages, deps.tools);
  } catch (error) {
    if (error instanceof StatehouseError) throw error;
    throw new ModelError(`model backend failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The turn's events are usually among those just loaded; only an older turn costs a second read. */
async function replayTurn(
  deps: TurnDeps,
  request: TurnRequest,
  recorded: RecordedTurn,
  loaded: readonly SessionEvent[],
): Promise<TurnResult> {
  const { turnSeq } = recorded;
  const count = recorded.result.lastSeq - turnSeq + 1;
  let events = loaded.filter((event) => event.seq >= turnSeq && event.seq <= recorded.result.lastSeq);
  if (events.length < count) {
    const page = await deps.sessions.readEvents(request.tenant, request.session, {
      afterSeq: turnSeq - 1,
      limit: count,
      resolvePayloads: true,
    });
    events = [...page.events];
  }
  const userEvent = events.find((event) => event.seq === turnSeq);
  if (userEvent && userEvent.content !== request.message) {
    throw new ValidationError('requestId', `"${request.requestId}" was already used for a different message`);
  }
  return turnResultFromEvents(request.requestId, recorded, events, true);
}
