import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import type { Residency } from '../../residency/residency';
import { acknowledge } from '../../compliance/acknowledge';
import { BOUNDARY_SERVICES, permissionsBoundaryDocument } from '../../residency/policies';

export interface ResidencyBoundaryProps {
  readonly residency: Residency;
  /** Physical name, so an SCP or an auditor can require and find it. */
  readonly managedPolicyName: string;
}

/**
 * The permissions boundary every role of a target carries (AC-6, SC-7):
 * it caps roles at the platform's services, denies calls outside the allowed
 * regions and data-plane calls into other accounts, and, when cross-region
 * inference is denied, Bedrock inference profiles.
 *
 * `applyTo(stage)` attaches it to every role created under that scope,
 * including roles of CDK-managed custom resources.
 */
export class ResidencyBoundary extends Construct {
  public readonly policy: iam.IManagedPolicy;

  constructor(scope: Construct, id: string, props: ResidencyBoundaryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: props.managedPolicyName,
      description: 'Statehouse permissions boundary: platform services only, allowed regions only, own-account data only',
      document: permissionsBoundaryDocument({ residency: props.residency, partition: stack.partition, account: stack.account }),
    });
    const reason =
      'Permissions boundary, not a grant: it caps roles at the platform services; each role\'s identity policy grants exact actions on exact resources.';
    // cdk-nag 3 acknowledges each finding on its own: one per service wildcard, and the `*` resource.
    for (const service of BOUNDARY_SERVICES) acknowledge(policy, `AwsSolutions-IAM5[Action::${service}:*]`, reason);
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', reason);
    acknowledge(policy, 'NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess', reason);
    this.policy = policy;
  }

  /** Attach the boundary to every role under `scope`. */
  public applyTo(scope: IConstruct): void {
    iam.PermissionsBoundary.of(scope).apply(this.policy);
  }
}
