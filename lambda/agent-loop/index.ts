import { BACKGROUND_DEFAULTS } from '../../lib/contract/agent-loop';
import { orchestratorDepsFromEnv } from '../orchestrator/deps-from-env';
import { createRoundHandler } from './handler';

export { createRoundHandler } from './handler';

/**
 * The agent loop's round function: the orchestrator's code and environment,
 * with a long model call (the loop, not one API call, bounds a background
 * turn) and one attempt per call: the loop retries a failed round itself,
 * with backoff and jitter, after the round's state was left uncommitted.
 */
const handler = createRoundHandler(orchestratorDepsFromEnv({ requestTimeoutMs: BACKGROUND_DEFAULTS.modelTimeoutSeconds * 1000, maxAttempts: 1 }));

export { handler };
