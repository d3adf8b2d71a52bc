import type { CfnValue } from '../cfn-types';
import type { RoleEvidence, RoleGrant } from '../evidence-types';
import { conditionSentence, conditionsOf, principalText, statementsOf } from '../policy-text';
import { asList, TargetResolver, type ResourceHandle } from '../resolve';
import { located } from './summary';

/**
 * Section 4: every IAM role. Who may assume it, the permissions boundary that
 * caps it (resolved across stacks to the boundary policy's name), managed
 * policies, and what its identity policies grant, by resource.
 */

/** Marker of an AWS managed policy ARN (`arn:<partition>:iam::aws:policy/...`). */
const AWS_MANAGED_POLICY = ':iam::aws:policy/';

/** What a policy resource (or literal ARN) is called. */
function policyName(resolver: TargetResolver, stack: ResourceHandle['stack'], expr: CfnValue): string {
  const handle = resolver.follow(stack, expr);
  if (handle) return resolver.physicalName(handle) ?? `${handle.stack.displayName}/${handle.logicalId}`;
  const text = resolver.render(stack, expr);
  const at = text.indexOf(AWS_MANAGED_POLICY);
  return at >= 0 ? `AWS managed: ${text.slice(at + AWS_MANAGED_POLICY.length)}` : text;
}

/** A policy's Resource entry in words: the resource it names, or the ARN pattern. */
function resourceText(resolver: TargetResolver, stack: ResourceHandle['stack'], expr: CfnValue): string {
  if (expr === '*') return '*';
  const handle = resolver.followOrFind(stack, expr);
  const text = resolver.render(stack, expr);
  // `${Fn.Arn}:*` (function versions), `${Bucket.Arn}/*` (objects): a pattern on one resource's ARN.
  const pattern = /^\$\{([A-Za-z0-9]+)\.Arn\}(.+)$/.exec(text);
  const base = pattern ? resolver.resource(stack, pattern[1]) : undefined;
  if (base) {
    const suffix = pattern![2];
    if (suffix === '/*') return `objects in ${resolver.label(base)}`;
    if (suffix === ':*' && base.resource.Type === 'AWS::Lambda::Function') return `versions and aliases of ${resolver.label(base)}`;
    return `${resolver.label(base)} + \`${suffix}\``;
  }
  if (!handle) return text;
  const objects = !resolver.follow(stack, expr) && text.endsWith('/*') ? 'objects in ' : '';
  return `${objects}${resolver.label(handle)}`;
}

function trustOf(resolver: TargetResolver, role: ResourceHandle): string[] {
  return statementsOf(role.resource.Properties?.AssumeRolePolicyDocument).map((s) => {
    const actions = asList(s.Action).map((a) => resolver.render(role.stack, a)).join(', ');
    const conditions = conditionsOf(resolver, role.stack, s.Condition).map(conditionSentence);
    return `${s.Effect ?? 'Allow'} ${actions} to ${principalText(resolver, role.stack, s.Principal) ?? '?'}${conditions.length ? ` when ${conditions.join(' and ')}` : ''}`;
  });
}

function policiesAttachedTo(resolver: TargetResolver, role: ResourceHandle, type: string): ResourceHandle[] {
  return resolver.resources(type).filter((p) => asList(p.resource.Properties?.Roles).some((r) => TargetResolver.same(resolver.follow(p.stack, r), role)));
}

function grantsOf(resolver: TargetResolver, role: ResourceHandle): RoleGrant[] {
  const documents: Array<{ stack: ResourceHandle['stack']; doc: CfnValue }> = [
    ...(asList(role.resource.Properties?.Policies) as Array<{ PolicyDocument: CfnValue }>).map((p) => ({ stack: role.stack, doc: p.PolicyDocument })),
    ...policiesAttachedTo(resolver, role, 'AWS::IAM::Policy').map((p) => ({ stack: p.stack, doc: p.resource.Properties?.PolicyDocument })),
  ];
  const grants = new Map<string, { resource: string; effect: string; conditions: string[]; actions: Set<string> }>();
  for (const { stack, doc } of documents) {
    for (const s of statementsOf(doc)) {
      const actions = asList(s.Action ?? s.NotAction).map((a) => `${s.NotAction ? 'NOT ' : ''}${resolver.render(stack, a)}`);
      const conditions = conditionsOf(resolver, stack, s.Condition).map(conditionSentence);
      for (const r of asList(s.Resource ?? s.NotResource)) {
        const resource = resourceText(resolver, stack, r);
        const effect = s.Effect ?? 'Allow';
        const key = JSON.stringify([effect, resource, conditions]);
        const grant = grants.get(key) ?? { resource, effect, conditions, actions: new Set<string>() };
        actions.forEach((a) => grant.actions.add(a));
        grants.set(key, grant);
      }
    }
  }
  return [...grants.values()].map((g) => ({ resource: g.resource, effect: g.effect, conditions: g.conditions, actions: [...g.actions].sort() }));
}

const NOT_USERS = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'];

export function roleEvidence(resolver: TargetResolver): RoleEvidence[] {
  return resolver.resources('AWS::IAM::Role').map((role) => {
    const p = role.resource.Properties ?? {};
    return {
      ...located(role),
      description: p.Description,
      trust: trustOf(resolver, role),
      boundary: p.PermissionsBoundary === undefined ? undefined : policyName(resolver, role.stack, p.PermissionsBoundary),
      managedPolicies: [
        ...asList(p.ManagedPolicyArns).map((m) => policyName(resolver, role.stack, m)),
        ...policiesAttachedTo(resolver, role, 'AWS::IAM::ManagedPolicy').map((m) => resolver.physicalName(m) ?? `${m.stack.displayName}/${m.logicalId}`),
      ],
      grants: grantsOf(resolver, role),
      usedBy: resolver
        .referrers(role)
        .filter((r) => !NOT_USERS.includes(r.resource.Type))
        .map((r) => resolver.label(r)),
    };
  });
}
