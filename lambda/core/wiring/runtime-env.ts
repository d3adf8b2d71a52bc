import { z } from 'zod';
import { parseFipsServices, parseModelBackendConfig, type ModelBackendConfig } from '../adapters/model/backend-config';
import { describeZodIssues } from '../adapters/model/zod-issues';
import { DEFAULT_TURN_LIMITS } from '../domain/turn-limits';
import { ENV } from '../env-names';

/**
 * The settings the session functions (orchestrator and summarizer) read from
 * their environment, validated once at start-up: a misconfigured function
 * fails its first cold start with a message naming the variable, instead of
 * failing requests one by one.
 */
export interface RuntimeEnv {
  readonly region: string;
  readonly tableName: string;
  readonly bucket: string;
  /** SSE-KMS key of payload objects. @default the bucket's default encryption */
  readonly payloadKeyId?: string;
  /** @default the repository's DEFAULT_PAYLOAD_THRESHOLD_BYTES */
  readonly inlineThresholdBytes?: number;
  /** Newest events a turn reads with the header (K). */
  readonly contextEvents: number;
  readonly contextTokens: number;
  /** Default and ceiling of a session's lifetime token budget. */
  readonly sessionTokenBudget: number;
  readonly ttlSeconds: number;
  readonly fipsServices: ReadonlySet<string>;
  readonly modelBackend: ModelBackendConfig;
  /** Prompts and model output in logs; off unless ENV.LOG_CONTENT is exactly 'true'. */
  readonly logContent: boolean;
}

const SECONDS_PER_DAY = 24 * 60 * 60;
const DEFAULT_TTL_DAYS = DEFAULT_TURN_LIMITS.sessionTtlSeconds / SECONDS_PER_DAY;

const positiveInteger = z
  .string()
  .regex(/^\d{1,12}$/, { message: 'must be a whole number' })
  .transform(Number)
  .pipe(z.number().int().positive());

const envSchema = z.object({
  AWS_REGION: z.string().min(1),
  [ENV.SESSION_TABLE]: z.string().min(1),
  [ENV.PAYLOAD_BUCKET]: z.string().min(1),
  [ENV.PAYLOAD_KEY]: z.string().min(1).optional(),
  [ENV.INLINE_THRESHOLD_BYTES]: z.string().regex(/^\d{1,12}$/).transform(Number).optional(),
  [ENV.CONTEXT_EVENTS]: positiveInteger.optional(),
  [ENV.CONTEXT_TOKENS]: positiveInteger.optional(),
  [ENV.SESSION_TOKEN_BUDGET]: positiveInteger,
  [ENV.SESSION_TTL_DAYS]: positiveInteger.optional(),
  [ENV.FIPS_SERVICES]: z.string().optional(),
  [ENV.LOG_CONTENT]: z.string().optional(),
});

export class RuntimeEnvError extends Error {
  constructor(message: string) {
    super(`environment: ${message}`);
    this.name = 'RuntimeEnvError';
  }
}

export function readRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  // Empty strings count as unset: CDK writes '' for an absent optional value.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new RuntimeEnvError(describeZodIssues(parsed.error));
  const vars = parsed.data;
  return {
    region: vars.AWS_REGION,
    tableName: vars[ENV.SESSION_TABLE],
    bucket: vars[ENV.PAYLOAD_BUCKET],
    payloadKeyId: vars[ENV.PAYLOAD_KEY],
    inlineThresholdBytes: vars[ENV.INLINE_THRESHOLD_BYTES],
    contextEvents: vars[ENV.CONTEXT_EVENTS] ?? DEFAULT_TURN_LIMITS.historyEvents,
    contextTokens: vars[ENV.CONTEXT_TOKENS] ?? DEFAULT_TURN_LIMITS.contextTokens,
    sessionTokenBudget: vars[ENV.SESSION_TOKEN_BUDGET],
    ttlSeconds: (vars[ENV.SESSION_TTL_DAYS] ?? DEFAULT_TTL_DAYS) * SECONDS_PER_DAY,
    fipsServices: parseFipsServices(vars[ENV.FIPS_SERVICES]),
    modelBackend: parseModelBackendConfig(env[ENV.MODEL_BACKEND]),
    logContent: vars[ENV.LOG_CONTENT] === 'true',
  };
}
