/**
 * The model backend configuration: the JSON the CDK side (ModelBackend.bind)
 * writes into ENV.MODEL_BACKEND and the Lambda side
 * (lambda/core/adapters/model/backend-config.ts) parses, typed once so the two
 * cannot drift. Plain data: no SDK, CDK or zod imports.
 */

/** A SageMaker real-time endpoint serving the OpenAI chat-completions body (LMI or TGI, e.g. the target's Neuron endpoint). */
export interface SageMakerBackendConfig {
  readonly kind: 'sagemaker';
  /** Matches SAGEMAKER_ENDPOINT_NAME. */
  readonly endpointName: string;
  /** InvokeEndpointWithResponseStream instead of InvokeEndpoint. */
  readonly stream?: boolean;
  readonly maxTokens?: number;
  /** OpenAI's range, 0 to 2. */
  readonly temperature?: number;
}

/** A model on Amazon Bedrock's Converse API. */
export interface BedrockConverseBackendConfig {
  readonly kind: 'bedrock-converse';
  /** A model id or ARN; an inference profile id only with allowInferenceProfile. */
  readonly modelId: string;
  /** True only where the deployment checked that every region the profile routes to is allowed. */
  readonly allowInferenceProfile?: boolean;
  readonly maxTokens?: number;
  /** Converse's range, 0 to 1. */
  readonly temperature?: number;
}

export type ModelBackendConfig = SageMakerBackendConfig | BedrockConverseBackendConfig;
export type ModelBackendKind = ModelBackendConfig['kind'];

/**
 * SageMaker endpoint names, as CreateEndpoint's EndpointName pattern allows
 * (docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html).
 */
export const SAGEMAKER_ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** SAGEMAKER_ENDPOINT_NAME in words, for error messages. */
export const SAGEMAKER_ENDPOINT_NAME_RULE = '1 to 63 letters, digits and single hyphens, starting and ending with a letter or digit';

/**
 * Prefixes of Bedrock's system-defined (cross-region) inference profile ids,
 * the part before the model id in `us.anthropic...`. Where each one routes
 * is a region fact (lib/residency/region-facts.ts INFERENCE_PROFILE_ROUTES).
 */
export const INFERENCE_PROFILE_PREFIXES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'] as const;
export type InferenceProfilePrefix = (typeof INFERENCE_PROFILE_PREFIXES)[number];

// Longest first, so `us-gov.` is not read as `us`.
const PROFILE_ID = new RegExp(`^(${[...INFERENCE_PROFILE_PREFIXES].sort((a, b) => b.length - a.length).join('|')})\\.`);

/** The prefix of a system-defined inference profile id (`us-gov` for `us-gov.anthropic...`); undefined for anything else. */
export function inferenceProfilePrefix(modelId: string): InferenceProfilePrefix | undefined {
  return PROFILE_ID.exec(modelId)?.[1] as InferenceProfilePrefix | undefined;
}

/** An inference-profile ARN (system-defined or application): where it routes is not in its text. */
export function isInferenceProfileArn(modelId: string): boolean {
  return modelId.startsWith('arn:') && modelId.includes('inference-profile/');
}

/** True for a system-defined profile id or any inference-profile ARN: the request may be processed in another region. */
export function isInferenceProfile(modelId: string): boolean {
  return inferenceProfilePrefix(modelId) !== undefined || isInferenceProfileArn(modelId);
}
