import type { Clock } from '../ports/clock';
import type { AgentLoop } from '../ports/agent-loop';
import type { ModelBackend, ToolSpec } from '../ports/model-backend';
import { agentLoopExecutionName, startBackgroundLoop, type BackgroundSettings } from './background-turn';
import type { Guardrail } from '../ports/guardrail';
import type { SessionRepository } from '../ports/session-repository';
import { startRecall, type RecallDeps } from './recall-memory';
import { agentDefinition, sessionAgentOf, stampOf, type AgentModels } from './agents';
import { assertClientTools } from './client-calls';
import { commitStretch } from './commit-stretch';
import { ForbiddenError, RequestRecordedError, SessionAwaitingError, SessionNotFoundError } from './errors';
import { isMessageOf, replayFromMarker, requestMarkerFor, reusedRequestId } from './idempotency';
import { startPendingTool } from './pending-tool';
import type { SessionEvent } from './session-event';
import { isExpired, type ActiveTurn, type RecordedTurn, type SessionHeader } from './session-header';
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
  /** Where a synchronous turn out of time goes on. @default none: it runs to its end inside the call */
  readonly overflow?: SyncOverflow;
  /** The memory store and the agents that recall from it (recall-memory.ts). @default none: nothing is recalled */
  readonly memory?: RecallDeps;
}

/**
 * A synchronous turn that runs out of time goes on as a background turn
 * (background-turn.ts) instead of failing at API Gateway's limit: before
 * each model call after the first, the turn asks whether the call still
 * fits, and if not commits what it has, starts the agent loop and answers
 * 202 with the turn's address.
 */
export interface SyncOverflow {
  readonly loop: AgentLoop;
  readonly background: BackgroundSettings;
  /** When the caller must have its answer, from the turn's start (API Gateway's 29 s, less a margin). */
  readonly answerWithinMs: number;
  /** The longest one model call may take (its request timeout). */
  readonly modelCallMs: number;
}

/**
 * How long the next model call is taken to need: twice the slowest of this
 * turn so far plus a second, never more than its timeout. A guess on
 * purpose: asking only when the full timeout still fits would send nearly
 * every turn with tools to the background.
 */
