import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ENV } from '../../lib/contract/env-names';
import { createModelBackend, parseModelBackendConfig } from '../core/adapters/model/backend-config';
import { systemClock } from '../core/adapters/system-clock';
import { embedderOf, memoryStoreOf, readMemoryAgents, readMemoryEnv } from '../core/wiring/memory-wiring';
import { readRuntimeEnv, RuntimeEnvError } from '../core/wiring/runtime-env';
import { dynamodbClient, sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';
import { createHandler } from './handler';

export { createHandler } from './handler';
export type { MemoryExtractorDeps } from './handler';

// Created once per execution environment and reused by every invocation (Powertools' pattern).
const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
const env = readRuntimeEnv(process.env);
const memory = readMemoryEnv(process.env);
if (!memory) throw new RuntimeEnvError(`${ENV.MEMORY_TABLE} is not set: the memory extractor has no table`);
const clientOptions = { region: env.region, fipsServices: env.fipsServices };
const embedder = embedderOf(memory, clientOptions);
const dynamodb = dynamodbClient(env, tracer);

export const handler = createHandler({
  sessions: sessionRepositoryFromEnv(env, tracer, dynamodb),
  memory: memoryStoreOf(memory, dynamodb),
  // Off the request path: the model client's default timeouts and retries apply.
  model: createModelBackend(parseModelBackendConfig(process.env[ENV.MEMORY_MODEL], ENV.MEMORY_MODEL), clientOptions),
  clock: systemClock,
  ...(embedder ? { embedder } : {}),
  settings: {
    memory: memory.settings,
    agents: readMemoryAgents(process.env),
    maxEventTokens: env.limits.contextTokens,
  },
  logger,
  metrics,
});
