import * as z from 'zod';
import { parseFipsServices, parseModelBackendConfig, type ModelBackendConfig } from '../adapters/model/backend-config';
import { describeZodIssues } from '../adapters/model/zod-issues';
import {
  CONFIGURABLE_SESSION_LIMITS,
  DEFAULT_SESSION_LIMITS,
  SESSION_LIMIT_BOUNDS,
  type ConfigurableSessionLimit,
  type SessionLimits,
} from '../../../lib/contract/session-limits';
import { ENV, SESSION_LIMIT_VARIABLES } from '../../../lib/contract/env-names';

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
  /** The deployment's session limits: the configured ones from the environment, the kit's defaults for the rest. */
  readonly limits: SessionLimits;
  readonly fipsServices: ReadonlySet<string>;
  /** The summarizer's model (ENV.MODEL_BACKEND); the orchestrator runs its agents' models (agent-wiring.ts). */
  readonly modelBackend?: ModelBackendConfig;
  /** Prompts and model output in logs; off unless ENV.LOG_CONTENT is exactly 'true'. */
  readonly logContent: boolean;
}

/** A configurable limit's variable: a whole number within the bounds the configuration checks too. */
function limitVariable(limit: ConfigurableSessionLimit) {
  const { min, max } = SESSION_LIMIT_BOUNDS[limit];
  return z
    .string()
    .regex(/^\d{1,13}$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional();
}

const envSchema = z.object({
  AWS_REGION: z.string().min(1),
  [ENV.SESSION_TABLE]: z.string().min(1),
  [ENV.PAYLOAD_BUCKET]: z.string().min(1),
  [ENV.PAYLOAD_KEY]: z.string().min(1).optional(),
  ...Object.fromEntries(CONFIGURABLE_SESSION_LIMITS.map((limit) => [SESSION_LIMIT_VARIABLES[limit], limitVariable(limit)])),
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
  const configured = Object.fromEntries(
    CONFIGURABLE_SESSION_LIMITS.flatMap((limit) => {
      const value = (vars as Record<string, unknown>)[SESSION_LIMIT_VARIABLES[limit]];
      return value === undefined ? [] : [[limit, value as number]];
    }),
  );
  return {
    region: vars.AWS_REGION,
    tableName: vars[ENV.SESSION_TABLE],
    bucket: vars[ENV.PAYLOAD_BUCKET],
    payloadKeyId: vars[ENV.PAYLOAD_KEY],
    limits: { ...DEFAULT_SESSION_LIMITS, ...configured },
    fipsServices: parseFipsServices(vars[ENV.FIPS_SERVICES]),
    modelBackend: env[ENV.MODEL_BACKEND] === undefined ? undefined : parseModelBackendConfig(env[ENV.MODEL_BACKEND]),
    logContent: vars[ENV.LOG_CONTENT] === 'true',
  };
}
