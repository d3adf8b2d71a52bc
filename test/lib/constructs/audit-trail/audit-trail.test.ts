import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AuditTrail } from '../../../../lib/constructs/audit-trail/audit-trail';
import { partitionOf, servicePrincipalName } from '../../../../lib/residency/region-facts';
import type { StatehouseStage } from '../../../../lib/stacks/statehouse-stage';
import { resolveIntrinsics } from '../../../helpers/iam-simulate';
import { synthStatehouse } from '../../../helpers/synth';
import { COMMERCIAL, GOV_WEST, logicalIdOf, roleStatements, targetStack, TEST_ACCOUNT } from '../construct-test-stacks';

const RETENTION_DAYS = 400;
const PREFIX = 'statehouse-test-data';

interface TrailFixture {
  readonly template: Template;
  readonly audit: AuditTrail;
  readonly auditKeyId: string;
  readonly logsKeyId: string;
}

function trailIn(region: string): TrailFixture {
  const { stack } = targetStack(region);
  const auditKey = new kms.Key(stack, 'AuditKey');
  const logsKey = new kms.Key(stack, 'LogsKey');
  const audit = new AuditTrail(stack, 'Audit', {
    trailName: 'statehouse-test-audit',
    auditKey,
    logsKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
    retentionDays: RETENTION_DAYS,
    dataResourcePrefix: PREFIX,
  });
  return { template: Template.fromStack(stack), audit, auditKeyId: logicalIdOf(auditKey), logsKeyId: logicalIdOf(logsKey) };
}

const tlsOnlyStatement = (bucketId: string) => ({
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 's3:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  Resource: [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] }],
});

const lifecycle = {
  Rules: [{ ExpirationInDays: RETENTION_DAYS, NoncurrentVersionExpiration: { NoncurrentDays: RETENTION_DAYS }, Status: 'Enabled' }],
};

const blockAll = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

describe('AuditTrail in GovWest', () => {
  let fixture: TrailFixture;
  let accessLogsId: string;
  let bucketId: string;
  beforeAll(() => {
    // GIVEN an audit trail in us-gov-west-1
    fixture = trailIn(GOV_WEST);
    accessLogsId = logicalIdOf(fixture.audit.accessLogsBucket);
    bucketId = logicalIdOf(fixture.audit.bucket);
  });

  test('CloudTrail may write to the audit bucket only for this trail; S3 may deliver access logs only for this account\'s data buckets', () => {
    // WHEN the bucket policies are read
    const statements = (bucket: string) =>
      Object.values(fixture.template.findResources('AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref === bucket)!.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const trailArn = `arn:${partitionOf(GOV_WEST)!.id}:cloudtrail:${GOV_WEST}:${TEST_ACCOUNT}:trail/statehouse-test-audit`;
    const audit = statements(bucketId).filter((s) => s.Principal?.Service === servicePrincipalName('cloudtrail'));
    // THEN both CloudTrail grants name the trail, and there is no other
    expect(audit.map((s) => [s.Action, s.Condition.ArnLike])).toEqual([
      ['s3:GetBucketAcl', { 'aws:SourceArn': trailArn }],
      ['s3:PutObject', { 'aws:SourceArn': trailArn }],
    ]);
    // AND every S3 log-delivery grant names its source bucket(s) and account
    const delivery = statements(accessLogsId).filter((s) => s.Principal?.Service === servicePrincipalName('logging.s3'));
    expect(delivery.length).toBeGreaterThan(0);
    for (const s of delivery) expect(s.Condition).toMatchObject({ ArnLike: { 'aws:SourceArn': expect.anything() }, StringEquals: { 'aws:SourceAccount': TEST_ACCOUNT } });
    expect(delivery.map((s) => s.Condition.ArnLike['aws:SourceArn'])).toContainEqual(`arn:${partitionOf(GOV_WEST)!.id}:s3:::${PREFIX}*`);
  });

  test('the audit bucket: KMS under the audit key, versioned, access-logged, private, expiring after the retention, retained', () => {
    // THEN the audit bucket has every control, and is the only bucket that writes access logs
    fixture.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [fixture.auditKeyId, 'Arn'] } },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: 'audit-bucket/' },
        PublicAccessBlockConfiguration: blockAll,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: lifecycle,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(Object.keys(fixture.template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } }))).toEqual([bucketId]);
  });

  test('the access-log bucket: SSE-S3 (the only encryption S3 log delivery supports), versioned, private, expiring, retained', () => {
    // THEN the access-log bucket has every control S3 log delivery allows
    fixture.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: blockAll,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: lifecycle,
      },
      DeletionPolicy: 'Retain',
    });
    fixture.template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  test('both bucket policies deny every request without TLS', () => {
    // THEN each bucket's policy denies s3:* on the bucket and its objects when aws:SecureTransport is false
    for (const id of [accessLogsId, bucketId]) {
      fixture.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([tlsOnlyStatement(id)]) },
      });
    }
  });

  test('the trail: file validation, multi-region with global events, the audit key, into the audit bucket and CloudWatch Logs', () => {
    // THEN the trail is validated, multi-region, encrypted and delivered to both destinations
    const logGroupId = logicalIdOf(fixture.audit.logGroup);
    fixture.template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    fixture.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'statehouse-test-audit',
      EnableLogFileValidation: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      IsLogging: true,
      KMSKeyId: { 'Fn::GetAtt': [fixture.auditKeyId, 'Arn'] },
      S3BucketName: { Ref: bucketId },
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    });
    fixture.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [fixture.logsKeyId, 'Arn'] }, RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
    // the delivery role may write to that log group and nothing else
    const trail = Object.values(fixture.template.findResources('AWS::CloudTrail::Trail'))[0];
    const roleId = trail.Properties.CloudWatchLogsRoleArn['Fn::GetAtt'][0] as string;
    expect(roleStatements(fixture.template, roleId)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
    ]);
  });

  test('advanced event selectors: management events, and data events of the tables and objects under the data-resource prefix', () => {
    // THEN the trail selects management events and the data events of the platform's tables and objects
    const partition = partitionOf(GOV_WEST)!.id;
    fixture.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: [
        { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
        {
          Name: 'Session tables: item reads and writes',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
            { Field: 'resources.ARN', StartsWith: [`arn:${partition}:dynamodb:${GOV_WEST}:${TEST_ACCOUNT}:table/${PREFIX}`] },
          ],
        },
        {
          Name: 'Payload buckets: object reads and writes',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            { Field: 'resources.ARN', StartsWith: [`arn:${partition}:s3:::${PREFIX}`] },
          ],
        },
      ],
    });
    // and no basic event selectors beside them
    const trail = Object.values(fixture.template.findResources('AWS::CloudTrail::Trail'))[0];
    expect(trail.Properties.EventSelectors ?? []).toEqual([]);
  });
});

