import { Annotations, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { inferenceProfilePrefix, isInferenceProfileArn, type InferenceProfilePrefix } from '../../contract/model-backend-config';
import {
  ANY_COMMERCIAL_REGION,
  FactStatus,
  INFERENCE_PROFILE_ROUTES,
  profileRoutesOutside,
  type InferenceProfileRouteFact,
} from '../../residency/region-facts';

/** A system-defined inference profile id, looked up in the region facts. */
export interface CheckedProfile {
  readonly prefix: InferenceProfilePrefix;
  /** The model id after the prefix: the foundation model the profile routes to. */
  readonly baseModelId: string;
  readonly fact: InferenceProfileRouteFact;
  /** Every route is an allowed region. */
  readonly allowed: boolean;
}

/**
 * Data residency (SC-7 boundary protection): an inference profile is accepted
 * only when Bedrock cannot process its requests outside `allowedRegions`.
 * A refusal is a validation error on `scope` (synth fails, with what, why and
 * what to do instead); an unverified route list is a warning. Returns the
 * profile, or undefined for an in-region model id (and a token, which cannot
 * be checked).
 */
export function checkInferenceProfile(
  scope: IConstruct,
  modelId: string,
  allowedRegions: readonly string[] | undefined,
  stackRegion: string,
): CheckedProfile | undefined {
  if (Token.isUnresolved(modelId)) return undefined;
  if (isInferenceProfileArn(modelId)) {
    scope.node.addValidation({
      validate: () => [
        `ModelBackend.bedrockConverse: modelId "${modelId}" is an inference-profile ARN, whose routes cannot be checked against allowedRegions ` +
          '(an application inference profile copies another profile\'s routes, and its ARN does not say which). ' +
          'Instead: give the system-defined profile id (e.g. "us-gov.anthropic.claude-3-haiku-20240307-v1:0"), whose prefix names its routes, or an in-region model id.',
      ],
    });
    return undefined;
  }
  const prefix = inferenceProfilePrefix(modelId);
  if (prefix === undefined) return undefined;
  const fact = INFERENCE_PROFILE_ROUTES[prefix];
  const baseModelId = modelId.slice(prefix.length + 1);
  const allowed = allowedRegions ?? [stackRegion];
  const outside = profileRoutesOutside(fact, allowed);
  if (outside.length > 0) {
    const allowedText = allowedRegions ? `allowedRegions (${allowed.join(', ')})` : `allowedRegions, which is not set (the stack's region ${stackRegion} only)`;
    const message = refusal(modelId, baseModelId, fact, outside, allowedText);
    scope.node.addValidation({ validate: () => [message] });
  } else if (fact.status === FactStatus.UNVERIFIED) {
    Annotations.of(scope).addWarningV2(
      `statehouse:unverified:bedrock:inference-profile:${prefix}`,
      `modelId "${modelId}": the routes of "${prefix}." profiles (${routesText(fact)}) are unverified (${fact.source}); check them before deploy.`,
    );
  }
  return { prefix, baseModelId, fact, allowed: outside.length === 0 };
}

/** The regions a profile's grant names: the source region and every destination (none for a refused global profile). */
export function profileGrantRegions(profile: CheckedProfile, sourceRegion: string): string[] {
  const routes = profile.fact.routes === ANY_COMMERCIAL_REGION ? [] : profile.fact.routes;
  return [...new Set([sourceRegion, ...routes])];
}

function routesText(fact: InferenceProfileRouteFact): string {
  return fact.routes === ANY_COMMERCIAL_REGION ? 'any commercial region worldwide' : fact.routes.join(', ');
}

function refusal(modelId: string, baseModelId: string, fact: InferenceProfileRouteFact, outside: readonly string[], allowedText: string): string {
  const what = `ModelBackend.bedrockConverse: modelId "${modelId}" is a cross-region inference profile; Bedrock may process its requests in ${routesText(fact)} (source: ${fact.source}).`;
  if (fact.routes === ANY_COMMERCIAL_REGION) {
    return (
      `${what} Why refused: no list of allowed regions can hold every commercial region, and ${allowedText} does not. ` +
      `Instead: use the in-region model id "${baseModelId}", or a geographic profile (e.g. "us.${baseModelId}") whose routes are all allowed.`
    );
  }
  return (
    `${what} Why refused: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in ${allowedText}, so prompts and replies could be processed there. ` +
    `Instead: use the in-region model id "${baseModelId}", or add ${outside.join(', ')} to allowedRegions if the data may be processed there.`
  );
}
