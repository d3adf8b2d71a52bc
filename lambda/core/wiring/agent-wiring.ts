import * as z from 'zod';
import { AGENT_NAME_PATTERN, MAX_INSTRUCTIONS_BYTES, type AgentDefinition, type AgentDirectory } from '../../../lib/contract/agent';
import type { AgentMemory } from '../../../lib/contract/memory-table';
import { ENV } from '../../../lib/contract/env-names';
import type { ModelBackendConfig } from '../../../lib/contract/model-backend-config';
import { createModelBackend, modelBackendConfigSchema } from '../adapters/model/backend-config';
import type { ModelClientOptions } from '../adapters/model/client-settings';
import { describeZodIssues } from '../adapters/model/zod-issues';
import type { ModelBackend } from '../ports/model-backend';
import { RuntimeEnvError } from './runtime-env';

/**
 * The orchestrator's agents, read once at cold start: their definitions from
 * the bundle (ENV.AGENT_DEFINITIONS, written by esbuild at bundle time; see
 * AgentOrchestrator) and their models from the environment (ENV.AGENT_MODELS,
 * whose deploy-time values CloudFormation resolved). A function whose agents
 * do not parse fails its first cold start, naming the setting. Guardrails
 * come from the environment too (ENV.AGENT_GUARDRAILS): their ids are deploy-time values.
 */

const agentName = z.string().regex(AGENT_NAME_PATTERN);
const guardrailBindingSchema = z.strictObject({ guardrailIdentifier: z.string().min(1), guardrailVersion: z.string().min(1) });

/** An agent's memory setting (AgentMemory), as the orchestrator's definitions and the extractor's ENV.MEMORY_AGENTS carry it. */
export const agentMemorySchema = z.strictObject({
  scope: z.enum(['actor', 'agent']),
  recallTokens: z.number().int().positive(),
}) satisfies z.ZodType<AgentMemory>;

const definitionSchema = z.strictObject({
  name: agentName,
  description: z.string().min(1),
  instructions: z.string().min(1).refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_INSTRUCTIONS_BYTES, { message: `more than ${MAX_INSTRUCTIONS_BYTES} bytes` }),
  model: modelBackendConfigSchema,
  tools: z.array(z.string()),
  delegates: z.array(agentName).optional(),
  handoffs: z.array(agentName).optional(),
  guardrail: guardrailBindingSchema.optional(),
  memory: agentMemorySchema.optional(),
  limits: z
    .strictObject({
      maxToolRounds: z.number().int().min(0).optional(),
      delegationTokenBudget: z.number().int().positive().optional(),
      maxDelegationDepth: z.number().int().min(0).optional(),
    })
    .optional(),
  version: z.string().min(1),
}) satisfies z.ZodType<AgentDefinition>;

const directorySchema = z.strictObject({ defaultAgent: agentName, agents: z.record(agentName, definitionSchema) });
const modelsSchema = z.record(agentName, modelBackendConfigSchema);
const guardrailsSchema = z.record(agentName, guardrailBindingSchema);

/** A JSON setting of the environment, parsed and checked: a RuntimeEnvError names the variable otherwise. */
export function parseJsonSetting<T>(name: string, text: string | undefined, schema: z.ZodType<T>): T {
  if (text === undefined || text === '') throw new RuntimeEnvError(`${name} is not set`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RuntimeEnvError(`${name} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RuntimeEnvError(`${name}: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

export function readAgentDirectory(env: NodeJS.ProcessEnv): AgentDirectory {
  const directory = parseJsonSetting(ENV.AGENT_DEFINITIONS, env[ENV.AGENT_DEFINITIONS], directorySchema);
  const models: Record<string, ModelBackendConfig> = parseJsonSetting(ENV.AGENT_MODELS, env[ENV.AGENT_MODELS], modelsSchema);
  // Only agents with a guardrail are listed; no variable means none has one.
  const guardrails = env[ENV.AGENT_GUARDRAILS] ? parseJsonSetting(ENV.AGENT_GUARDRAILS, env[ENV.AGENT_GUARDRAILS], guardrailsSchema) : {};
  const agents: Record<string, AgentDefinition> = {};
  for (const [name, definition] of Object.entries(directory.agents)) {
    if (definition.name !== name) throw new RuntimeEnvError(`${ENV.AGENT_DEFINITIONS}: agent "${name}" is named "${definition.name}"`);
    const model = models[name];
    if (!model) throw new RuntimeEnvError(`${ENV.AGENT_MODELS} has no model for agent "${name}"`);
    for (const other of [...(definition.delegates ?? []), ...(definition.handoffs ?? [])]) {
      if (!(other in directory.agents)) throw new RuntimeEnvError(`${ENV.AGENT_DEFINITIONS}: agent "${name}" names "${other}", which is not an agent`);
    }
    const guardrail = guardrails[name];
    agents[name] = { ...definition, model, ...(guardrail ? { guardrail } : {}) };
  }
  if (!(directory.defaultAgent in agents)) throw new RuntimeEnvError(`${ENV.AGENT_DEFINITIONS}: the default agent "${directory.defaultAgent}" is not an agent`);
  return { defaultAgent: directory.defaultAgent, agents };
}

/** One model backend per agent, made on first use and kept for the execution environment. */
export function agentModels(directory: AgentDirectory, options: ModelClientOptions): (agent: string) => ModelBackend {
  const made = new Map<string, ModelBackend>();
  return (agent) => {
    const definition = directory.agents[agent];
    if (!definition) throw new Error(`no agent "${agent}" in this deployment`);
    let backend = made.get(agent);
    if (!backend) {
      backend = createModelBackend(definition.model, options);
      made.set(agent, backend);
    }
    return backend;
  };
}
