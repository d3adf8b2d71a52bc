import type { KeyPolicyEvidence, PolicyEvidence, ResidencyEvidence, StatementEvidence } from '../evidence-types';
import { SCP_FILE, type StackArtifact } from '../load-assembly';
import { statementSentence, statementsOf, statementText } from '../policy-text';
import { TargetResolver, type ResourceHandle } from '../resolve';
import { fipsServicesOf } from './network';
import { located } from './summary';

/**
 * Section 5: the residency controls as synthesized. The permissions boundary,
 * the KMS key policies' `kms:ViaService` / `kms:CallerAccount` conditions,
 * the SCP document written for the organization's admin, and the FIPS
 * endpoint settings of each function.
 */

function statementsIn(resolver: TargetResolver, stack: StackArtifact, doc: unknown): StatementEvidence[] {
  return statementsOf(doc).map((s) => ({ sid: s.Sid, effect: s.Effect ?? 'Allow', what: statementSentence(statementText(resolver, stack, s), Infinity) }));
}

/** Managed policies some role of the target uses as its permissions boundary. */
function boundaries(resolver: TargetResolver): PolicyEvidence[] {
  const used: ResourceHandle[] = [];
  for (const role of resolver.resources('AWS::IAM::Role')) {
    const boundary = resolver.follow(role.stack, role.resource.Properties?.PermissionsBoundary);
    if (boundary && !used.some((b) => TargetResolver.same(b, boundary))) used.push(boundary);
  }
  return used.map((b) => ({
    ...located(b),
    name: resolver.physicalName(b) ?? b.logicalId,
    statements: statementsIn(resolver, b.stack, b.resource.Properties?.PolicyDocument),
  }));
}

function conditionValues(resolver: TargetResolver, stack: StackArtifact, condition: Record<string, Record<string, unknown>> | undefined, key: string): string[] {
  const out: string[] = [];
  for (const keys of Object.values(condition ?? {})) {
    for (const [k, v] of Object.entries(keys ?? {})) {
      if (k.toLowerCase() === key) out.push(...(Array.isArray(v) ? v : [v]).map((x) => resolver.render(stack, x)));
    }
  }
  return out;
}

function keyPolicies(resolver: TargetResolver): KeyPolicyEvidence[] {
  return resolver.resources('AWS::KMS::Key').map((key) => ({
    ...located(key),
    alias: resolver.aliasesOf(key)[0],
    statements: statementsOf(key.resource.Properties?.KeyPolicy).map((s) => ({
      sid: s.Sid,
      effect: s.Effect ?? 'Allow',
      what: statementSentence(statementText(resolver, key.stack, s), Infinity),
      viaService: conditionValues(resolver, key.stack, s.Condition, 'kms:viaservice'),
      callerAccount: conditionValues(resolver, key.stack, s.Condition, 'kms:calleraccount'),
    })),
  }));
}

export function residencyEvidence(resolver: TargetResolver): ResidencyEvidence {
  const target = resolver.target;
  const anyStack = target.stacks[0];
  return {
    boundaries: boundaries(resolver),
    keyPolicies: keyPolicies(resolver),
    scp: target.scp !== undefined && anyStack ? { file: `${target.directoryName}/${SCP_FILE}`, statements: statementsIn(resolver, anyStack, target.scp) } : undefined,
    fips: resolver.resources('AWS::Lambda::Function').map((fn) => ({ function: resolver.label(fn), services: fipsServicesOf(fn) })),
  };
}
