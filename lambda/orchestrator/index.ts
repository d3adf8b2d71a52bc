import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { agentGuardrails } from '../core/adapters/guardrail/agent-guardrails';
import { guardrailClientConfig } from '../core/adapters/guardrail/bedrock-guardrail';
import { systemClock } from '../core/adapters/system-clock';
import type { ResumeOutcome } from '../core/domain/resume-turn';
import { parseTenantMap } from '../core/http/caller';
import { ENV } from '../../lib/contract/env-names';
import { agentModels, readAgentDirectory } from '../core/wiring/agent-wiring';
import { readRuntimeEnv } from '../core/wiring/runtime-env';
import { sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';
import { readToolEnv, toolsFromEnv } from '../core/wiring/tool-wiring';
import { createHandler } from './handler';
import type { OrchestratorDeps } from './orchestrator-deps';
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

// Created once per execution environment and reused by every invocation (Powertools' pattern).
const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
const env = readRuntimeEnv(process.env);

// esbuild writes the definitions in place of this exact expression at bundle time (AgentOrchestrator,
// ENV.AGENT_DEFINITIONS); run from source (tests), it is an ordinary environment variable.
const bundledDefinitions = process.env.STATEHOUSE_AGENT_DEFINITIONS;
const agents = readAgentDirectory({ ...process.env, [ENV.AGENT_DEFINITIONS]: bundledDefinitions });
const modelFor = agentModels(agents, {
  region: env.region,
  fipsServices: env.fipsServices,
  requestTimeoutMs: MODEL_REQUEST_TIMEOUT_MS,
  maxAttempts: 1,
});
// The agents' guardrails (their bindings from ENV.AGENT_GUARDRAILS) on one client; one attempt per check, as for the model.
const guardrailFor = agentGuardrails(agents, new BedrockRuntimeClient(guardrailClientConfig({ region: env.region, fipsServices: env.fipsServices, maxAttempts: 1 })));

const deps: OrchestratorDeps = {
  sessions: sessionRepositoryFromEnv(env, tracer),
  agents,
  modelFor,
  guardrailFor,
  clock: systemClock,
  tenants: parseTenantMap(process.env[ENV.TENANT_MAP]),
  limits: env.limits,
  tools: toolsFromEnv(readToolEnv(process.env), env, tracer),
  logContent: env.logContent,
  logger,
  metrics,
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
