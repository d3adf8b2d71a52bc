import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { ENV } from '../../../lib/contract/env-names';
import { MEMORY_BOUNDS, MEMORY_DEFAULTS, type AgentMemory, type MemorySettings } from '../../../lib/contract/memory-table';
import { DynamoDbMemoryStore } from '../adapters/dynamodb-memory-store';
import { modelClientConfig, type ModelClientOptions } from '../adapters/model/client-settings';
import type { Embedder } from '../ports/memory-store';
import { agentMemorySchema, parseJsonSetting } from './agent-wiring';
import { RuntimeEnvError } from './runtime-env';

/**
 * Memory's settings from a function's environment (set by the MemoryStore
 * construct's bind), validated at cold start like the rest: a function
 * whose memory settings do not parse fails its first start, naming the
 * variable. No ENV.MEMORY_TABLE: the deployment has no memory, and the
 * function recalls and extracts nothing.
 */

const days = z.number().int().min(MEMORY_BOUNDS.retentionDays.min).max(MEMORY_BOUNDS.retentionDays.max);
const settingsSchema = z.strictObject({
  maxRecordsPerActor: z.number().int().min(MEMORY_BOUNDS.maxRecordsPerActor.min).max(MEMORY_BOUNDS.maxRecordsPerActor.max),
  retentionDays: z.strictObject({ fact: days, preference: days, episode: days }),
  maxRecordBytes: z.number().int().min(1),
  logRetentionDays: days,
}) satisfies z.ZodType<MemorySettings>;

const agentsSchema = z.record(z.string(), agentMemorySchema);
const rolesSchema = z.array(z.string().min(1));

export interface MemoryEnv {
  readonly tableName: string;
  readonly settings: MemorySettings;
  /** Bedrock model id of the embedding model (ENV.EMBEDDING_MODEL). */
  readonly embeddingModel?: string;
  /** Roles that may export any actor's memory of their tenant (ENV.MEMORY_EXPORT_ROLES). */
  readonly exportRoles: readonly string[];
}

/** The memory settings of the environment, or undefined when the function has no memory table. */
export function readMemoryEnv(env: NodeJS.ProcessEnv): MemoryEnv | undefined {
  const tableName = env[ENV.MEMORY_TABLE];
  if (!tableName) return undefined;
  const settingsText = env[ENV.MEMORY_SETTINGS];
  const rolesText = env[ENV.MEMORY_EXPORT_ROLES];
  return {
    tableName,
    settings: settingsText ? parseJsonSetting(ENV.MEMORY_SETTINGS, settingsText, settingsSchema) : MEMORY_DEFAULTS,
    ...(env[ENV.EMBEDDING_MODEL] ? { embeddingModel: env[ENV.EMBEDDING_MODEL] } : {}),
    exportRoles: rolesText ? parseJsonSetting(ENV.MEMORY_EXPORT_ROLES, rolesText, rolesSchema) : [],
  };
}

/** The extractor's view of the agents with memory on (ENV.MEMORY_AGENTS). */
export function readMemoryAgents(env: NodeJS.ProcessEnv): Record<string, AgentMemory> {
  const text = env[ENV.MEMORY_AGENTS];
  if (!text) throw new RuntimeEnvError(`${ENV.MEMORY_AGENTS} is not set: the memory extractor has no agents to extract for`);
  return parseJsonSetting(ENV.MEMORY_AGENTS, text, agentsSchema);
}

export function memoryStoreOf(memory: MemoryEnv, client: DynamoDBClient): DynamoDbMemoryStore {
  return new DynamoDbMemoryStore({ client, tableName: memory.tableName, logRetentionDays: memory.settings.logRetentionDays });
}

/** The embedding model's client, when the deployment has one; created here, once per execution environment. */
export function embedderOf(memory: MemoryEnv, options: ModelClientOptions): Embedder | undefined {
  if (!memory.embeddingModel) return undefined;
  // Required, not imported: a deployment without an embedding model never loads Bedrock's client at its cold start.
  const { BedrockRuntimeClient } = require('@aws-sdk/client-bedrock-runtime') as typeof import('@aws-sdk/client-bedrock-runtime');
  const { BedrockEmbedder } = require('../adapters/model/bedrock-embedder') as typeof import('../adapters/model/bedrock-embedder');
  return new BedrockEmbedder(new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', options)), memory.embeddingModel);
}
