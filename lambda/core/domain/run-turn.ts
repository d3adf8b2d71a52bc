import type { Clock } from '../ports/clock';
import type { Guardrail } from '../ports/guardrail';
import type { SessionRepository } from '../ports/session-repository';
import { agentDefinition, sessionAgentOf, stampOf, type AgentModels } from './agents';
import { commitStretch } from './commit-stretch';
import { ForbiddenError, RequestRecordedError, SessionAwaitingError, SessionNotFoundError } from './errors';
import { isMessageOf, replayFromMarker, requestMarkerFor, reusedRequestId } from './idempotency';
import { startPendingTool } from './pending-tool';
import type { SessionEvent } from './session-event';
import { isExpired, type RecordedTurn, type SessionHeader } from './session-header';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../../lib/contract/session-limits';
import { recordedTurnFor, userEventFor, type RoundsOutcome } from './turn-plan';
import { validateTurnRequest, type TurnRequest } from './turn-request';
import { turnResultFromEvents, type TurnResult } from './turn-result';
import type { TurnTools } from './turn-rounds';

/** The session store, the deployment's agents (each with its model), tools and limits, and the time. */
export interface TurnDeps extends AgentModels {
  readonly sessions: SessionRepository;
  readonly clock: Clock;
  /** The deployment's tools. @default none: every tool call is refused as not_allowed */
  readonly tools?: TurnTools;
  readonly limits?: Partial<SessionLimits>;
  /** Each agent's guardrail (turn-rounds.ts). @default none: nothing is checked and no guardrail is called */
  guardrailFor?(agent: string): Guardrail | undefined;
}

/**
 * One turn: one read, the session's agent (its model, the fast tools it
 * calls and the delegates it asks, as many rounds as the limits allow), one
 * conditional write. Whatever fails before the
 * write leaves the session untouched; a retry of a committed request returns
 * its stored result and writes nothing, however long ago it committed. A
 * turn that calls a slow tool commits the call as pending, then starts its
 * workflow (202).
 *
 * A retry is found three ways: in the header's recent map (no model call);
 * for an older one, by the commit, refused on the request's marker, which
 * returns the stored marker; or, while the session waits on a slow call, by
 * reading the marker (one GetItem) before refusing the turn.
 */
export async function runTurn(deps: TurnDeps, request: TurnRequest): Promise<TurnResult> {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
  validateTurnRequest(request, limits);
  const { tenant, session } = request;

  const { header, events } = await deps.sessions.load(tenant, session, limits.contextEvents, { resolvePayloads: true });
  const now = deps.clock.now();
  if (isExpired(header, now)) throw new SessionNotFoundError(tenant, session);
  // AC-3: checked before the replay, so another principal cannot read a stored result either.
  if (header.owner !== request.actor) {
    throw new ForbiddenError(`${request.actor} is not the owner of session ${session}`);
  }
  if (Object.hasOwn(header.recentRequests, request.requestId)) {
    return replayTurn(deps, request, header, header.recentRequests[request.requestId], events);
  }
  if (header.status !== 'idle') {
    const marker = await deps.sessions.readRequestMarker(tenant, session, request.requestId);
    if (marker) return replayFromMarker(marker, request.message);
    throw new SessionAwaitingError(header.status, header.activeTurn?.requestId);
  }

  // The session's agent takes the turn with its definition as deployed now; the events record which version that is.
  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const time = now.toISOString();
  const userEvent = userEventFor(header, request, time, stampOf(agent, 0));
  const recordOf = (rounds: RoundsOutcome) => {
    const turn = recordedTurnFor(header, rounds, userEvent.seq, rounds.usage);
    return { requestId: request.requestId, turn, marker: { kind: 'first' as const, marker: requestMarkerFor(request.requestId, turn, rounds.events) } };
  };
  try {
    const { outcome, record } = await commitStretch(
      { sessions: deps.sessions, agents: deps.agents, modelFor: (name) => deps.modelFor(name), guardrailFor: (name) => deps.guardrailFor?.(name), tools: deps.tools, limits },
      { tenant, session, header, agent: agent.name, loaded: events, opening: [userEvent], time, requestId: request.requestId, requestedBy: request.actor },
      recordOf,
      now,
    );
    return turnResultFromEvents(request.requestId, record.turn, outcome.events, false);
  } catch (error) {
    // An earlier attempt of this request committed (too long ago for the recent map, or just now, concurrently).
    if (error instanceof RequestRecordedError) return replayFromMarker(error.marker, request.message);
    throw error;
  }
}

/**
 * The turn's events are usually among those just loaded; only an older turn
 * costs a second read. A retry of the turn the session still waits on starts
 * its workflow again (idempotent), in case the first attempt stopped between
 * its commit and the start.
 */
async function replayTurn(
  deps: TurnDeps,
  request: TurnRequest,
  header: SessionHeader,
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
  if (userEvent && !isMessageOf(events, userEvent, request.message)) throw reusedRequestId(request.requestId);
  const pending = header.pendingTool;
  if (pending && pending.requestId === request.requestId && deps.tools) {
    await startPendingTool(deps.tools.slowTools, request.tenant, request.session, pending);
  }
  return turnResultFromEvents(request.requestId, recorded, events, true);
}
