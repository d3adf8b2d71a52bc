import * as iam from 'aws-cdk-lib/aws-iam';
import type { Residency } from './residency';
import { partitionOf } from './region-facts';

/**
 * Policy builders that turn a residency setting into IAM statements. Pure
 * functions: the constructs decide where the statements go.
 *
 * `partition` and `account` are strings so these builders serve both CDK
 * (pass `Stack.of(this).partition` / `.account`, literal or token) and the SCP
 * document written as plain JSON.
 */

/**
 * Services whose APIs are global (IAM, Organizations, ...). They are called in
 * a fixed region, so a region deny must leave them out. Based on the AWS
 * Control Tower region-deny control, narrowed to what this platform can call
 * (Control Tower also exempts e.g. all of sts and kms; this list does not).
 */
export const GLOBAL_SERVICE_ACTIONS = [
  'iam:*',
  'organizations:*',
  'account:*',
  'support:*',
  'health:*',
  'route53:*',
  'route53domains:*',
  'cloudfront:*',
  'waf:*',
  'globalaccelerator:*',
  'budgets:*',
  'ce:*',
  'cur:*',
  'trustedadvisor:*',
  'sts:GetCallerIdentity',
];

/** Bedrock actions that run a model. Converse and ConverseStream are authorized as InvokeModel*. */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

/**
 * Service prefixes a Statehouse role may ever use. The boundary grants nothing
 * by itself; it caps what identity policies can grant (AC-6 least privilege).
 */
export const BOUNDARY_SERVICES = [
  'logs',
  'xray',
  'cloudwatch',
  'dynamodb',
  's3',
  'kms',
  'states',
  'lambda',
  'sagemaker',
  'bedrock',
  'ec2',
  'sts',
  'execute-api',
  'sqs',
  'events',
  'ecr',
];

export interface ResidencyPolicyProps {
  readonly residency: Residency;
  readonly partition: string;
  readonly account: string;
}

/** SC-7 / AC-4: deny every regional call outside the allowed regions. */
export function regionDenyStatement(residency: Residency): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyOutsideAllowedRegions',
    effect: iam.Effect.DENY,
    notActions: GLOBAL_SERVICE_ACTIONS,
    resources: ['*'],
    conditions: { StringNotEquals: { 'aws:RequestedRegion': [...residency.regions] } },
  });
}

/**
 * Cross-region inference profiles route a request to other regions. With
 * `crossRegionInference: deny` no profile may be invoked; with
 * `within-partition` the region deny still pins every destination region,
 * because IAM evaluates `aws:RequestedRegion` as the destination.
 */
export function inferenceProfileDenyStatement(props: ResidencyPolicyProps): iam.PolicyStatement | undefined {
  if (props.residency.crossRegionInference !== 'deny') return undefined;
  return new iam.PolicyStatement({
    sid: 'DenyCrossRegionInferenceProfiles',
    effect: iam.Effect.DENY,
    actions: ['bedrock:*'],
    resources: [
      `arn:${props.partition}:bedrock:*:*:inference-profile/*`,
      `arn:${props.partition}:bedrock:*:*:application-inference-profile/*`,
    ],
  });
}

/**
 * SC-7(5): data-plane calls, and every way into another account (events,
 * APIs, assumed roles), may reach only this account's resources. ECR is left
 * out: SageMaker pulls the AWS Deep Learning Containers from AWS's registry accounts.
 */
export const FOREIGN_RESOURCE_DENIED_ACTIONS = [
  'dynamodb:*',
  's3:GetObject*',
  's3:PutObject*',
  's3:DeleteObject*',
  's3:ListBucket',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  'states:*',
  'lambda:InvokeFunction',
  'sqs:*',
  'events:PutEvents',
  'execute-api:Invoke',
  'sts:AssumeRole*',
];

export function foreignResourceDenyStatement(props: ResidencyPolicyProps): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyDataPlaneInOtherAccounts',
    effect: iam.Effect.DENY,
    actions: FOREIGN_RESOURCE_DENIED_ACTIONS,
    resources: ['*'],
    conditions: { StringNotEquals: { 'aws:ResourceAccount': [props.account] } },
  });
}

/** The permissions-boundary document carried by every role the kit creates. */
export function permissionsBoundaryDocument(props: ResidencyPolicyProps): iam.PolicyDocument {
  const statements = [
    new iam.PolicyStatement({
      sid: 'CapAtPlatformServices',
      actions: BOUNDARY_SERVICES.map((s) => `${s}:*`),
      resources: ['*'],
    }),
    regionDenyStatement(props.residency),
    foreignResourceDenyStatement(props),
  ];
  const profileDeny = inferenceProfileDenyStatement(props);
  if (profileDeny) statements.push(profileDeny);
  return new iam.PolicyDocument({ statements });
}

/** Service endpoints through which the data keys may be used (`kms:ViaService`). */
// backup: AWS Backup copies the session table's recovery points into a vault under the data key.
// sns: the approval notices topic is encrypted under the data key; its publisher (the workflows' role) uses it through SNS.
export const KMS_VIA_SERVICES = ['dynamodb', 's3', 'lambda', 'states', 'sagemaker', 'sqs', 'ec2', 'bedrock', 'backup', 'sns'];

/** `{service}.{region}.{dnsSuffix}` for every allowed region. */
export function kmsViaServiceValues(residency: Residency, services: readonly string[] = KMS_VIA_SERVICES): string[] {
  return residency.regions.flatMap((region) => {
    const partition = partitionOf(region);
    if (!partition) throw new Error(`residency region "${region}" has no partition in lib/residency/region-facts.ts`);
    return services.map((service) => `${service}.${region}.${partition.dnsSuffix}`);
  });
}

/**
 * The SCP the organization admin attaches to the workload account or OU.
 * The kit writes it next to the templates; it never deploys SCPs.
 */
export function serviceControlPolicy(props: ResidencyPolicyProps & { trailName: string }): Record<string, unknown> {
  const statements = [regionDenyStatement(props.residency)];
  const profileDeny = inferenceProfileDenyStatement(props);
  if (profileDeny) statements.push(profileDeny);
  statements.push(
    new iam.PolicyStatement({
      sid: 'ProtectAuditTrail',
      effect: iam.Effect.DENY,
      actions: ['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors'],
      resources: [`arn:${props.partition}:cloudtrail:*:${props.account}:trail/${props.trailName}`],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': `arn:${props.partition}:iam::*:role/OrganizationAccountAccessRole` } },
    }),
  );
  return new iam.PolicyDocument({ statements }).toJSON();
}
