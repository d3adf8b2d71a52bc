import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createSession } from '../core/domain/create-session';
import { decideApproval } from '../core/domain/decide-approval';
import { ForbiddenError, NoPendingApprovalError, SessionNotFoundError, ValidationError } from '../core/domain/errors';
import { runTurn } from '../core/domain/run-turn';
import { cancelTurn, enqueueTurn, readTurn } from '../core/domain/background-turn';
import { isExpired, type SessionHeader } from '../core/domain/session-header';
import type { Caller } from '../core/http/caller';
import { assertNoBody, parsePart, pathOf, queryOf, readJsonBody } from '../core/http/parse-request';
import {
  approvalBodySchema,
  createSessionBodySchema,
  DEFAULT_PAGE_EVENTS,
  noQuerySchema,
  readSessionQuerySchema,
  cancelBodySchema,
  listApprovalsQuerySchema,
  listSessionsQuerySchema,
  sessionPathSchema,
  turnBodySchema,
  turnPathSchema,
} from '../core/http/request-schemas';
import { backgroundDepsOf, turnDepsOf, type OrchestratorDeps } from './orchestrator-deps';
import { ttlSecondsOf } from '../../lib/contract/session-limits';
import { approvalListingView, eventView, sessionListingView, sessionView } from './session-view';
import { DEFAULT_LIST_PAGE, listApprovalInbox, listOwnSessions } from '../core/domain/session-lists';
import { verifySession } from './verify-session';

/**
 * The routes of the session API. Each parses every part of its request
 * (path, query, body) before it reads anything, so a malformed request never
 * reaches storage, then calls the domain and shapes the answer.
 */

export interface RouteResult {
  readonly statusCode: number;
  readonly body: unknown;
}

export type Route = (event: APIGatewayProxyEvent, caller: Caller, deps: OrchestratorDeps) => Promise<RouteResult>;

function sessionIdOf(event: APIGatewayProxyEvent): string {
  return parsePart(sessionPathSchema, pathOf(event), 'path').sessionId;
}

/** The session's header, unless it is missing or past its TTL (then 404, as DynamoDB may not have swept it yet). */
async function liveHeader(deps: OrchestratorDeps, tenant: string, session: string): Promise<SessionHeader> {
  const { header } = await deps.sessions.load(tenant, session, 0);
  if (isExpired(header, deps.clock.now())) throw new SessionNotFoundError(tenant, session);
  return header;
}

/** POST /sessions → 201 `{ session }`. */
export const createSessionRoute: Route = async (event, caller, deps) => {
  parsePart(noQuerySchema, queryOf(event), 'query');
  const body = parsePart(createSessionBodySchema(deps.limits.tokenBudget), readJsonBody(event, {}), 'body');
  const sessionId = body.sessionId ?? randomUUID();
  const header = await createSession(
    { sessions: deps.sessions, clock: deps.clock, agents: deps.agents },
    {
      tenant: caller.tenant,
      session: sessionId,
      owner: caller.actor,
      agent: body.agent,
      maxTokens: body.maxTokens ?? deps.limits.tokenBudget,
      ttlSeconds: ttlSecondsOf(deps.limits),
    },
  );
  return { statusCode: 201, body: { session: sessionView(sessionId, header, deps.agents) } };
};

