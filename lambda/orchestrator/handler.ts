import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ModelError, SessionBusyError, StatehouseError, ToolWorkflowError, ValidationError } from '../core/domain/errors';
import { resolveCaller } from '../core/http/caller';
import { errorResponse } from '../core/http/error-body';
import { jsonResponse } from '../core/http/json-response';
import { printable } from '../core/http/printable';
import { MethodNotAllowedError, RouteNotFoundError } from '../core/http/request-errors';
import { failureIdentifiers } from './failure-identifiers';
import type { OrchestratorDeps } from './orchestrator-deps';
import {
  createSessionRoute,
  decideApprovalRoute,
  deleteSessionRoute,
  cancelTurnRoute,
  listApprovalsRoute,
  listSessionsRoute,
  readSessionRoute,
  readTurnRoute,
  sendTurnRoute,
  verifySessionRoute,
  type Route,
} from './session-routes';
import {
  cancelResponseRoute,
  createConversationRoute,
  createResponseRoute,
  deleteConversationRoute,
  listConversationItemsRoute,
  retrieveConversationRoute,
  retrieveResponseRoute,
} from '../openai/responses-api';
import { forgetAllRoute, forgetRecordRoute, listMemoryRoute } from './memory-routes';

/** API Gateway resource → method → route. Maps, so a resource named `constructor` or `__proto__` is just unknown. */
const ROUTES: ReadonlyMap<string, ReadonlyMap<string, Route>> = new Map([
  [
    '/sessions',
    new Map([
      ['POST', createSessionRoute],
      ['GET', listSessionsRoute],
    ]),
  ],
  ['/approvals', new Map([['GET', listApprovalsRoute]])],
  [
    '/sessions/{sessionId}',
    new Map([
      ['GET', readSessionRoute],
      ['DELETE', deleteSessionRoute],
    ]),
  ],
  ['/sessions/{sessionId}/turns', new Map([['POST', sendTurnRoute]])],
  ['/sessions/{sessionId}/turns/{requestId}', new Map([['GET', readTurnRoute]])],
  ['/sessions/{sessionId}/turns/{requestId}/cancel', new Map([['POST', cancelTurnRoute]])],
  ['/sessions/{sessionId}/approvals', new Map([['POST', decideApprovalRoute]])],
  ['/sessions/{sessionId}/verify', new Map([['GET', verifySessionRoute]])],
  // Memory across sessions (memory-routes.ts).
  [
    '/memory',
    new Map([
      ['GET', listMemoryRoute],
      ['DELETE', forgetAllRoute],
    ]),
  ],
  ['/memory/{memoryId}', new Map([['DELETE', forgetRecordRoute]])],
  // The OpenAI-compatible API (lambda/openai/responses-api.ts).
  ['/v1/responses', new Map([['POST', createResponseRoute]])],
  ['/v1/responses/{responseId}', new Map([['GET', retrieveResponseRoute]])],
  ['/v1/responses/{responseId}/cancel', new Map([['POST', cancelResponseRoute]])],
  ['/v1/conversations', new Map([['POST', createConversationRoute]])],
  [
    '/v1/conversations/{conversationId}',
    new Map([
      ['GET', retrieveConversationRoute],
      ['DELETE', deleteConversationRoute],
    ]),
  ],
  ['/v1/conversations/{conversationId}/items', new Map([['GET', listConversationItemsRoute]])],
]);

/** Every route the handler serves, as `METHOD /resource`: what the API must integrate (the SessionApi construct's test compares). */
export function servedRoutes(): string[] {
  return [...ROUTES].flatMap(([resource, methods]) => [...methods.keys()].map((method) => `${method} ${resource}`));
}

/** OpenAI's error `type` for a status (platform.openai.com/docs/guides/error-codes), for the /v1 routes' clients. */
function openAiErrorType(statusCode: number): string {
  if (statusCode === 401) return 'authentication_error';
  if (statusCode === 403) return 'permission_error';
  if (statusCode === 404) return 'not_found_error';
  if (statusCode === 409) return 'conflict_error';
  if (statusCode === 429) return 'rate_limit_error';
  return statusCode >= 500 ? 'server_error' : 'invalid_request_error';
}

function routeOf(event: APIGatewayProxyEvent): Route {
  const resource = typeof event.resource === 'string' ? event.resource : '';
  const methods = ROUTES.get(resource);
  if (!methods) throw new RouteNotFoundError(`no route ${printable(resource)}; see the session API's routes under /sessions`);
  const route = methods.get(typeof event.httpMethod === 'string' ? event.httpMethod : '');
  if (!route) throw new MethodNotAllowedError(printable(event.httpMethod), resource, [...methods.keys()]);
  return route;
}

/**
 * The orchestrator's Lambda handler: API Gateway proxy event in, JSON out.
 * Order: who is calling (403), which route (404/405), then the route parses
 * its request (400/413/415) before it reads or writes anything.
 */
export function createHandler(deps: OrchestratorDeps) {
  const { logger, metrics } = deps;

  return async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
    // API Gateway's request id ties the response, the access log and this function's log together.
    const reference = printable(event?.requestContext?.requestId ?? randomUUID());
    logger.appendKeys({ apiRequestId: reference });
    try {
      const caller = resolveCaller(event.requestContext?.identity, deps.tenants);
      logger.appendKeys({ tenant: caller.tenant });
      const route = routeOf(event);
      const { statusCode, body } = await route(event, caller, deps);
      logger.info('request completed', { method: event.httpMethod, resource: event.resource, statusCode });
      return jsonResponse(statusCode, body);
    } catch (error) {
      const response = errorResponse(error, reference);
      record(error, event, response.statusCode, deps);
      // The /v1 routes answer as OpenAI's API does: the same error, with its `type` and `param`.
      const body = String(event?.resource ?? '').startsWith('/v1/')
        ? { error: { ...response.body.error, type: openAiErrorType(response.statusCode), param: error instanceof ValidationError ? error.field : null } }
        : response.body;
      return jsonResponse(response.statusCode, body, response.headers);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.removeKeys(['apiRequestId', 'tenant']);
    }
  };
}

/** Logs and counts a failed request; a prompt or reply is never part of what is logged unless LOG_CONTENT is on. */
function record(error: unknown, event: APIGatewayProxyEvent, statusCode: number, deps: OrchestratorDeps): void {
  const { logger, metrics } = deps;
  const where = { method: printable(event?.httpMethod), resource: printable(event?.resource), statusCode };
  if (error instanceof SessionBusyError) metrics.addMetric('TurnConflicts', MetricUnit.Count, 1);
  if (error instanceof ModelError) {
    metrics.addMetric('ModelErrors', MetricUnit.Count, 1);
    // A backend's error text may quote the prompt: by default only identifiers are logged.
    logger.error('model call failed', {
      ...where,
      code: error.code,
      ...(deps.logContent ? { reason: error.message, cause: error.cause } : { failure: failureIdentifiers(error) }),
    });
  } else if (error instanceof ToolWorkflowError) {
    metrics.addMetric('ToolWorkflowErrors', MetricUnit.Count, 1);
    logger.error('tool workflow call failed', { ...where, code: error.code, reason: error.message, failure: failureIdentifiers(error) });
  } else if (error instanceof StatehouseError) {
    logger.warn('request refused', { ...where, code: error.code, reason: error.message });
  } else {
    // Logged with its stack; the caller got only the reference.
    logger.error('request failed', { ...where, error: error instanceof Error ? error : String(error) });
  }
}
