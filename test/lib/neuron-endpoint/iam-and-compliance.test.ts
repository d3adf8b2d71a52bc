import * as fs from 'node:fs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { listAcknowledgments } from '../../../lib/compliance/acknowledgments';
import { NeuronEndpoint } from '../../../lib/constructs/neuron-endpoint/neuron-endpoint';
import { NeuronInstanceType } from '../../../lib/constructs/neuron-endpoint/neuron-instance-type';
import { ServingImage } from '../../../lib/constructs/neuron-endpoint/serving-image';
import { cfnLint, cfnLintReady } from '../../helpers/cfn-lint';
import {
  COMMERCIAL,
  ENDPOINT_PATH,
  endpointIn,
  GOV_WEST,
  listOf,
  logicalIdOf,
  roleStatements,
  synthReport,
  templateFiles,
  WEIGHTS_PREFIX,
  type EndpointFixture,
  type Statement,
} from './neuron-test-stack';

/** Statements as `{ actions (sorted), resource, condition }`, so a test reads like the policy it checks. */
function grantsOf(statements: Statement[]): Array<{ actions: string[]; resource: unknown; condition?: unknown }> {
  return statements.map((s) => ({
    actions: [...listOf(s.Action)].sort(),
    resource: s.Resource,
    ...(s.Condition ? { condition: s.Condition } : {}),
  }));
}

const PARTITION_OF = { [COMMERCIAL]: 'aws', [GOV_WEST]: 'aws-us-gov' } as const;
const REGISTRY_OF = { [COMMERCIAL]: '763104351884', [GOV_WEST]: '442386744353' } as const;

describe.each([COMMERCIAL, GOV_WEST] as const)('NeuronEndpoint IAM in %s', (region) => {
  let f: EndpointFixture;
  let template: Template;
  let resources: Record<string, any>;
  beforeAll(() => {
    // GIVEN an endpoint and a caller role granted invoke
    f = endpointIn(region);
    template = Template.fromStack(f.stack);
    resources = template.toJSON().Resources;
  });

  test('the execution role trusts SageMaker only and holds exactly: weights prefix, data key, image repository, logs, metrics, VPC interfaces', () => {
    const role = resources[logicalIdOf(f.endpoint.role)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const weightsArn = { 'Fn::GetAtt': [logicalIdOf(f.weights), 'Arn'] };
    expect(grantsOf(roleStatements(template, logicalIdOf(f.endpoint.role)))).toEqual([
      { actions: ['s3:GetObject'], resource: { 'Fn::Join': ['', [weightsArn, `/${WEIGHTS_PREFIX}*`]] } },
      { actions: ['s3:ListBucket'], resource: weightsArn, condition: { StringLike: { 's3:prefix': [`${WEIGHTS_PREFIX}*`] } } },
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: { 'Fn::GetAtt': [logicalIdOf(f.dataKey), 'Arn'] } },
      {
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resource: `arn:${PARTITION_OF[region]}:ecr:${region}:${REGISTRY_OF[region]}:repository/djl-inference`,
      },
      {
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:CreateNetworkInterfacePermission',
          'ec2:DeleteNetworkInterface',
          'ec2:DeleteNetworkInterfacePermission',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
          'ecr:GetAuthorizationToken',
        ],
        resource: '*',
      },
      {
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resource: { 'Fn::GetAtt': [logicalIdOf(f.endpoint.logGroup), 'Arn'] },
      },
      { actions: ['cloudwatch:PutMetricData'], resource: '*', condition: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } } },
    ]);
  });

  test('the container log group has the SageMaker name, the logs key, a year of retention, and is retained', () => {
    Template.fromStack(f.stack).hasResource('AWS::Logs::LogGroup', {
      Properties: {
        LogGroupName: '/aws/sagemaker/Endpoints/Statehouse-Test-LLM',
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(f.logsKey), 'Arn'] },
        RetentionInDays: 365,
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('logRemovalPolicy: DESTROY on request', () => {
    const destroyed = endpointIn(region, { logRemovalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(destroyed.stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('the security group: no inbound, HTTPS out only', () => {
    const group = resources[logicalIdOf(f.endpoint.securityGroup)].Properties;
    expect(group.SecurityGroupIngress).toBeUndefined();
    expect(group.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to VPC endpoints (S3 gateway for the weights)', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
  });

  test('grantInvoke gives sagemaker:InvokeEndpoint on exactly this endpoint ARN (name lower-cased), nothing else', () => {
    expect(roleStatements(template, logicalIdOf(f.caller))).toEqual([
      {
        Action: 'sagemaker:InvokeEndpoint',
        Effect: 'Allow',
        Resource: `arn:${PARTITION_OF[region]}:sagemaker:${region}:123456789012:endpoint/statehouse-test-llm`,
      },
    ]);
  });
});

describe('NeuronEndpoint IAM, variants', () => {
  test('a weights bucket under its own key: the role may decrypt with that key too', () => {
    const f = endpointIn(COMMERCIAL, ({ stack }) => {
      const key = new kms.Key(stack, 'WeightsKey', { enableKeyRotation: true });
      return { weights: { bucket: new s3.Bucket(stack, 'OwnWeights', { encryptionKey: key, enforceSSL: true }), prefix: 'm' } };
    });
    const template = Template.fromStack(f.stack);
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(f.stack.node.findChild('WeightsKey') as kms.Key), 'Arn'] };
    const statements = grantsOf(roleStatements(template, logicalIdOf(f.endpoint.role)));
    expect(statements).toContainEqual({ actions: ['kms:Decrypt'], resource: keyArn });
    // A prefix without a trailing slash is read as a folder.
    expect(statements[0].resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(f.stack.node.findChild('OwnWeights') as s3.Bucket), 'Arn'] }, '/m/*']] });
  });

  test('NVMe instance store (trn1) without data capture: no volume key, so no data-key grant', () => {
    const f = endpointIn(COMMERCIAL, { instanceType: NeuronInstanceType.TRN1_2XLARGE });
    const statements = roleStatements(Template.fromStack(f.stack), logicalIdOf(f.endpoint.role));
    expect(JSON.stringify(statements)).not.toContain('kms:');
  });

  test('data capture: the role may put objects under the capture prefix only', () => {
    const f = endpointIn(COMMERCIAL, ({ weights }) => ({ dataCapture: { bucket: weights, prefix: 'capture/' } }));
    const statements = grantsOf(roleStatements(Template.fromStack(f.stack), logicalIdOf(f.endpoint.role)));
    expect(statements).toContainEqual({ actions: ['s3:PutObject'], resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(f.weights), 'Arn'] }, '/capture/*']] } });
  });

  test('fromEndpointAttributes: a grantee in another stack gets the same exact ARN, and the same metrics', () => {
    const f = endpointIn(GOV_WEST);
    const imported = NeuronEndpoint.fromEndpointAttributes(f.stack, 'Imported', { endpointName: 'Other-LLM' });
    const role = new iam.Role(f.stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantInvoke(role);
    expect(roleStatements(Template.fromStack(f.stack), logicalIdOf(role))).toEqual([
      { Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: 'arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:endpoint/other-llm' },
    ]);
    expect(imported.metricInvocations().dimensions).toEqual({ EndpointName: 'Other-LLM', VariantName: 'AllTraffic' });
  });
});

