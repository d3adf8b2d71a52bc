import { buildEvidence } from '../../../lib/report/evidence';
import type { CfnTemplate } from '../../../lib/report/cfn-types';
import type { StackArtifact, TargetAssembly } from '../../../lib/report/load-assembly';
import { parseNistR5Controls } from '../../../lib/report/nist-controls';
import { renderSvg } from '../../../lib/report/render-svg';
import { TargetResolver } from '../../../lib/report/resolve';

/**
 * The sections on hand-written templates, for resources the default app does
 * not synthesize yet (a SageMaker endpoint, a queue-fed function) and for
 * cross-stack resolution in isolation.
 */

const REGION = 'us-gov-west-1';

function stack(name: string, template: CfnTemplate, dependencies: string[] = []): StackArtifact {
  return { artifactId: name, stackName: `T-${name}`, displayName: `T/${name}`, region: REGION, template, metadata: {}, constructPaths: {}, templateFile: `${name}.template.json`, templateSha256: 'test', dependencies };
}

const keys = stack('Keys', {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: { Description: 'model volumes', EnableKeyRotation: true } },
    KeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/t-model', TargetKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
    Endpoint: { Type: 'AWS::EC2::VPCEndpoint', Properties: { ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.sagemaker.runtime']] }, VpcEndpointType: 'Interface' } },
  },
  Outputs: {
    KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: 'T-Keys:KeyArn' } },
  },
});

const inference = stack(
  'Inference',
  {
    Resources: {
      Config: {
        Type: 'AWS::SageMaker::EndpointConfig',
        Properties: { KmsKeyId: { 'Fn::ImportValue': 'T-Keys:KeyArn' }, ProductionVariants: [{ VariantName: 'main', InstanceType: 'ml.inf2.xlarge', InitialInstanceCount: 1 }] },
      },
      ModelEndpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] } } },
      RolePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: { Ref: 'ModelEndpoint' } }] },
        },
      },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, VpcConfig: { SubnetIds: ['subnet-1'] } } },
      Feed: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Fn' } } },
    },
  },
  ['Keys'],
);

const target: TargetAssembly = { name: 'T', directoryName: 'assembly-T', stacks: [keys, inference], sources: [] };
const nist = { file: 'RULES.md', version: 'test', controls: parseNistR5Controls('') };
const provenance = { commit: 'test', generatedAt: 'test', kitVersion: 'test' };

test('render resolves pseudo parameters from the stack environment and follows imports', () => {
  const resolver = new TargetResolver(target);
  expect(resolver.render(keys, keys.template.Resources!.Endpoint.Properties!.ServiceName)).toBe(`com.amazonaws.${REGION}.sagemaker.runtime`);
  expect(resolver.render(inference, { 'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::AccountId' }]] })).toBe('aws-us-gov:${AWS::AccountId}');
  expect(resolver.follow(inference, { 'Fn::ImportValue': 'T-Keys:KeyArn' })).toMatchObject({ logicalId: 'Key', attribute: 'Arn', stack: { displayName: 'T/Keys' } });
});

test('a SageMaker endpoint config is a data store under its key; the function reaches the endpoint through sagemaker.runtime', () => {
  const evidence = buildEvidence(target, undefined, nist, provenance);
  const config = evidence.dataStores.stores.find((s) => s.type === 'AWS::SageMaker::EndpointConfig')!;
  expect(config.encryption.key).toMatchObject({ alias: 'alias/t-model', description: 'model volumes', stack: 'T/Keys' });
  expect(config.notes).toContain('variant main: ml.inf2.xlarge x1');
  // An SQS queue without a key still has SQS-managed encryption by default.
  expect(evidence.dataStores.stores.find((s) => s.type === 'AWS::SQS::Queue')?.encryption.atRest).toBe('SSE-SQS (service-owned key)');
  expect(evidence.dataPaths.paths).toEqual(
    expect.arrayContaining([
      { from: 'T/Inference/Fn', to: 'T/Inference/ModelEndpoint', kind: 'model', label: 'inference', via: 'T/Keys/Endpoint' },
      { from: 'T/Inference/Queue', to: 'T/Inference/Fn', kind: 'stream', label: 'messages' },
    ]),
  );
  // A role without a boundary is reported as such, and without a validation report there is no compliance evidence.
  expect(evidence.roles[0].boundary).toBeUndefined();
  expect(evidence.compliance.validationReportFound).toBe(false);
  const svg = renderSvg(evidence);
  expect(svg).toContain('SageMaker endpoint config');
  expect(svg).toContain('>sagemaker.runtime<');
});

