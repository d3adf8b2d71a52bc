import { ValidationError } from '../../domain/errors';
import { isInferenceProfile } from '../../../../lib/contract/model-backend-config';

/**
 * Refuses an inference profile (a `us.`, `us-gov.`, ... id or a profile ARN,
 * lib/contract/model-backend-config.ts) unless the deployment allowed it
 * (SC-7 / data residency: requests stay in the target region). The
 * deployment allows one only after checking every region it routes to; an
 * application profile ARN is refused too: it may copy a cross-region system
 * profile, and its ARN does not say.
 */
export function assertModelIdAllowed(field: string, modelId: string, allowInferenceProfile: boolean): void {
  if (allowInferenceProfile || !isInferenceProfile(modelId)) return;
  throw new ValidationError(
    field,
    `"${modelId}" is an inference profile, which may route requests to other regions; ` +
      'use an in-region model id or ARN, or set allowInferenceProfile: true where every region the profile routes to is allowed',
  );
}
