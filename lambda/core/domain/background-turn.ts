import { createHash } from 'node:crypto';
import type { AgentLoopInput, RoundEvent, RoundFailedEvent, RoundOutcome, TurnStatus } from '../../../lib/contract/agent-loop';
import { DEFAULT_SESSION_LIMITS, ttlSecondsOf, type SessionLimits } from '../../../lib/contract/session-limits';
import type { AgentLoop } from '../ports/agent-loop';
import type { ToolCall } from '../ports/model-backend';
import { agentDefinition, sessionAgentOf, stampOf } from './agents';
import { assertWithinBudget } from './budget';
import { canonicalJson } from './canonical-json';
import {
  ForbiddenError,
  RequestRecordedError,
  SessionAwaitingError,
  SessionNotFoundError,
  StatehouseError,
  ToolWorkflowError,
  TurnEndedError,
  TurnNotFoundError,
  ValidationError,
} from './errors';
import { guardOpening } from './guard';
import type { GuardrailNotice } from './guardrail-event';
import { sealEvents } from './hash-chain';
import { messageDigest, requestMarkerFor, reusedRequestId, type RequestMarker, type TurnProgress } from './idempotency';
import { slowToolRunInput, statusWhilePending } from './pending-tool';
import { recallForStretch } from './recall-memory';
import { eventsOfTurnSoFar, resumeOpening } from './resume-turn';
import type { TurnDeps } from './run-turn';
import type { SessionEvent } from './session-event';
import { isExpired, type ActiveTurn, type RecordedTurn, type SessionHeader, type TokenUsage, type TurnHeaderUpdate } from './session-header';
import { estimateTokens } from './token-estimate';
import { ORCHESTRATOR_ACTOR } from './tool-events';
import { addUsage, headerUpdateFor, userEventFor, type RoundsOutcome } from './turn-plan';
import { validateTurnRequest, type TurnRequest } from './turn-request';
import { runModelRounds } from './turn-rounds';

/**
 * Background turns: a turn that runs as an execution of the agent loop
 * (lib/contract/agent-loop.ts), one round per invocation, instead of inside
 * the API call.
 *
 * - `enqueueTurn` commits the user's message with the turn's record
 *   (`activeTurn` on the header, the request's marker) in one transaction,
 *   then starts the loop's execution, named after the turn, so a retry of
 *   the request starts the same one.
 * - `runRound` is one round: it loads the session, asks the agent's model
 *   once (running the fast tools and delegates the reply calls), and commits
 *   what it got in one TransactWriteItems conditioned on the header's
 *   version. The header counts the rounds committed, so a round retried
 *   after its commit landed asks nothing and answers as it did.
 * - A cancel, the deadline, the round limit and the token budget end the
 *   turn at the next step boundary; what was done is kept, and a `turn_end`
 *   event records why.
 */

/** A background turn's limits (configuration `background.*`). */
export interface BackgroundSettings {
  readonly deadlineSeconds: number;
  readonly maxRounds: number;
}

export interface BackgroundDeps extends TurnDeps {
  readonly loop: AgentLoop;
  readonly background: BackgroundSettings;
}

/** What `GET /sessions/{id}/turns/{requestId}` shows of a turn. */
export interface TurnView {
  readonly requestId: string;
  readonly mode: 'sync' | 'background';
  readonly status: TurnStatus;
  /** Rounds committed (model calls of the session's agent); background turns only. */
  readonly rounds?: number;
  readonly usage: TokenUsage;
  /** Seq of the turn's user event, and of the newest event it has committed: read them with `afterSeq`. */
  readonly turnSeq: number;
  readonly lastSeq: number;
  /** The agent's answer, once the turn ended with one. */
  readonly reply?: string;
  readonly toolCalls?: readonly ToolCall[];
  readonly guardrail?: readonly GuardrailNotice[];
  readonly deadline?: string;
  /** Why the turn ended without its answer. */
  readonly reason?: string;
  /** A cancel asked for, not yet carried out (the next step boundary carries it out). */
  readonly cancelRequested?: ActiveTurn['cancel'];
}