const IN_STACK_WEIGHTS = '<Weights79DEE8EF.Arn>';
// cdk-nag names a finding by the reference it sees in the template: an import when the bucket is in another stack.
const IMPORTED_WEIGHTS = 'Target-State:ExportsOutputFnGetAttWeights79DEE8EFArn34D27ADE';

/** The acknowledgments an instance type with NVMe instance store adds to the endpoint configuration. */
const INSTANCE_STORE_ACKS = [
  'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured @ Config',
  'StatehouseResidency::UnencryptedDataStore @ Config',
];

describe.each([
  ['us-east-1, inf2, LMI', COMMERCIAL, {}, {}, [`${IN_STACK_WEIGHTS}/models/llama-3-8b/*`]],
  [
    'us-gov-west-1, trn1, TGI, weights in another stack',
    GOV_WEST,
    { instanceType: NeuronInstanceType.TRN1_32XLARGE, image: ServingImage.tgiNeuronx() },
    { weightsInOtherStack: true },
    [`${IMPORTED_WEIGHTS}/models/llama-3-8b/*`],
  ],
  [
    'us-gov-west-1, trn2, data capture',
    GOV_WEST,
    { instanceType: NeuronInstanceType.TRN2_48XLARGE },
    { capture: true },
    [`${IN_STACK_WEIGHTS}/capture/*`, `${IN_STACK_WEIGHTS}/models/llama-3-8b/*`],
  ],
] as const)('NeuronEndpoint compliance, %s', (_, region, props, options: { weightsInOtherStack?: boolean; capture?: boolean }, wildcards) => {
  let f: EndpointFixture;
  let errors: ReturnType<typeof synthReport>['errors'];
  beforeAll(() => {
    // GIVEN the endpoint in an app with the cdk-nag packs (AwsSolutions, NIST 800-53 R5), as bin/ builds it
    f = endpointIn(
      region,
      ({ weights }) => ({ ...props, ...(options.capture ? { dataCapture: { bucket: weights, prefix: 'capture' } } : {}) }),
      { compliancePacks: true, weightsInOtherStack: options.weightsInOtherStack },
    );
    // WHEN synthesized
    errors = synthReport(f).errors;
  });

  test('cdk-nag and the residency guard report zero unacknowledged findings on the construct', () => {
    // The test's own VPC, bucket and caller role are not the construct's: only its paths count.
    const mine = errors.filter((e) => e.paths.some((p) => p.startsWith(`${ENDPOINT_PATH}/`)));
    expect(mine).toEqual([]);
    // The SageMaker rules that apply pass by design (AwsSolutions SM1-3 check notebook instances only).
    expect(errors.map((e) => e.rule)).not.toContainEqual(expect.stringMatching(/SageMaker|-SM\d/));
  });

  test('every acknowledgment on the construct names a rule and a reason', () => {
    const acks = listAcknowledgments(f.endpoint).map((a) => `${a.rule.replace(/^Annotation::/, '')} @ ${a.path.replace(`${ENDPOINT_PATH}/`, '')}`);
    expect(acks.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*] @ ExecutionRole',
        ...wildcards.map((resource) => `AwsSolutions-IAM5[Resource::${resource}] @ ExecutionRole`),
        'NIST.800.53.R5-CloudWatchAlarmAction @ ErrorsAlarm',
        'NIST.800.53.R5-CloudWatchAlarmAction @ LatencyAlarm',
        'NIST.800.53.R5-IAMNoInlinePolicy @ ExecutionRole',
        ...(f.endpoint.instanceType.instanceStorage ? INSTANCE_STORE_ACKS : []),
      ].sort(),
    );
    for (const ack of listAcknowledgments(f.endpoint)) expect(ack.reason.length).toBeGreaterThanOrEqual(40);
  });

  test('cfn-lint reports zero errors for the region', () => {
    if (!cfnLintReady()) return;
    const files = templateFiles(f);
    expect(files).toHaveLength(options.weightsInOtherStack ? 2 : 1);
    for (const file of files) expect(fs.existsSync(file)).toBe(true);
    expect(cfnLint(files, region).filter((finding) => finding.Level === 'Error')).toEqual([]);
  });
});
