import { App, RemovalPolicy, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../../lib/compliance/acknowledge';
import type { ResidencyConfig } from '../../../lib/config/schema';
import { PARTITIONS } from '../../../lib/residency/region-facts';
import { ResidencyGuard } from '../../../lib/residency/residency-guard';

const GOV_WEST: ResidencyConfig = { regions: ['us-gov-west-1'], crossRegionInference: 'deny', fips: true };
const guard = new ResidencyGuard(GOV_WEST);
const COMMERCIAL_ARN = `${PARTITIONS.aws.arnPrefix}s3:::some-bucket`;

function rulesOf(resources: Record<string, unknown>, region = 'us-gov-west-1'): string[] {
  return guard.findings({ Resources: resources as any }, region).map((f) => `${f.rule}:${f.logicalId}`);
}

describe('residency guard rules', () => {
  test('a literal commercial ARN in a GovCloud template is found; the own partition is not', () => {
    const role = (arn: string) => ({
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: arn }] } },
    });
    expect(rulesOf({ Leak: role(COMMERCIAL_ARN) })).toEqual(['PartitionLiteral:Leak']);
    expect(rulesOf({ Fine: role(`${PARTITIONS['aws-us-gov'].arnPrefix}s3:::some-bucket`) })).toEqual([]);
  });

  test('a region outside residency.regions is found', () => {
    const endpoint = (region: string) => ({ Type: 'AWS::EC2::VPCEndpoint', Properties: { ServiceName: `com.amazonaws.${region}.kms` } });
    expect(rulesOf({ East: endpoint('us-gov-east-1') })).toEqual(['RegionOutsideResidency:East']);
    expect(rulesOf({ West: endpoint('us-gov-west-1') })).toEqual([]);
  });

  test.each`
    type                                  | unencrypted                       | encrypted
    ${'AWS::DynamoDB::Table'}             | ${{}}                             | ${{ SSESpecification: { SSEEnabled: true, KMSMasterKeyId: 'k' } }}
    ${'AWS::S3::Bucket'}                  | ${{}}                             | ${{ BucketEncryption: { ServerSideEncryptionConfiguration: [] } }}
    ${'AWS::Logs::LogGroup'}              | ${{ RetentionInDays: 7 }}         | ${{ KmsKeyId: 'k' }}
    ${'AWS::SQS::Queue'}                  | ${{}}                             | ${{ KmsMasterKeyId: 'k' }}
    ${'AWS::SageMaker::EndpointConfig'}   | ${{}}                             | ${{ KmsKeyId: 'k' }}
    ${'AWS::StepFunctions::StateMachine'} | ${{}}                             | ${{ EncryptionConfiguration: { Type: 'CUSTOMER_MANAGED_KMS_KEY' } }}
  `('an unencrypted $type is found', ({ type, unencrypted, encrypted }) => {
    expect(rulesOf({ Store: { Type: type, Properties: unencrypted } })).toEqual(['UnencryptedDataStore:Store']);
    expect(rulesOf({ Store: { Type: type, Properties: encrypted } })).toEqual([]);
  });

  test('a wildcard principal is found unless a condition pins it to the account, org or endpoint', () => {
    const policy = (statement: Record<string, unknown>) => ({ Type: 'AWS::S3::BucketPolicy', Properties: { PolicyDocument: { Statement: [statement] } } });
    expect(rulesOf({ Open: policy({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }) })).toEqual(['WildcardPrincipal:Open']);
    expect(rulesOf({ OpenAws: policy({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:GetObject' }) })).toEqual(['WildcardPrincipal:OpenAws']);
    expect(rulesOf({ Pinned: policy({ Effect: 'Allow', Principal: '*', Action: 's3:*', Condition: { StringEquals: { 'aws:PrincipalAccount': '1' } } }) })).toEqual([]);
    expect(rulesOf({ Deny: policy({ Effect: 'Deny', Principal: '*', Action: 's3:*' }) })).toEqual([]);
  });

  test('a Lambda function outside the VPC is found', () => {
    expect(rulesOf({ Fn: { Type: 'AWS::Lambda::Function', Properties: {} } })).toEqual(['LambdaOutsideVpc:Fn']);
    expect(rulesOf({ Fn: { Type: 'AWS::Lambda::Function', Properties: { VpcConfig: { SubnetIds: ['s'] } } } })).toEqual([]);
  });
});

describe('residency guard in synth', () => {
  function appWithBucket(configure: (bucket: s3.Bucket) => void): App {
    const app = new App();
    const stage = new Stage(app, 'GovWest', { env: { region: 'us-gov-west-1', account: '123456789012' } });
    const stack = new Stack(stage, 'Data');
    const bucket = new s3.Bucket(stack, 'Unencrypted', { removalPolicy: RemovalPolicy.DESTROY });
    // A template without BucketEncryption (BucketEncryption.UNENCRYPTED, which did the same, is deprecated and printed a warning).
    (bucket.node.defaultChild as s3.CfnBucket).addPropertyDeletionOverride('BucketEncryption');
    configure(bucket);
    Validations.of(stage).addPlugins(guard);
    return app;
  }

  test('an unencrypted data store fails synth, naming the rule and the construct', () => {
    const app = appWithBucket(() => undefined);
    expect(() => app.synth()).toThrow(/no encryption at rest[\s\S]*GovWest\/Data\/Unencrypted[\s\S]*StatehouseResidency::UnencryptedDataStore/);
  });

  test('an acknowledgment with a reason lets it through, and a reason is required', () => {
    const app = appWithBucket((bucket) =>
      acknowledge(bucket, 'StatehouseResidency::UnencryptedDataStore', 'Holds only public test fixtures, no agency data.'),
    );
    expect(() => app.synth()).not.toThrow();
    expect(() => appWithBucket((bucket) => acknowledge(bucket, 'StatehouseResidency::UnencryptedDataStore', 'ok'))).toThrow(
      /give a reason an auditor can check/,
    );
  });
});