const NO_USAGE: TokenUsage = { input: 0, output: 0 };

/** The agent loop's execution of a turn: a hash of where the turn lives, so every start of it asks for the same execution. */
export function agentLoopExecutionName(tenant: string, session: string, requestId: string): string {
  const digest = createHash('sha256').update(['turn', tenant, session, requestId].join('\u0000'), 'utf8').digest('hex');
  return `turn-${digest.slice(0, 64)}`;
}

function limitsOf(deps: TurnDeps): SessionLimits {
  return { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
}

async function loadLive(deps: TurnDeps, tenant: string, session: string, events: number) {
  const loaded = await deps.sessions.load(tenant, session, events, { resolvePayloads: true });
  if (isExpired(loaded.header, deps.clock.now())) throw new SessionNotFoundError(tenant, session);
  return loaded;
}

function assertOwner(header: SessionHeader, actor: string, session: string): void {
  // AC-3: only the owner sends, reads and cancels its turns.
  if (header.owner !== actor) throw new ForbiddenError(`${actor} is not the owner of session ${session}`);
}

function loopInput(tenant: string, session: string, active: ActiveTurn): AgentLoopInput {
  return { tenant, session, requestId: active.requestId, round: active.startRound };
}

/** Starts (or starts again: idempotent) the loop's execution of a recorded turn. */
async function startLoop(deps: BackgroundDeps, tenant: string, session: string, active: ActiveTurn): Promise<void> {
  return startBackgroundLoop(deps.loop, tenant, session, active);
}

/** The same, for a synchronous turn that moved to the background (run-turn.ts). */
export async function startBackgroundLoop(loop: AgentLoop, tenant: string, session: string, active: ActiveTurn): Promise<void> {
  try {
    await loop.start(active.executionName, loopInput(tenant, session, active));
  } catch (error) {
    if (error instanceof StatehouseError && !(error instanceof ToolWorkflowError)) throw error;
    throw new ToolWorkflowError('the turn was recorded, but the agent loop could not be started; retry the request with the same requestId', {
      cause: error,
    });
  }
}

// ----- views -----

function activeView(header: SessionHeader, active: ActiveTurn): TurnView {
  return {
    requestId: active.requestId,
    mode: 'background',
    status: active.status,
    rounds: active.rounds,
    usage: active.usage,
    turnSeq: active.turnSeq,
    lastSeq: header.lastSeq,
    deadline: active.deadline,
    ...(active.cancel ? { cancelRequested: active.cancel } : {}),
  };
}

function markerView(marker: RequestMarker): TurnView {
  const { turnSeq, result } = marker.turn;
  const answered = marker.reply.length > 0 || marker.toolCalls.length > 0;
  const common = {
    requestId: marker.requestId,
    usage: result.usage,
    turnSeq,
    lastSeq: result.lastSeq,
    ...(answered ? { reply: marker.reply, toolCalls: marker.toolCalls } : {}),
    ...(marker.guardrail ? { guardrail: marker.guardrail } : {}),
  };
  if (!marker.progress) {
    // A synchronous turn: finished (handing calls to the client ends it too), or waiting on its slow call.
    const status: TurnStatus = result.status === 'idle' || result.status === 'running' || result.status === 'awaiting_client' ? 'completed' : result.status;
    return { ...common, mode: 'sync', status };
  }
  const { status, rounds, reason, deadline } = marker.progress;
  return { ...common, mode: 'background', status, rounds, deadline, ...(reason === undefined ? {} : { reason }) };
}

/** The turn as the header (while it runs) or its marker (once it ended, or a synchronous one) shows it. */
async function viewOf(deps: TurnDeps, tenant: string, session: string, header: SessionHeader, requestId: string): Promise<TurnView> {
  if (header.activeTurn?.requestId === requestId) return activeView(header, header.activeTurn);
  const marker = await deps.sessions.readRequestMarker(tenant, session, requestId);
  if (!marker) throw new TurnNotFoundError(requestId);
  return markerView(marker);
}

// ----- enqueue -----

/**
 * `POST /sessions/{id}/turns { mode: "background" }`: the turn is recorded
 * (the user event, the header's activeTurn, the request's marker: one
 * TransactWriteItems) and the agent loop started. A retry of the request
 * gets the turn as it is now, and starts the loop again if it still runs
 * (StartExecution of the same name and input is idempotent).
 */
export async function enqueueTurn(deps: BackgroundDeps, request: TurnRequest): Promise<TurnView> {
  const limits = limitsOf(deps);
  validateTurnRequest(request, limits);
  const { tenant, session, requestId } = request;
  const { header } = await loadLive(deps, tenant, session, 0);
  assertOwner(header, request.actor, session);
  const now = deps.clock.now();

  if (Object.hasOwn(header.recentRequests, requestId) || header.status !== 'idle') {
    const marker = await deps.sessions.readRequestMarker(tenant, session, requestId);
    if (marker) return retried(deps, header, marker, request);
    if (header.status !== 'idle') throw SessionAwaitingError.of(header);
    throw new ValidationError('requestId', `"${requestId}" was used by an earlier turn of this session`);
  }
  // A turn its budget cannot even open is refused now, as a synchronous one is, and writes nothing.
  assertWithinBudget(header, estimateTokens(request.message));

  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const userEvent = userEventFor(header, request, now.toISOString(), stampOf(agent, 0));
  const deadline = new Date(now.getTime() + deps.background.deadlineSeconds * 1000).toISOString();
  const active: ActiveTurn = {
    requestId,
    requestedBy: request.actor,
    turnSeq: userEvent.seq,
    status: 'queued',
    rounds: 0,
    startRound: 0,
    usage: NO_USAGE,
    deadline,
    executionName: agentLoopExecutionName(tenant, session, requestId),
  };
  // The agent's guardrail checks the message now, as a synchronous turn's does before any model sees it: the rounds open with
  // no new event. A blocked message is answered by the guardrail at once, a completed turn that starts no loop.
  let opening: readonly SessionEvent[] = [userEvent];
  const guardrail = deps.guardrailFor?.(agent.name);
  if (guardrail) {
    const stretch = { tenant, session, header, agent: agent.name, loaded: [], opening, time: userEvent.time, requestId, requestedBy: request.actor };
    const guarded = await guardOpening(guardrail, stretch);
    if (guarded.kind === 'blocked') return answeredByGuardrail(deps, header, request, guarded.outcome.events, deadline, now);
    opening = guarded.start.opening;
  }
  const last = opening[opening.length - 1];
  const outcome: RoundsOutcome = { events: opening, usage: NO_USAGE };
  const turn: RecordedTurn = { turnSeq: userEvent.seq, result: { version: header.version + 1, lastSeq: last.seq, status: 'running', usage: NO_USAGE } };
  const marker: RequestMarker = {
    requestId,
    messageDigest: messageDigest(request.message),
    turn,
    reply: '',
    toolCalls: [],
    progress: { status: 'queued', rounds: 0, deadline },
  };
  try {
    await deps.sessions.commitTurn(
      tenant,
      session,
      header.version,
      outcome.events,
      headerUpdateFor(header, outcome, { requestId, turn }, now, ttlSecondsOf(limits), active),
      { kind: 'first', marker },
    );
  } catch (error) {
    // An earlier attempt of this request committed first.
    if (error instanceof RequestRecordedError) return retried(deps, header, error.marker, request);
    throw error;
  }
  await startLoop(deps, tenant, session, active);
  return activeView({ ...header, lastSeq: last.seq }, active);
}

/** A background turn whose message the guardrail blocked: recorded as a completed turn in one commit, as a synchronous one is. */
async function answeredByGuardrail(
  deps: BackgroundDeps,
  header: SessionHeader,
  request: TurnRequest,
  events: readonly SessionEvent[],
  deadline: string,
  now: Date,
): Promise<TurnView> {
  const last = events[events.length - 1];
  const turn: RecordedTurn = { turnSeq: events[0].seq, result: { version: header.version + 1, lastSeq: last.seq, status: 'idle', usage: NO_USAGE } };
  const marker = requestMarkerFor(request.requestId, turn, events, { status: 'completed', rounds: 0, deadline });
  const outcome: RoundsOutcome = { events, usage: NO_USAGE };
  try {
    await deps.sessions.commitTurn(
      request.tenant,
      request.session,
      header.version,
      events,
      headerUpdateFor(header, outcome, { requestId: request.requestId, turn }, now, ttlSecondsOf(limitsOf(deps))),
      { kind: 'first', marker },
    );
  } catch (error) {
    if (error instanceof RequestRecordedError) return retried(deps, header, error.marker, request);
    throw error;
  }
  return markerView(marker);
}

async function retried(deps: BackgroundDeps, header: SessionHeader, marker: RequestMarker, request: TurnRequest): Promise<TurnView> {
  if (marker.messageDigest !== messageDigest(request.message)) throw reusedRequestId(request.requestId);
  const active = header.activeTurn;
  if (active?.requestId === request.requestId) {
    await startLoop(deps, request.tenant, request.session, active);
    return activeView(header, active);
  }
  return markerView(marker);
}

// ----- a round -----

/** What the loop does next, from the turn's record on the header. */
function nextOf(tenant: string, session: string, header: SessionHeader, now: Date): RoundOutcome {
  const active = header.activeTurn;
  if (!active) return { status: 'done', round: 0 };
  if (header.pendingTool && (active.status === 'awaiting_approval' || active.status === 'awaiting_tool')) {
    const slowTool = slowToolRunInput(tenant, session, header.pendingTool);
    // The loop's wait for an approver ends by the turn's deadline: the round after it ends the turn then, recorded.
    const left = Math.max(1, Math.ceil((Date.parse(active.deadline) - now.getTime()) / 1000));
    const capped = slowTool.approvalRequired ? { ...slowTool, approvalTimeoutSeconds: Math.min(slowTool.approvalTimeoutSeconds, left) } : slowTool;
    return { status: active.status, round: active.rounds, slowTool: capped };
  }
  return { status: 'continue', round: active.rounds };
}

/**
 * One round of a background turn (the loop's Round task). Idempotent per
 * round: a round asked for when more rounds are committed (its earlier
 * attempt committed, then died) asks nothing and answers as that attempt
 * would have. A turn that is no longer the session's active one is done.
 */
export async function runRound(deps: BackgroundDeps, event: RoundEvent): Promise<RoundOutcome> {
  const limits = limitsOf(deps);
  const { tenant, session, requestId } = event;
  const loaded = await loadLive(deps, tenant, session, limits.contextEvents).catch((error: unknown) => {
    if (error instanceof SessionNotFoundError) return undefined;
    throw error;
  });
  if (!loaded) return { status: 'done', round: event.round };
  const { header, events } = loaded;
  const active = header.activeTurn;
  if (!active || active.requestId !== requestId) return { status: 'done', round: event.round };
  if (active.rounds > event.round) return nextOf(tenant, session, header, deps.clock.now());

  const now = deps.clock.now();
  const time = now.toISOString();
  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const pending = header.pendingTool;
  // The slow call's outcome opens the round, when it is the call the turn waits on.
  const resume = event.resume ?? undefined;
  const opening = resume && pending && pending.toolCallId === resume.toolCallId ? resumeOpening(header, pending, resume, stampOf(agent, 0), time) : [];
  if (!resume && pending) return nextOf(tenant, session, header, now);

  if (active.cancel) {
    return endTurn(deps, { tenant, session, header, loaded: events, active, events: opening, usage: NO_USAGE, status: 'cancelled', reason: `cancelled by ${active.cancel.by}: ${active.cancel.reason}` }, now);
  }
  if (now.getTime() >= Date.parse(active.deadline)) {
    return endTurn(deps, { tenant, session, header, loaded: events, active, events: opening, usage: NO_USAGE, status: 'incomplete', reason: `the turn's deadline (${active.deadline}) passed` }, now);
  }

  const recalled = await recallForStretch(deps.memory, tenant, header.owner, agent.name, events);
  const outcome = await runModelRounds(
    {
      agents: deps.agents,
      modelFor: (name) => deps.modelFor(name),
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
      opening,
      time,
      requestId,
      requestedBy: active.requestedBy,
      roundsBefore: active.rounds,
      ...(recalled.text ? { memory: recalled.text } : {}),
    },
    { modelCallsAtMost: 1, maxRounds: deps.background.maxRounds },
  );
  const progressed: ActiveTurn = { ...active, rounds: active.rounds + (outcome.modelCalls ?? 0), usage: addUsage(active.usage, outcome.usage) };
  if (outcome.continues || outcome.pending) {
    const next: ActiveTurn = { ...progressed, status: outcome.pending ? statusWhilePending(outcome.pending) : 'running' };
    await deps.sessions.commitTurn(tenant, session, header.version, outcome.events, headerUpdateFor(header, outcome, undefined, now, ttlSecondsOf(limits), next));
    return nextOf(tenant, session, { ...header, activeTurn: next, pendingTool: outcome.pending }, deps.clock.now());
  }
  const reason =
    outcome.finish === 'limit'
      ? `the turn reached its limits (${deps.background.maxRounds} rounds, ${limits.maxToolCallsPerTurn} tool calls a round) before the agent answered`
      : outcome.finish === 'budget'
        ? "the session's token budget ran out before the agent answered"
        : undefined;
  const status: TurnStatus = reason === undefined ? 'completed' : 'incomplete';
  return endTurn(deps, { tenant, session, header, loaded: events, active: progressed, events: outcome.events, usage: outcome.usage, agent: outcome.agent, status, ...(reason ? { reason } : {}) }, now);
}

/** The loop's last Task after a Round failed past its retries: the turn is recorded as failed and the session freed. */
export async function failRound(deps: BackgroundDeps, event: RoundFailedEvent): Promise<RoundOutcome> {
  const limits = limitsOf(deps);
  const loaded = await loadLive(deps, event.tenant, event.session, limits.contextEvents).catch((error: unknown) => {
    if (error instanceof SessionNotFoundError) return undefined;
    throw error;
  });
  const active = loaded?.header.activeTurn;
  if (!loaded || !active || active.requestId !== event.requestId) return { status: 'done', round: event.round };
  const name = /^[A-Za-z0-9_.:-]{1,128}$/.test(event.failure.Error) ? event.failure.Error : 'an error';
  const reason = `a round failed (${name}), past what the loop retries; the work committed before it is kept`;
  return endTurn(deps, { tenant: event.tenant, session: event.session, header: loaded.header, loaded: loaded.events, active, events: [], usage: NO_USAGE, status: 'failed', reason }, deps.clock.now());
}

interface TurnEnd {
  readonly tenant: string;
  readonly session: string;
  readonly header: SessionHeader;
  readonly loaded: readonly SessionEvent[];
  /** The turn's record with this commit's rounds and usage counted. */
  readonly active: ActiveTurn;
  /** This commit's events before the end, chained after the header. */
  readonly events: readonly SessionEvent[];
  readonly usage: TokenUsage;
  readonly agent?: string;
  readonly status: TurnStatus;
  readonly reason?: string;
}

/**
 * Ends the turn in one commit: this round's events, a `turn_end` event when
 * it ended without its answer, the finished marker (rebuilt from all the
 * turn's events) and the header, idle again and without the turn.
 */
async function endTurn(deps: TurnDeps, end: TurnEnd, now: Date): Promise<RoundOutcome> {
  const { header, active } = end;
  const last = end.events[end.events.length - 1];
  const events = [...end.events];
  if (end.status !== 'completed') {
    const content = canonicalJson({ requestId: active.requestId, status: end.status, reason: end.reason ?? '' });
    const draft = { seq: (last?.seq ?? header.lastSeq) + 1, type: 'turn_end' as const, content, tokens: estimateTokens(content), actor: ORCHESTRATOR_ACTOR, time: now.toISOString() };
    events.push(...sealEvents([draft], last?.hash ?? header.lastHash));
  }
  const before = await eventsOfTurnSoFar(deps, end.tenant, end.session, header, active.turnSeq, end.loaded);
  const outcome: RoundsOutcome = { events, usage: end.usage, ...(end.agent ? { agent: end.agent } : {}) };
  const turn: RecordedTurn = { turnSeq: active.turnSeq, result: { version: header.version + 1, lastSeq: events[events.length - 1].seq, status: 'idle', usage: active.usage } };
  const progress: TurnProgress = { status: end.status, rounds: active.rounds, deadline: active.deadline, ...(end.reason ? { reason: end.reason } : {}) };
  const marker = requestMarkerFor(active.requestId, turn, [...before, ...events], progress);
  const update: TurnHeaderUpdate = headerUpdateFor(header, outcome, { requestId: active.requestId, turn }, now, ttlSecondsOf(limitsOf(deps)));
  await deps.sessions.commitTurn(end.tenant, end.session, header.version, events, update, { kind: 'resumed', marker });
  return { status: 'done', round: active.rounds };
}

// ----- reading and cancelling -----

export interface TurnAddress {
  readonly tenant: string;
  readonly session: string;
  readonly requestId: string;
  /** Who asks: only the session's owner may read or cancel its turns. */
  readonly actor: string;
}

/** `GET /sessions/{id}/turns/{requestId}`: one read of the header, and of the marker once the turn ended. */
export async function readTurn(deps: TurnDeps, address: TurnAddress): Promise<TurnView> {
  const { header } = await loadLive(deps, address.tenant, address.session, 0);
  assertOwner(header, address.actor, address.session);
  return viewOf(deps, address.tenant, address.session, header, address.requestId);
}

/**
 * `POST /sessions/{id}/turns/{requestId}/cancel`. A queued or running turn
 * gets the cancel on its record (one conditional write): its next step
 * boundary ends it, recorded as cancelled with the reason. A turn waiting on
 * a slow call or an approval has no step boundary coming: it ends now, in
 * one commit, and its execution is stopped. Cancelling again is answered
 * with the turn as it is; a turn that already ended is a 409.
 */
export async function cancelTurn(deps: BackgroundDeps, address: TurnAddress & { readonly reason: string }): Promise<TurnView> {
  const { tenant, session, requestId } = address;
  const limits = limitsOf(deps);
  const { header, events } = await loadLive(deps, tenant, session, limits.contextEvents);
  assertOwner(header, address.actor, session);
  const active = header.activeTurn;
  if (!active || active.requestId !== requestId) {
    const view = await viewOf(deps, tenant, session, header, requestId);
    throw new TurnEndedError(requestId, view.status);
  }
  if (active.cancel) return activeView(header, active);
  const now = deps.clock.now();
  const cancel = { by: address.actor, reason: address.reason, at: now.toISOString() };
  if (active.status === 'awaiting_approval' || active.status === 'awaiting_tool') {
    const reason = `cancelled by ${cancel.by}: ${cancel.reason}`;
    await endTurn(deps, { tenant, session, header, loaded: events, active: { ...active, cancel }, events: [], usage: NO_USAGE, status: 'cancelled', reason }, now);
    // The execution waits on the slow call; the turn is over, so the wait is ended too (a stopped execution starts nothing more).
    await deps.loop.stop(active.executionName, reason);
    return viewOf(deps, tenant, session, { ...header, activeTurn: undefined }, requestId);
  }
  const marked: ActiveTurn = { ...active, cancel };
  const update: TurnHeaderUpdate = {
    lastSeq: header.lastSeq,
    lastHash: header.lastHash,
    tokens: header.tokens,
    recentRequests: header.recentRequests,
    status: header.status,
    expiresAt: header.expiresAt,
    updatedAt: now.toISOString(),
    pendingTool: header.pendingTool,
    activeTurn: marked,
    clientCalls: header.clientCalls,
    agent: header.agent,
  };
  await deps.sessions.commitTurn(tenant, session, header.version, [], update);
  return activeView(header, marked);
}
