import { servedRoutes } from '../../lambda/orchestrator/handler';
import type { GatewayRoute } from './local-gateway';

/**
 * The methods the SessionApi construct integrates with response streaming
 * (`responseTransferMode: STREAM`) where the target streams: a turn, and a
 * response of the OpenAI-compatible API, which is a turn.
 */
export const STREAMING_METHODS: readonly string[] = ['POST /sessions/{sessionId}/turns', 'POST /v1/responses'];

/**
 * Every route the orchestrator serves (`servedRoutes()`, which the SessionApi
 * construct's test holds the API's methods to), as the local gateway routes
 * them: what API Gateway would answer, and nothing else.
 */
export function orchestratorRoutes(): GatewayRoute[] {
  return servedRoutes().map((route) => {
    const [method, resource] = route.split(' ');
    return STREAMING_METHODS.includes(route) ? { method, resource, streaming: true } : { method, resource };
  });
}
