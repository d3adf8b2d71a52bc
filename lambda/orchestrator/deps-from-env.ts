import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { agentGuardrails } from '../core/adapters/guardrail/agent-guardrails';
import { systemClock } from '../core/adapters/system-clock';
import { parseTenantMap } from '../core/http/caller';
import { ENV } from '../../lib/contract/env-names';
import { backgroundFromEnv } from '../core/wiring/agent-loop-wiring';
import { agentModels, readAgentDirectory } from '../core/wiring/agent-wiring';
import { lazy } from '../core/wiring/lazy';
import { readRuntimeEnv } from '../core/wiring/runtime-env';
import { sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';
import { readToolEnv, toolsFromEnv } from '../core/wiring/tool-wiring';
import type { OrchestratorDeps } from './orchestrator-deps';

/** How long one model call may take, and how often it is tried, in the function being wired. */
export interface ModelCallSettings {
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
}

/**
 * The dependencies of the functions that run turns (the orchestrator and
 * the agent loop's round function) from their environment, made once per
 * execution environment (Powertools' pattern) and validated at cold start.
 * The two functions differ only in how long a model call may take.
 */
export function orchestratorDepsFromEnv(model: ModelCallSettings): OrchestratorDeps {
  const logger = new Logger();
  const metrics = new Metrics();
  const tracer = new Tracer();
  const env = readRuntimeEnv(process.env);
  // esbuild writes the definitions in place of this exact expression at bundle time (AgentOrchestrator,
  // ENV.AGENT_DEFINITIONS); run from source (tests), it is an ordinary environment variable.
  const bundledDefinitions = process.env.STATEHOUSE_AGENT_DEFINITIONS;
  const agents = readAgentDirectory({ ...process.env, [ENV.AGENT_DEFINITIONS]: bundledDefinitions });
  const modelFor = agentModels(agents, { region: env.region, fipsServices: env.fipsServices, ...model });
  // The agents' guardrails (their bindings from ENV.AGENT_GUARDRAILS) on one client, tried as often as the model,
  // made with the first guardrail (required then: a deployment without guardrails never loads them).
  const guardrailFor = agentGuardrails(
    agents,
    lazy(() => {
      const { guardrailClient } = require('../core/adapters/guardrail/bedrock-guardrail') as typeof import('../core/adapters/guardrail/bedrock-guardrail');
      return guardrailClient({ region: env.region, fipsServices: env.fipsServices, maxAttempts: model.maxAttempts });
    }),
  );
  const { loop, background } = backgroundFromEnv(process.env, env, tracer);
  return {
    sessions: sessionRepositoryFromEnv(env, tracer),
    agents,
    modelFor,
    guardrailFor,
    clock: systemClock,
    tenants: parseTenantMap(process.env[ENV.TENANT_MAP]),
    limits: env.limits,
    // esbuild writes the declarations in place of this exact expression, as it does the agent definitions.
    tools: toolsFromEnv(readToolEnv({ ...process.env, [ENV.TOOLS]: process.env.STATEHOUSE_TOOLS }), env, tracer),
    ...(loop ? { loop } : {}),
    background,
    logContent: env.logContent,
    logger,
    metrics,
  };
}

/**
 * API Gateway's integration gives up after 29 s; the model call gets 25 s
 * and one attempt, so a slow model ends in this function's own 502 (nothing
 * written, safe to retry with the same requestId) rather than a gateway 504.
 */
const API_MODEL_REQUEST_TIMEOUT_MS = 25_000;
/** A turn answers within 27 s of its start, 2 s inside API Gateway's 29: past that, with an agent loop, it goes on in the background. */
const API_ANSWER_WITHIN_MS = 27_000;

/** The dependencies of the functions behind the API (buffered and streaming). */
export function apiDepsFromEnv(): OrchestratorDeps {
  return {
    ...orchestratorDepsFromEnv({ requestTimeoutMs: API_MODEL_REQUEST_TIMEOUT_MS, maxAttempts: 1 }),
    syncBudget: { answerWithinMs: API_ANSWER_WITHIN_MS, modelCallMs: API_MODEL_REQUEST_TIMEOUT_MS },
  };
}