test('AuditTrail in us-east-1: the data-event selectors use the commercial partition and region', () => {
  // GIVEN an audit trail in us-east-1
  const { template } = trailIn(COMMERCIAL);
  // WHEN the selectors are read
  const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0];
  const prefixes = (trail.Properties.AdvancedEventSelectors as Array<{ FieldSelectors: Array<{ Field: string; StartsWith?: string[] }> }>)
    .flatMap((s) => s.FieldSelectors)
    .flatMap((f) => f.StartsWith ?? []);
  // THEN they name the commercial partition
  expect(prefixes).toEqual([`arn:aws:dynamodb:${COMMERCIAL}:${TEST_ACCOUNT}:table/${PREFIX}`, `arn:aws:s3:::${PREFIX}`]);
});

describe('AuditTrail in the real GovWest app', () => {
  const account = '222222222222';
  let stage: StatehouseStage;
  beforeAll(() => {
    // GIVEN the GovWest target as `cdk synth` builds it
    [stage] = synthStatehouse({ targets: 'GovWest' }).stages;
  });

  /** A template value with its pseudo parameters resolved for `account`. */
  const literal = (value: unknown, stack: Stack, template: Template) =>
    resolveIntrinsics(value, { template: template.toJSON(), stackName: stack.stackName, partition: stack.partition, region: stack.region, account }) as string;

  test('the session table and every payload object fall under the trail\'s data-event selectors', () => {
    // WHEN the trail's ARN prefixes and the State stack's physical names are read
    const foundation = Template.fromStack(stage.foundation);
    const trail = Object.values(foundation.findResources('AWS::CloudTrail::Trail'))[0];
    const prefixOf = (resourceType: string) => {
      const selector = (trail.Properties.AdvancedEventSelectors as Array<{ FieldSelectors: Array<{ Field: string; Equals?: string[]; StartsWith?: unknown[] }> }>).find(
        (s) => s.FieldSelectors.some((f) => f.Field === 'resources.type' && f.Equals?.includes(resourceType)),
      )!;
      return literal(selector.FieldSelectors.find((f) => f.Field === 'resources.ARN')!.StartsWith![0], stage.foundation, foundation);
    };
    const state = Template.fromStack(stage.state);
    const resources = state.toJSON().Resources;
    const sessions = stage.state.sessions;
    const tableName = literal(resources[logicalIdOf(sessions.table)].Properties.TableName, stage.state, state);
    const bucketName = literal(resources[logicalIdOf(sessions.payloadBucket)].Properties.BucketName, stage.state, state);
    const arnPrefix = partitionOf(GOV_WEST)!.arnPrefix;
    // THEN the table's ARN and an object's ARN start with them
    expect(`${arnPrefix}dynamodb:${GOV_WEST}:${account}:table/${tableName}`.startsWith(prefixOf('AWS::DynamoDB::Table'))).toBe(true);
    expect(`${arnPrefix}s3:::${bucketName}/tenant/session/0001`.startsWith(prefixOf('AWS::S3::Object'))).toBe(true);
  });
});
