import { ValidationError } from '../../domain/errors';

/**
 * Geography prefixes of Bedrock system-defined (cross-region) inference
 * profiles, the part before the model id in `us.anthropic...`. A profile
 * routes a request to any region of its geography, so the data may be
 * processed outside the target region. Sources:
 * docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html;
 * the members of @aws-cdk/aws-bedrock-alpha CrossRegionInferenceProfileRegion.
 */
export const INFERENCE_PROFILE_GEOGRAPHIES = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'global'] as const;

const PROFILE_ID = new RegExp(`^(${INFERENCE_PROFILE_GEOGRAPHIES.join('|')})\\.`);

/** True for a system-defined profile id, or any inference-profile ARN (system-defined or application). */
export function isInferenceProfile(modelId: string): boolean {
  return PROFILE_ID.test(modelId) || (modelId.startsWith('arn:') && modelId.includes('inference-profile'));
}

/**
 * Refuses an inference profile unless the target's residency allows
 * cross-region inference (SC-7 / data residency: requests stay in the target
 * region). An application profile ARN is refused too: it may copy a
 * cross-region system profile, and its ARN does not say.
 */
export function assertModelIdAllowed(field: string, modelId: string, allowInferenceProfile: boolean): void {
  if (allowInferenceProfile || !isInferenceProfile(modelId)) return;
  throw new ValidationError(
    field,
    `"${modelId}" is an inference profile, which may route requests to other regions; ` +
      'use an in-region model id or ARN, or set allowInferenceProfile: true where residency allows cross-region inference',
  );
}
