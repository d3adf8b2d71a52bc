import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ResumeOutcome } from '../core/domain/resume-turn';
import { apiDepsFromEnv } from './deps-from-env';
import { createHandler } from './handler';
import { createResumeHandler, isResumeTurnEvent } from './resume-handler';

export { createHandler } from './handler';
export { createResumeHandler } from './resume-handler';
export type { OrchestratorDeps } from './orchestrator-deps';

const deps = apiDepsFromEnv();

const api = createHandler(deps);
const resume = createResumeHandler(deps);

/**
 * Two callers: API Gateway (a proxy event, answered with an HTTP response)
 * and the Standard tool workflow (a ResumeTurnEvent, answered with a summary
 * or a thrown `Statehouse.<code>` error). Told apart by shape.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
export async function handler(event: unknown): Promise<APIGatewayProxyResult | ResumeOutcome>;
export async function handler(event: unknown): Promise<APIGatewayProxyResult | ResumeOutcome> {
  return isResumeTurnEvent(event) ? resume(event) : api(event as APIGatewayProxyEvent);
}
