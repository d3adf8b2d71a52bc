import { partitionOf } from '../../residency/region-facts';
import type { Located, TargetSummary } from '../evidence-types';
import type { TargetAssembly } from '../load-assembly';
import { constructPathOf, titleOf, type ResourceHandle } from '../resolve';

/** Section 1: where the target deploys, from each stack's environment in the manifest. */

export const DEPLOYING_ACCOUNT = 'deploying account';

export function located(handle: ResourceHandle): Located {
  return { title: titleOf(handle), stack: handle.stack.displayName, logicalId: handle.logicalId, constructPath: constructPathOf(handle) };
}

/** A stable id for a resource of a target: `GovWest/State/SessionsE3A1DF70`. */
export function nodeId(l: { stack: string; logicalId: string }): string {
  return `${l.stack}/${l.logicalId}`;
}

export function targetSummary(target: TargetAssembly): TargetSummary {
  const regions = [...new Set(target.stacks.map((s) => s.region ?? 'environment-agnostic'))];
  const accounts = [...new Set(target.stacks.map((s) => s.account ?? DEPLOYING_ACCOUNT))];
  const partition = partitionOf(regions[0] ?? '');
  const byId = new Map(target.stacks.map((s) => [s.artifactId, s.stackName]));
  return {
    target: target.name,
    region: regions[0] ?? 'environment-agnostic',
    regions,
    partition: partition ? { id: partition.id, name: partition.name } : undefined,
    account: accounts.join(', '),
    stacks: target.stacks.map((s) => ({
      stackName: s.stackName,
      path: s.displayName,
      templateFile: s.templateFile,
      templateSha256: s.templateSha256,
      resourceCount: Object.keys(s.template.Resources ?? {}).length,
      dependsOn: s.dependencies.map((d) => byId.get(d) ?? d),
    })),
  };
}