/** GET /sessions?limit=&cursor=&agent=&status= → 200 `{ sessions, cursor? }`: the caller's own sessions, newest first. */
export const listSessionsRoute: Route = async (event, caller, deps) => {
  const query = parsePart(listSessionsQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const page = await listOwnSessions(deps.sessions, caller, { ...query, limit: query.limit ?? DEFAULT_LIST_PAGE, now: deps.clock.now() });
  return {
    statusCode: 200,
    body: { sessions: page.items.map((listing) => sessionListingView(listing, deps.agents)), ...(page.cursor ? { cursor: page.cursor } : {}) },
  };
};

/**
 * GET /approvals?limit=&cursor= → 200 `{ approvals, cursor? }`: pending
 * approvals across the tenant's sessions that the caller's role may decide
 * (never the caller's own requests), oldest first. Decide one with
 * POST /sessions/{sessionId}/approvals.
 */
export const listApprovalsRoute: Route = async (event, caller, deps) => {
  const query = parsePart(listApprovalsQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const page = await listApprovalInbox(deps.sessions, caller, { ...query, limit: query.limit ?? DEFAULT_LIST_PAGE, now: deps.clock.now() });
  return { statusCode: 200, body: { approvals: page.items.map(approvalListingView), ...(page.cursor ? { cursor: page.cursor } : {}) } };
};

/** GET /sessions/{sessionId}?afterSeq=&limit= → 200 `{ session, events, nextAfterSeq? }`. */
export const readSessionRoute: Route = async (event, caller, deps) => {
  const sessionId = sessionIdOf(event);
  const query = parsePart(readSessionQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const header = await liveHeader(deps, caller.tenant, sessionId);
  const page = await deps.sessions.readEvents(caller.tenant, sessionId, {
    afterSeq: query.afterSeq ?? 0,
    limit: query.limit ?? DEFAULT_PAGE_EVENTS,
    resolvePayloads: true,
  });
  // The page ends at the header read above: events of a turn committed since then wait for the next read.
  const events = page.events.filter((item) => item.seq <= header.lastSeq);
  const last = events[events.length - 1];
  return {
    statusCode: 200,
    body: {
      session: sessionView(sessionId, header, deps.agents),
      events: events.map(eventView),
      ...(last && last.seq < header.lastSeq ? { nextAfterSeq: last.seq } : {}),
    },
  };
};

/** POST /sessions/{sessionId}/turns → 200 (idle) or 202 (awaiting a tool) with the turn result. */
export const sendTurnRoute: Route = async (event, caller, deps) => {
  const sessionId = sessionIdOf(event);
  parsePart(noQuerySchema, queryOf(event), 'query');
  const body = parsePart(turnBodySchema, readJsonBody(event), 'body');
  if (body.stream && body.mode === 'background') {
    throw new ValidationError('stream', 'streams a synchronous turn only; follow a background turn with GET /sessions/{id}/turns/{requestId} and its events with afterSeq');
  }
  if (body.stream && !deps.streamText) {
    throw new ValidationError('stream', 'this deployment does not stream turns (configuration api.streaming, or the region has no Lambda response streaming); send the turn without "stream"');
  }
  if (body.mode === 'background') {
    const turn = await enqueueTurn(backgroundDepsOf(deps), {
      tenant: caller.tenant,
      session: sessionId,
      requestId: body.requestId,
      actor: caller.actor,
      message: body.message,
    });
    return { statusCode: 202, body: { turn } };
  }
  const result = await runTurn(
    turnDepsOf(deps),
    { tenant: caller.tenant, session: sessionId, requestId: body.requestId, actor: caller.actor, message: body.message },
    body.stream && deps.streamText ? { onText: deps.streamText } : {},
  );
  if (!result.replayed) {
    deps.metrics.addMetric('TurnsCompleted', MetricUnit.Count, 1);
    deps.metrics.addMetric('TokensIn', MetricUnit.Count, result.usage.input);
    deps.metrics.addMetric('TokensOut', MetricUnit.Count, result.usage.output);
  }
  if (deps.logContent) {
    // `prompt`, not `message`: Powertools reserves `message` for the log line's own text.
    deps.logger.info('turn content', { sessionId, requestId: body.requestId, prompt: body.message, reply: result.reply });
  }
  return { statusCode: result.status === 'idle' ? 200 : 202, body: result };
};

/**
 * POST /sessions/{sessionId}/approvals → 200 `{ sessionId, toolCallId, decision, replayed }`.
 * Any mapped caller of the tenant in one of the tool's approver roles, except the requester (AC-5).
 */
export const decideApprovalRoute: Route = async (event, caller, deps) => {
  const sessionId = sessionIdOf(event);
  parsePart(noQuerySchema, queryOf(event), 'query');
  const body = parsePart(approvalBodySchema, readJsonBody(event), 'body');
  if (!deps.tools) throw new NoPendingApprovalError(body.toolCallId);
  const outcome = await decideApproval(
    { sessions: deps.sessions, clock: deps.clock, decisions: deps.tools.decisions, sessionTtlSeconds: ttlSecondsOf(deps.limits) },
    { tenant: caller.tenant, session: sessionId, toolCallId: body.toolCallId, approved: body.approved, reason: body.reason, approver: caller.actor },
  );
  if (!outcome.replayed) deps.metrics.addMetric(outcome.decision.approved ? 'ApprovalsGranted' : 'ApprovalsDenied', MetricUnit.Count, 1);
  return { statusCode: 200, body: { sessionId, toolCallId: body.toolCallId, ...outcome } };
};

/** GET /sessions/{sessionId}/verify → 200 `{ valid, events, brokenAtSeq?, reason? }`. */
export const verifySessionRoute: Route = async (event, caller, deps) => {
  const sessionId = sessionIdOf(event);
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const header = await liveHeader(deps, caller.tenant, sessionId);
  return { statusCode: 200, body: await verifySession(deps.sessions, caller.tenant, sessionId, header) };
};

/** DELETE /sessions/{sessionId} → 200 `{ sessionId, deletedItems }`. Owner only (AC-3). */
export const deleteSessionRoute: Route = async (event, caller, deps) => {
  const sessionId = sessionIdOf(event);
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  // Not liveHeader: an expired session can still be deleted at once instead of waiting for TTL.
  const { header } = await deps.sessions.load(caller.tenant, sessionId, 0);
  if (header.owner !== caller.actor) throw new ForbiddenError(`${caller.actor} is not the owner of session ${sessionId}`);
  const deletedItems = await deps.sessions.delete(caller.tenant, sessionId);
  return { statusCode: 200, body: { sessionId, deletedItems } };
};

/** GET /sessions/{sessionId}/turns/{requestId} → 200 `{ turn }`: status, rounds, usage, and the reply once it ended. */
export const readTurnRoute: Route = async (event, caller, deps) => {
  const { sessionId, requestId } = parsePart(turnPathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  assertNoBody(event);
  const turn = await readTurn(turnDepsOf(deps), { tenant: caller.tenant, session: sessionId, requestId, actor: caller.actor });
  return { statusCode: 200, body: { turn } };
};

/**
 * POST /sessions/{sessionId}/turns/{requestId}/cancel → 202 `{ turn }` while the
 * cancel waits for the turn's next step boundary, 200 once the turn is cancelled;
 * 409 when it had already ended.
 */
export const cancelTurnRoute: Route = async (event, caller, deps) => {
  const { sessionId, requestId } = parsePart(turnPathSchema, pathOf(event), 'path');
  parsePart(noQuerySchema, queryOf(event), 'query');
  const body = parsePart(cancelBodySchema, readJsonBody(event, {}), 'body');
  const turn = await cancelTurn(backgroundDepsOf(deps), {
    tenant: caller.tenant,
    session: sessionId,
    requestId,
    actor: caller.actor,
    reason: body.reason ?? 'no reason given',
  });
  return { statusCode: turn.status === 'cancelled' ? 200 : 202, body: { turn } };
};
