import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createModelBackend } from '../core/adapters/model/backend-config';
import { systemClock } from '../core/adapters/system-clock';
import { ENV } from '../../lib/contract/env-names';
import { readRuntimeEnv, RuntimeEnvError } from '../core/wiring/runtime-env';
import { sessionRepositoryFromEnv } from '../core/wiring/session-store-wiring';
import { createHandler } from './handler';

export { createHandler } from './handler';
export type { SummarizerDeps } from './handler';

// Created once per execution environment and reused by every invocation (Powertools' pattern).
const logger = new Logger();
const metrics = new Metrics();
const tracer = new Tracer();
const env = readRuntimeEnv(process.env);
if (!env.modelBackend) throw new RuntimeEnvError(`${ENV.MODEL_BACKEND} is not set: the summarizer has no model`);

export const handler = createHandler({
  sessions: sessionRepositoryFromEnv(env, tracer),
  // Off the request path: the model client's default timeouts and retries apply (the function has 2 minutes).
  model: createModelBackend(env.modelBackend, { region: env.region, fipsServices: env.fipsServices }),
  clock: systemClock,
  settings: {
    contextEvents: env.limits.contextEvents,
    threshold: 2 * env.limits.contextEvents,
    maxFoldTokens: env.limits.contextTokens,
  },
  logger,
  metrics,
});
