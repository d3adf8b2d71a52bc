import type { CfnValue, PolicyStatement } from '../cfn-types';
import type { ServiceGrantEvidence } from '../evidence-types';
import { conditionSentence, conditionsOf, statementsOf } from '../policy-text';
import { asList, isObject, type ResourceHandle, type TargetResolver } from '../resolve';
import { located } from './summary';

/**
 * Resource-policy grants to AWS service principals, and whether each is
 * scoped to this account's own use of the service. A service acting for
 * anyone else (another account's trail, bucket or log delivery) must not be
 * able to use the grant: the confused-deputy problem,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html.
 * A grant is scoped when it carries `aws:SourceArn`, `aws:SourceAccount`,
 * `aws:SourceOrgID` or `aws:SourceOrgPaths`, or a KMS encryption-context
 * condition naming the resource the service acts for.
 */

/** Condition keys that tie a service principal's request to the resource or account it acts for. */
const SOURCE_KEYS = ['aws:sourcearn', 'aws:sourceaccount', 'aws:sourceorgid', 'aws:sourceorgpaths'];
const ENCRYPTION_CONTEXT_KEY = /^kms:encryptioncontext:/;

export function scopesTheSource(conditionKey: string): boolean {
  const key = conditionKey.toLowerCase();
  return SOURCE_KEYS.includes(key) || ENCRYPTION_CONTEXT_KEY.test(key);
}

/** Where each resource type keeps its resource policy, and what it applies to. */
const POLICY_OF: Record<string, { document: (p: Record<string, any>) => CfnValue; appliesTo: (p: Record<string, any>) => CfnValue[] }> = {
  'AWS::KMS::Key': { document: (p) => p.KeyPolicy, appliesTo: () => [] },
  'AWS::S3::BucketPolicy': { document: (p) => p.PolicyDocument, appliesTo: (p) => [p.Bucket] },
  'AWS::SNS::TopicPolicy': { document: (p) => p.PolicyDocument, appliesTo: (p) => asList(p.Topics) },
  'AWS::SQS::QueuePolicy': { document: (p) => p.PolicyDocument, appliesTo: (p) => asList(p.Queues) },
};

function servicesOf(resolver: TargetResolver, stack: ResourceHandle['stack'], principal: CfnValue): string[] {
  if (!isObject(principal)) return [];
  return asList((principal as Record<string, CfnValue>).Service).map((s) => resolver.render(stack, s));
}

function policyGrants(resolver: TargetResolver, handle: ResourceHandle, type: string): ServiceGrantEvidence[] {
  const spec = POLICY_OF[type];
  const p = handle.resource.Properties ?? {};
  const targets = spec.appliesTo(p).map((t) => resolver.follow(handle.stack, t)).filter((t): t is ResourceHandle => !!t);
  const on = targets.length > 0 ? targets.map((t) => resolver.label(t)).join(', ') : resolver.label(handle);
  return statementsOf(spec.document(p))
    .filter((s: PolicyStatement) => (s.Effect ?? 'Allow') === 'Allow')
    .flatMap((s: PolicyStatement) => {
      const services = servicesOf(resolver, handle.stack, s.Principal);
      if (services.length === 0) return [];
      const conditions = conditionsOf(resolver, handle.stack, s.Condition);
      const scoping = conditions.filter((c) => scopesTheSource(c.key));
      return [{
        ...located(handle),
        policyOf: on,
        sid: s.Sid,
        services,
        actions: asList(s.Action).map((a) => resolver.render(handle.stack, a)),
        scopedBy: scoping.map(conditionSentence),
        otherConditions: conditions.filter((c) => !scopesTheSource(c.key)).map(conditionSentence),
      }];
    });
}

/** AWS::Lambda::Permission scopes a service principal by its SourceArn / SourceAccount properties. */
function lambdaPermissionGrants(resolver: TargetResolver, handle: ResourceHandle): ServiceGrantEvidence[] {
  const p = handle.resource.Properties ?? {};
  const principal = resolver.render(handle.stack, p.Principal);
  // A service principal is a host name (`s3.<domain>`); an account id or ARN is not.
  if (!principal.includes('.') || principal.startsWith('arn:')) return [];
  const fn = resolver.follow(handle.stack, p.FunctionName);
  return [{
    ...located(handle),
    policyOf: fn ? resolver.label(fn) : resolver.render(handle.stack, p.FunctionName),
    services: [principal],
    actions: [resolver.render(handle.stack, p.Action)],
    scopedBy: [
      ...(p.SourceArn === undefined ? [] : [`aws:SourceArn = ${resolver.render(handle.stack, p.SourceArn)}`]),
      ...(p.SourceAccount === undefined ? [] : [`aws:SourceAccount = ${resolver.render(handle.stack, p.SourceAccount)}`]),
    ],
    otherConditions: [],
  }];
}

export function serviceGrantEvidence(resolver: TargetResolver): ServiceGrantEvidence[] {
  return [
    ...Object.keys(POLICY_OF).flatMap((type) => resolver.resources(type).flatMap((h) => policyGrants(resolver, h, type))),
    ...resolver.resources('AWS::Lambda::Permission').flatMap((h) => lambdaPermissionGrants(resolver, h)),
  ];
}