export function nextCallEstimateMs(slowestCallMs: number, modelCallMs: number): number {
  return Math.min(modelCallMs, 2 * slowestCallMs + 1000);
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
export interface TurnOptions {
  /** Each reply's text as it arrives (a streaming turn; RoundsOptions.onText). */
  readonly onText?: (round: number, delta: string) => void;
  /**
   * The client's own functions, offered to the session's agent beside its
   * tools (StretchStart.clientTools): a reply that calls one ends the turn
   * `awaiting_client`. Such a turn runs to its end inside the call, even
   * with an overflow: the agent loop could not hand a call back to the client.
   * @default none
   */
  readonly clientTools?: readonly ToolSpec[];
}

export async function runTurn(deps: TurnDeps, request: TurnRequest, options: TurnOptions = {}): Promise<TurnResult> {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
  validateTurnRequest(request, limits);
  const { tenant, session } = request;

  // The person's records are read while the session is: the turn waits for the slower of the two reads.
  const recall = startRecall(deps.memory, tenant, request.actor, request.message);
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
    throw SessionAwaitingError.of(header);
  }

  // The session's agent takes the turn with its definition as deployed now; the events record which version that is.
  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const time = now.toISOString();
  const userEvent = userEventFor(header, request, time, stampOf(agent, 0));
  const clientTools = options.clientTools ?? [];
  assertClientTools(agent, clientTools);
  const overflow = clientTools.length > 0 ? undefined : deps.overflow;
  const recalled = await recall.forAgent(agent.name);
  const executionName = agentLoopExecutionName(tenant, session, request.requestId);
  const deadline = overflow ? new Date(now.getTime() + overflow.background.deadlineSeconds * 1000).toISOString() : '';
  const activeTurnOf = (rounds: RoundsOutcome): ActiveTurn | undefined =>
    rounds.continues
      ? {
          requestId: request.requestId,
          requestedBy: request.actor,
          turnSeq: userEvent.seq,
          status: 'running',
          rounds: rounds.modelCalls ?? 0,
          startRound: rounds.modelCalls ?? 0,
          usage: rounds.usage,
          deadline,
          executionName,
        }
      : undefined;
  const recordOf = (rounds: RoundsOutcome) => {
    const recorded = recordedTurnFor(header, rounds, userEvent.seq, rounds.usage);
    const active = activeTurnOf(rounds);
    const turn = active ? { ...recorded, result: { ...recorded.result, status: 'running' as const } } : recorded;
    const progress = active ? { status: 'running' as const, rounds: active.rounds, deadline } : undefined;
    return { requestId: request.requestId, turn, marker: { kind: 'first' as const, marker: requestMarkerFor(request.requestId, turn, rounds.events, progress) } };
  };
  const timing = overflow ? timedModels(deps, overflow, now) : undefined;
  try {
    const { outcome, record } = await commitStretch(
      {
        sessions: deps.sessions,
        agents: deps.agents,
        modelFor: timing ? timing.modelFor : (name) => deps.modelFor(name),
        guardrailFor: (name) => deps.guardrailFor?.(name),
        tools: deps.tools,
        limits,
        ...(deps.memory ? { memory: deps.memory } : {}),
      },
      {
        tenant,
        session,
        header,
        agent: agent.name,
        loaded: events,
        opening: [userEvent],
        time,
        requestId: request.requestId,
        requestedBy: request.actor,
        ...(clientTools.length > 0 ? { clientTools } : {}),
        ...(recalled.text ? { memory: recalled.text } : {}),
      },
      recordOf,
      now,
      { rounds: { ...(timing ? { stopBeforeAsk: timing.outOfTime } : {}), ...(options.onText ? { onText: options.onText } : {}) }, activeTurnOf },
    );
    const result = turnResultFromEvents(request.requestId, record.turn, outcome.events, false);
    const active = activeTurnOf(outcome);
    if (!active || !overflow) return result;
    await startBackgroundLoop(overflow.loop, tenant, session, active);
    return { ...result, background: movedToBackground(session, active) };
  } catch (error) {
    // An earlier attempt of this request committed (too long ago for the recent map, or just now, concurrently).
    if (error instanceof RequestRecordedError) return replayFromMarker(error.marker, request.message);
    throw error;
  }
}

/** The models of the turn, each call timed by the turn's clock, and whether the next call still fits the caller's wait. */
function timedModels(deps: TurnDeps, overflow: SyncOverflow, start: Date) {
  let slowest = 0;
  return {
    modelFor(name: string): ModelBackend {
      const model = deps.modelFor(name);
      return {
        async chat(messages, tools, options) {
          const asked = deps.clock.now().getTime();
          try {
            return await model.chat(messages, tools, options);
          } finally {
            slowest = Math.max(slowest, deps.clock.now().getTime() - asked);
          }
        },
      };
    },
    outOfTime(): boolean {
      const elapsed = deps.clock.now().getTime() - start.getTime();
      return elapsed + nextCallEstimateMs(slowest, overflow.modelCallMs) > overflow.answerWithinMs;
    },
  };
}

/** What a synchronous turn that moved to the background tells its caller. */
function movedToBackground(session: string, active: ActiveTurn): NonNullable<TurnResult['background']> {
  return {
    requestId: active.requestId,
    status: 'running',
    rounds: active.rounds,
    message: `the turn ran out of time for one call and continues in the background; follow it at GET /sessions/${session}/turns/${active.requestId}`,
  };
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
  // A turn that opened with the client's function outputs (client-calls.ts) was no message's.
  if (userEvent && (userEvent.type !== 'user' || !isMessageOf(events, userEvent, request.message))) throw reusedRequestId(request.requestId);
  const pending = header.pendingTool;
  if (pending && pending.requestId === request.requestId && deps.tools) {
    await startPendingTool(deps.tools.slowTools, request.tenant, request.session, pending);
  }
  const result = turnResultFromEvents(request.requestId, recorded, events, true);
  const active = header.activeTurn;
  if (active?.requestId !== request.requestId || !deps.overflow) return result;
  // It moved to the background: in case the first attempt stopped between its commit and the loop's start.
  await startBackgroundLoop(deps.overflow.loop, request.tenant, request.session, active);
  return { ...result, background: movedToBackground(request.session, active) };
}