test('a service-principal grant without a source condition is flagged; one with aws:SourceArn, aws:SourceAccount or an encryption context is not', () => {
  // GIVEN a bucket policy with one unconditioned service grant and a key policy with scoped ones
  const grants = stack('Grants', {
    Resources: {
      Logs: { Type: 'AWS::S3::Bucket', Properties: {} },
      LogsPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Logs' },
          PolicyDocument: {
            Statement: [
              { Sid: 'Unscoped', Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: '*' },
              { Sid: 'ByArn', Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:x' } } },
              { Effect: 'Deny', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:*', Resource: '*' },
            ],
          },
        },
      },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: {
          KeyPolicy: {
            Statement: [
              { Sid: 'ByAccount', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 'kms:Decrypt*', Resource: '*', Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } },
              { Sid: 'ByContext', Effect: 'Allow', Principal: { Service: ['logs.us-gov-west-1.amazonaws.com'] }, Action: 'kms:Encrypt*', Resource: '*', Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:x' } } },
              { Sid: 'OnlyAcl', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*', Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } } },
              { Sid: 'Account', Effect: 'Allow', Principal: { AWS: 'arn:x:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
            ],
          },
        },
      },
      Invoke: { Type: 'AWS::Lambda::Permission', Properties: { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction', FunctionName: 'f' } },
    },
  });
  // WHEN the evidence is built
  const evidence = buildEvidence({ name: 'T', directoryName: 'assembly-T', stacks: [grants], sources: [] }, undefined, nist, provenance);
  // THEN every Allow to a service is listed, and exactly the unscoped ones have no scopedBy
  const unscoped = evidence.serviceGrants.filter((g) => g.scopedBy.length === 0).map((g) => g.sid ?? g.logicalId);
  expect(unscoped.sort()).toEqual(['Invoke', 'OnlyAcl', 'Unscoped']);
  expect(evidence.serviceGrants.map((g) => g.sid ?? g.logicalId).sort()).toEqual(['ByAccount', 'ByArn', 'ByContext', 'Invoke', 'OnlyAcl', 'Unscoped']);
  expect(evidence.serviceGrants.find((g) => g.sid === 'OnlyAcl')?.otherConditions).toEqual(['s3:x-amz-acl StringEquals bucket-owner-full-control']);
  expect(evidence.serviceGrants.find((g) => g.sid === 'Unscoped')?.policyOf).toContain('Logs');
});

test('an SNS topic lists its subscriptions and the functions whose roles may publish to it', () => {
  // GIVEN a topic with an email subscription, and a function whose role may publish to it
  const notices = stack('Notices', {
    Resources: {
      Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 't-notices', KmsMasterKeyId: 'alias/t-data' } },
      Email: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'email', Endpoint: 'approvers@example.gov' } },
      Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
      RolePolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'Topic' } }] } },
      },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 't-notifier', Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    },
  });
  // WHEN the evidence is built
  const evidence = buildEvidence({ name: 'T', directoryName: 'assembly-T', stacks: [notices], sources: [] }, undefined, nist, provenance);
  // THEN the topic is a data store with where its messages go and who sends them, and the publish is a data path
  const topic = evidence.dataStores.stores.find((st) => st.type === 'AWS::SNS::Topic')!;
  expect(topic.subscriptions).toEqual([{ protocol: 'email', endpoint: 'approvers@example.gov' }]);
  expect(topic.publishers).toEqual([expect.stringContaining('t-notifier')]);
  expect(evidence.dataPaths.paths).toContainEqual(expect.objectContaining({ from: 'T/Notices/Fn', to: 'T/Notices/Topic', label: 'publish' }));
});
