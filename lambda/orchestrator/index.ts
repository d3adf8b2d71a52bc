import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createModelBackend } from '../core/adapters/model/backend-config';
import { systemClock } from '../core/adapters/system-clock';
import { parseTenantMap } from '../core/http/caller';
import { ENV } from '../core/env-names';
import { createHandler } from './handler';
import { readRuntimeEnv } from '../core/wiring/runtime-env';
import { sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';

export { createHandler } from './handler';
export type { OrchestratorDeps, OrchestratorLimits } from './orchestrator-deps';

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

export const handler = createHandler({
  sessions: sessionRepositoryFromEnv(env, tracer),
  model: createModelBackend(env.modelBackend, {
    region: env.region,
    fipsServices: env.fipsServices,
    requestTimeoutMs: MODEL_REQUEST_TIMEOUT_MS,
    maxAttempts: 1,
  }),
  clock: systemClock,
  tenants: parseTenantMap(process.env[ENV.TENANT_MAP]),
  limits: {
    contextEvents: env.contextEvents,
    contextTokens: env.contextTokens,
    sessionTokenBudget: env.sessionTokenBudget,
    ttlSeconds: env.ttlSeconds,
  },
  logContent: env.logContent,
  logger,
  metrics,
});
