import { Template } from 'aws-cdk-lib/assertions';
import { listAcknowledgments } from '../../../../lib/compliance/acknowledgments';
import { ModelWeights } from '../../../../lib/constructs/model-weights/model-weights';
import { COMMERCIAL, GOV_WEST, logicalIdOf, targetStack, TEST_ACCOUNT, testFoundation } from '../construct-test-stacks';

/** The weights bucket of the State stack: what the Neuron endpoint loads its model from. */
describe.each([COMMERCIAL, GOV_WEST])('ModelWeights in %s', (region) => {
  let template: Template;
  let weights: ModelWeights;
  let ids: { dataKey: string; accessLogs: string };
  beforeAll(() => {
    // GIVEN the bucket under the test foundation's data key and access-log bucket
    const { stack } = targetStack(region);
    const foundation = testFoundation(stack);
    weights = new ModelWeights(stack, 'Weights', { namePrefix: 'statehouse-test-data', dataKey: foundation.dataKey, accessLogsBucket: foundation.accessLogs });
    ids = { dataKey: logicalIdOf(foundation.dataKey), accessLogs: logicalIdOf(foundation.accessLogs) };
    template = Template.fromStack(stack);
  });

  test('named under the data-resource prefix (CloudTrail data events select on it), with the account for uniqueness', () => {
    expect(weights.bucketName).toBe(`statehouse-test-data-weights-${TEST_ACCOUNT}`);
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: `statehouse-test-data-weights-${TEST_ACCOUNT}` });
  });

  test('SC-28 KMS under the data key, versioned, no public access, access logs to the audit bucket, RETAIN', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: `statehouse-test-data-weights-${TEST_ACCOUNT}`,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [ids.dataKey, 'Arn'] } } },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.accessLogs }, LogFilePrefix: 'weights-bucket/' },
        LifecycleConfiguration: { Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }] },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('SC-8 TLS only: the bucket policy denies every request without TLS', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: logicalIdOf(weights.bucket) }),
    )!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  test('the two acknowledgments (no replication: residency; the access-log grant is the log bucket\'s own) carry their reasons', () => {
    expect(listAcknowledgments(weights).map((a) => a.rule.replace(/^Annotation::/, '')).sort()).toEqual(['@aws-cdk/aws-s3:accessLogsPolicyNotAdded', 'NIST.800.53.R5-S3BucketReplicationEnabled']);
  });
});
