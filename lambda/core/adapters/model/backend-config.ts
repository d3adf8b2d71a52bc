import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { ENV } from '../../../../lib/contract/env-names';
import type { ModelBackend } from '../../ports/model-backend';
import { BedrockInlineAgentBackend } from './bedrock-agent-backend';
import { BedrockConverseBackend } from './bedrock-converse-backend';
import { modelClientConfig, type ModelClientOptions } from './client-settings';
import { SageMakerChatBackend } from './sagemaker-chat-backend';
import { describeZodIssues } from './zod-issues';

/**
 * The JSON in ENV.MODEL_BACKEND: which backend serves the model, and its
 * settings. The CDK construct that deploys the backend writes it; the
 * functions parse it once at start-up.
 */

const maxTokens = z.number().int().positive();
const modelId = z.string().min(1).max(2048);

export const modelBackendConfigSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('sagemaker'),
    endpointName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, { message: 'must be a SageMaker endpoint name' }),
    stream: z.boolean().optional(),
    maxTokens: maxTokens.optional(),
    // OpenAI's range.
    temperature: z.number().min(0).max(2).optional(),
  }),
  z.strictObject({
    kind: z.literal('bedrock-converse'),
    modelId,
    /** True only where residency allows cross-region inference. */
    allowInferenceProfile: z.boolean().optional(),
    maxTokens: maxTokens.optional(),
    // Converse's range.
    temperature: z.number().min(0).max(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('bedrock-agent'),
    foundationModel: modelId,
    instruction: z.string().min(1),
    allowInferenceProfile: z.boolean().optional(),
  }),
]);
export type ModelBackendConfig = z.infer<typeof modelBackendConfigSchema>;

/** @throws ValidationError naming ENV.MODEL_BACKEND when the value is missing, not JSON or not a backend. */
export function parseModelBackendConfig(json: string | undefined): ModelBackendConfig {
  if (json === undefined || json.trim() === '') throw new ValidationError(ENV.MODEL_BACKEND, 'is not set');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ValidationError(ENV.MODEL_BACKEND, 'is not JSON');
  }
  const parsed = modelBackendConfigSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError(ENV.MODEL_BACKEND, describeZodIssues(parsed.error));
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
 * @throws ValidationError for an inference profile the configuration does not allow.
 */
export function createModelBackend(config: ModelBackendConfig, options: ModelClientOptions): ModelBackend {
  switch (config.kind) {
    case 'sagemaker':
      return new SageMakerChatBackend({
        client: new SageMakerRuntimeClient(modelClientConfig('runtime.sagemaker', options)),
        endpointName: config.endpointName,
        stream: config.stream,
        maxTokens: config.maxTokens,
        temperature: config.temperature,
      });
    case 'bedrock-converse':
      return new BedrockConverseBackend({
        client: new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', options)),
        modelId: config.modelId,
        allowInferenceProfile: config.allowInferenceProfile,
        maxTokens: config.maxTokens,
        temperature: config.temperature,
      });
    case 'bedrock-agent':
      return new BedrockInlineAgentBackend({
        client: new BedrockAgentRuntimeClient(modelClientConfig('bedrock-agent-runtime', options)),
        foundationModel: config.foundationModel,
        instruction: config.instruction,
        allowInferenceProfile: config.allowInferenceProfile,
      });
  }
}
