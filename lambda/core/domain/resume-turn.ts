import type { ResumeTurnEvent } from '../../../lib/contract/workflow-contract';
import { agentDefinition, sessionAgentOf, stampOf, type AgentStamp } from './agents';
import { commitStretch, stretchDepsOf } from './commit-stretch';
import { SessionNotFoundError } from './errors';
import { recallForStretch } from './recall-memory';
import { sealEvents } from './hash-chain';
import { requestMarkerFor, requestMarkerWithDigest } from './idempotency';
import type { EventDraft, SessionEvent } from './session-event';
import { isExpired, type PendingTool, type SessionHeader, type SessionStatus } from './session-header';
import { approvalDraft, ORCHESTRATOR_ACTOR, toolActor, toolResultDraft } from './tool-events';
import { DEFAULT_SESSION_LIMITS, type SessionLimits } from '../../../lib/contract/session-limits';
import type { TurnDeps } from './run-turn';
import { addUsage, recordedTurnFor, type RoundsOutcome } from './turn-plan';

/** What a resumed turn needs is what a turn needs. */
export type ResumeDeps = TurnDeps;

export type ResumeOutcome =
  | { readonly resumed: true; readonly status: SessionStatus; readonly version: number; readonly lastSeq: number }
  /** Nothing to do: the call was resumed already (a retried or repeated invocation), or the session is gone. */
  | { readonly resumed: false; readonly reason: 'not_pending' | 'session_gone' };

/**
 * The end of a slow tool call: the Standard workflow reports the tool's
 * result (or why there is none: denied, approval timeout, failure), and the
 * turn goes on where it stopped. The result is appended, the model answers
 * (running fast tools again if it calls them), and the session is idle again,
 * all in one commit; a session whose budget is spent gets the result without
 * an answer, never stays stuck. Idempotent: a call no longer pending is left alone.
 */
export async function resumeTurn(deps: ResumeDeps, event: ResumeTurnEvent): Promise<ResumeOutcome> {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
  const { tenant, session, toolCallId } = event;
  const loaded = await deps.sessions.load(tenant, session, limits.contextEvents, { resolvePayloads: true }).catch((error: unknown) => {
    if (error instanceof SessionNotFoundError) return undefined;
    throw error;
  });
  const now = deps.clock.now();
  if (!loaded || isExpired(loaded.header, now)) return { resumed: false, reason: 'session_gone' };
  const { header, events } = loaded;
  const pending = header.pendingTool;
  // A background turn's slow call is the agent loop's to resume (background-turn.ts), never this workflow's.
  if (!pending || pending.toolCallId !== toolCallId || header.activeTurn) return { resumed: false, reason: 'not_pending' };
  // A delegate's own calls may reuse the id (another model chose it): only the session's agent's results count.
  const answered = (candidate: SessionEvent) =>
    candidate.type === 'tool_result' &&
    candidate.delegationDepth === undefined &&
    candidate.toolCallId === toolCallId &&
    candidate.seq > pending.callSeq;
  if (events.some(answered)) return { resumed: false, reason: 'not_pending' };

  // Only the session's own agent makes slow calls (delegates may not), so it takes the turn up again.
  const agent = agentDefinition(deps.agents, sessionAgentOf(header, deps.agents));
  const time = now.toISOString();
  const recalled = await recallForStretch(deps.memory, tenant, header.owner, agent.name, events);

  // The request that made the call now returns the finished turn on a retry: its entry in the header's
  // recent map and its marker, rebuilt from the whole turn's events, in the same commit.
  const earlier = Object.hasOwn(header.recentRequests, pending.requestId) ? header.recentRequests[pending.requestId] : undefined;
  const turnSoFar = earlier && (await eventsOfTurnSoFar(deps, tenant, session, header, earlier.turnSeq, events));
  // A turn that opened with the client's function outputs (client-calls.ts) has no message to identify its request by: its marker's digest does.
  const opener = turnSoFar?.find((candidate) => candidate.seq === earlier?.turnSeq);
  const digest = opener && opener.type !== 'user' ? (await deps.sessions.readRequestMarker(tenant, session, pending.requestId))?.messageDigest : undefined;
  const recordOf = (outcome: RoundsOutcome) => {
    if (!earlier || !turnSoFar) return undefined;
    const turn = recordedTurnFor(header, outcome, earlier.turnSeq, addUsage(earlier.result.usage, outcome.usage));
    const turnEvents = [...turnSoFar, ...outcome.events];
    const marker =
      digest === undefined ? requestMarkerFor(pending.requestId, turn, turnEvents) : requestMarkerWithDigest(pending.requestId, digest, turn, turnEvents, undefined, false);
    return { requestId: pending.requestId, turn, marker: { kind: 'resumed' as const, marker } };
  };
  const { headerUpdate, version } = await commitStretch(
    stretchDepsOf(deps, limits),
    {
      tenant,
      session,
      header,
      agent: agent.name,
      loaded: events,
      opening: resumeOpening(header, pending, event, stampOf(agent, 0), time),
      time,
      requestId: pending.requestId,
      requestedBy: pending.requestedBy,
      ...(recalled.text ? { memory: recalled.text } : {}),
    },
    recordOf,
    now,
  );
  return { resumed: true, status: headerUpdate.status, version, lastSeq: headerUpdate.lastSeq };
}

/**
 * The events a slow call's outcome opens a stretch with: the approver's
 * decision (when it reached the workflow some other way than the approvals
 * route, it still belongs in the log), then the call's result, chained after
 * the header and stamped with the session's agent.
 */
export function resumeOpening(header: SessionHeader, pending: PendingTool, event: ResumeTurnEvent, stamp: AgentStamp, time: string): SessionEvent[] {
  const call = { id: pending.toolCallId, name: pending.tool };
  const drafts: EventDraft[] = [];
  if (event.decision && pending.approval && !pending.decision) {
    drafts.push(approvalDraft(call, event.decision, header.lastSeq + 1, time));
  }
  // The tool's own outcome is the tool's; a refusal (denied, approval timeout) is the workflow's, on the orchestrator's behalf.
  const ran = event.result.ok || event.result.error === 'tool_failed' || event.result.error === 'timeout';
  const resultActor = ran ? toolActor(pending.tool) : ORCHESTRATOR_ACTOR;
  drafts.push(toolResultDraft(call, event.result, header.lastSeq + 1 + drafts.length, resultActor, time));
  return sealEvents(
    drafts.map((draft) => ({ ...draft, ...stamp })),
    header.lastHash,
  );
}

/**
 * The events the turn wrote before it waited, for its marker. The newest
 * events read with the header hold them at the default limits when no
 * delegate ran: before its slow call a turn writes at most
 * 1 + (rounds + 1) + 2 x calls - 1 = 37 events, 38 with the approver's
 * decision, and 50 are read. A smaller `contextEvents`, or delegates' events
 * in that turn, cost one more Query here.
 */
export async function eventsOfTurnSoFar(
  deps: Pick<ResumeDeps, 'sessions'>,
  tenant: string,
  session: string,
  header: SessionHeader,
  turnSeq: number,
  loaded: readonly SessionEvent[],
): Promise<readonly SessionEvent[]> {
  const count = header.lastSeq - turnSeq + 1;
  const inWindow = loaded.filter((event) => event.seq >= turnSeq);
  if (inWindow.length === count) return inWindow;
  const page = await deps.sessions.readEvents(tenant, session, { afterSeq: turnSeq - 1, limit: count, resolvePayloads: true });
  return page.events;
}
