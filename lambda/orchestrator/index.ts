import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ResumeOutcome } from '../core/domain/resume-turn';
import { orchestratorDepsFromEnv } from './deps-from-env';
import { createHandler } from './handler';
import { createResumeHandler, isResumeTurnEvent } from './resume-handler';

export { createHandler } from './handler';
export { createResumeHandler } from './resume-handler';
export type { OrchestratorDeps } from './orchestrator-deps';

/**
 * API Gateway's integration gives up after 29 s; the model call gets 25 s
 * and one attempt, so a slow model ends in this function's own 502 (nothing
 * written, safe to retry with the same requestId) rather than a gateway 504.
 */
const MODEL_REQUEST_TIMEOUT_MS = 25_000;
/** A turn answers within 27 s of its start, 2 s inside API Gateway's 29: past that, with an agent loop, it goes on in the background. */
const ANSWER_WITHIN_MS = 27_000;

const deps = {
  ...orchestratorDepsFromEnv({ requestTimeoutMs: MODEL_REQUEST_TIMEOUT_MS, maxAttempts: 1 }),
  syncBudget: { answerWithinMs: ANSWER_WITHIN_MS, modelCallMs: MODEL_REQUEST_TIMEOUT_MS },
};

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
