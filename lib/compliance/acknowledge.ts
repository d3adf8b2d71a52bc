import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The one way this kit acknowledges a compliance finding (cdk-nag or the
 * residency guard). Every acknowledgment names the rule and carries a reason
 * an auditor can read; the evidence report lists them all.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge(${scope.node.path}, ${id}): give a reason an auditor can check (got "${reason}").`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * A resolved CloudFormation value as cdk-nag 3 writes it in a finding id
 * (`arn:<AWS::Partition>:s3:::bucket-<AWS::AccountId>/*`): Fn::Join joined,
 * `${X}` of Fn::Sub and `Ref: X` as `<X>`, Fn::GetAtt as `<Resource.Attribute>`.
 * The same rules as cdk-nag's `flattenCfnReference` (cdk-nag `src/utils/flatten-cfn-reference.ts`),
 * which the package does not export; the compliance tests fail if the two ever disagree,
 * as a finding acknowledged under another id stays unacknowledged.
 */
export function findingResourceId(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(findingResourceId).join(delimiter);
    }
    if (node['Fn::Sub'] !== undefined) return findingResourceId(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${findingResourceId(resource)}.${findingResourceId(attribute)}>`;
    }
    if (node['Fn::ImportValue'] !== undefined) return findingResourceId(node['Fn::ImportValue']);
    if (node.Ref !== undefined) return `<${findingResourceId(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledge AwsSolutions-IAM5 for one wildcard resource ARN. cdk-nag 3 names
 * each finding by the flattened resource; the id is computed in the stack of
 * `scope`, so it matches whatever tokens the ARN carries.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const flattened = findingResourceId(Stack.of(scope).resolve(resourceArn));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattened}]`, reason);
}

/** The one AWS-managed policy a backup selection's role carries, acknowledged where each table joins the backup plan. */
export function acknowledgeBackupServiceRole(selection: IConstruct): void {
  acknowledge(
    selection.node.findChild('Role'),
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    'AWS Backup documents this AWS-managed service-role policy for backup jobs; it is maintained by AWS as services add backup APIs.',
  );
}
