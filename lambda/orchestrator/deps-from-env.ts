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
import { embedderOf, memoryStoreOf, readMemoryEnv } from '../core/wiring/memory-wiring';
import { dynamodbClient, sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';
import type { OrchestratorTools } from '../core/wiring/tool-wiring';
import type { OrchestratorDeps } from './orchestrator-deps';

/** How long one model call may take, and how often it is tried, in the function being wired. */
export interface ModelCallSettings {
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
}

/** An in-region embedding answers a sentence in well under a second; past this the turn goes on with lexical recall. */
const EMBEDDING_TIMEOUT_MS = 3_000;

/**
 * The dependencies of the functions that run turns (the orchestrator and
 * the agent loop's round function) from their environment, made once per
 * execution environment (Powertools' pattern) and validated at cold start,
 * but for the tools (see `tools` below). The two functions differ only in how
 * long a model call may take.
 */
export function orchestratorDepsFromEnv(model: ModelCallSettings, syncBudget?: OrchestratorDeps['syncBudget']): OrchestratorDeps {
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
  const dynamodb = dynamodbClient(env, tracer);
  const memoryEnv = readMemoryEnv(process.env);
  // The message's embedding is on the turn path, beside the session read: one short attempt, and recall ranks lexically without it.
  const embedder = memoryEnv && embedderOf(memoryEnv, { region: env.region, fipsServices: env.fipsServices, requestTimeoutMs: EMBEDDING_TIMEOUT_MS, maxAttempts: 1 });
  // The tools are read, validated and wired when a request first needs them, with their module (required then):
  // parsing the Cedar policy (its WebAssembly module, 4 MB), compiling the input schemas (ajv) and the Step
  // Functions client are most of what a cold start cost; a malformed tool setting (validated at synth) fails
  // that first request, naming the setting, instead of the cold start.
  const tools = lazy((): OrchestratorTools | undefined => {
    const { readToolEnv, toolsFromEnv } = require('../core/wiring/tool-wiring') as typeof import('../core/wiring/tool-wiring');
    // esbuild writes the declarations in place of this exact expression, as it does the agent definitions.
    return toolsFromEnv(readToolEnv({ ...process.env, [ENV.TOOLS]: process.env.STATEHOUSE_TOOLS }), env, tracer);
  });
  return {
    sessions: sessionRepositoryFromEnv(env, tracer, dynamodb),
    ...(memoryEnv
      ? {
          memory: {
            store: memoryStoreOf(memoryEnv, dynamodb),
            settings: memoryEnv.settings,
            exportRoles: memoryEnv.exportRoles,
            ...(embedder ? { embedder } : {}),
          },
        }
      : {}),
    agents,
    modelFor,
    guardrailFor,
    clock: systemClock,
    tenants: parseTenantMap(process.env[ENV.TENANT_MAP]),
    limits: env.limits,
    // A getter, so that reading the dependencies (a route, a spread) is what makes the tools.
    get tools() {
      return tools();
    },
    ...(loop ? { loop } : {}),
    background,
    ...(syncBudget ? { syncBudget } : {}),
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
  return orchestratorDepsFromEnv(
    { requestTimeoutMs: API_MODEL_REQUEST_TIMEOUT_MS, maxAttempts: 1 },
    { answerWithinMs: API_ANSWER_WITHIN_MS, modelCallMs: API_MODEL_REQUEST_TIMEOUT_MS },
  );
}
