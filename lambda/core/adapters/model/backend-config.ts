import * as z from 'zod';
import { ValidationError } from '../../domain/errors';
import { ENV } from '../../../../lib/contract/env-names';
import { SAGEMAKER_ENDPOINT_NAME, SAGEMAKER_ENDPOINT_NAME_RULE, type ModelBackendConfig } from '../../../../lib/contract/model-backend-config';
import type { ModelBackend } from '../../ports/model-backend';
import type { ModelClientOptions } from './client-settings';
import { describeZodIssues } from './zod-issues';

export type { ModelBackendConfig };

/**
 * The JSON in ENV.MODEL_BACKEND: which backend serves the model, and its
 * settings. Its type is lib/contract/model-backend-config.ts's, which the
 * CDK side (ModelBackend.bind) writes; the functions parse it once at start-up.
 */

const maxTokens = z.number().int().positive();
const modelId = z.string().min(1).max(2048);

export const modelBackendConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sagemaker'),
    endpointName: z.string().regex(SAGEMAKER_ENDPOINT_NAME, { message: `must be a SageMaker endpoint name (${SAGEMAKER_ENDPOINT_NAME_RULE})` }),
    stream: z.boolean().optional(),
    maxTokens: maxTokens.optional(),
    // OpenAI's range.
    temperature: z.number().min(0).max(2).optional(),
  }),
  z.strictObject({
    kind: z.literal('bedrock-converse'),
    modelId,
    /** True only where the deployment checked the profile's routes against the allowed regions. */
    allowInferenceProfile: z.boolean().optional(),
    maxTokens: maxTokens.optional(),
    // Converse's range.
    temperature: z.number().min(0).max(1).optional(),
  }),
]);

/** Type A and B have exactly the same members, key for key, for each `kind` (readonly aside). */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? SameKeys<A, B> : false) : false;
type SamePerKind<A extends { kind: string }, B extends { kind: string }> = {
  [K in A['kind'] | B['kind']]: SameShape<Extract<A, { kind: K }>, Extract<B, { kind: K }>>;
}[A['kind'] | B['kind']];

/**
 * Compile-time drift check: the schema parses exactly the contract's type,
 * kind for kind and field for field; tsc fails on this line when the two differ.
 */
export const SCHEMA_MATCHES_CONTRACT: false extends SamePerKind<z.infer<typeof modelBackendConfigSchema>, ModelBackendConfig> ? never : true = true;

/** @throws ValidationError naming the variable (ENV.MODEL_BACKEND unless told) when the value is missing, not JSON or not a backend. */
export function parseModelBackendConfig(json: string | undefined, variable: string = ENV.MODEL_BACKEND): ModelBackendConfig {
  if (json === undefined || json.trim() === '') throw new ValidationError(variable, 'is not set');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ValidationError(variable, 'is not JSON');
  }
  const parsed = modelBackendConfigSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(variable, describeZodIssues(parsed.error));
  return parsed.data;
}

/** ENV.FIPS_SERVICES (`bedrock-runtime,runtime.sagemaker`) as a set; unset or empty means none. */
export function parseFipsServices(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((service) => service.trim())
      .filter((service) => service !== ''),
  );
}

/**
 * The backend the configuration names, on its own SDK client (FIPS where
 * listed, standard retries, timeouts: see client-settings.ts).
 *
 * Each backend's module is required here, when the backend is made, not
 * imported: a function initializes only the SDK client of the backend it
 * runs (esbuild keeps a required module in the bundle and runs it when first
 * required; the backend module imports its client by name, so the bundle
 * holds only what it uses).
 * @throws ValidationError for an inference profile the configuration does not allow.
 */
export function createModelBackend(config: ModelBackendConfig, options: ModelClientOptions): ModelBackend {
  switch (config.kind) {
    case 'sagemaker':
      return (require('./sagemaker-chat-backend') as typeof import('./sagemaker-chat-backend')).sageMakerChatBackend(config, options);
    case 'bedrock-converse':
      return (require('./bedrock-converse-backend') as typeof import('./bedrock-converse-backend')).bedrockConverseBackend(config, options);
  }
}
