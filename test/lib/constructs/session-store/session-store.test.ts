import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SessionStore } from '../../../../lib/constructs/session-store/session-store';
import { PARTITIONS, partitionOf } from '../../../../lib/residency/region-facts';
import { SESSION_TABLE_SCHEMA } from '../../../../lib/contract/session-table';
import {
  COMMERCIAL,
  GOV_WEST,
  listOf,
  logicalIdOf,
  roleStatements,
  targetStack,
  TEST_ACCOUNT,
  testFoundation,
  type Statement,
  type TestFoundation,
} from '../construct-test-stacks';

const PREFIX = 'statehouse-test-data';

interface StoreFixture {
  readonly stack: Stack;
  readonly template: Template;
  readonly store: SessionStore;
  readonly foundation: TestFoundation;
  readonly readWrite: iam.Role;
  readonly readOnly: iam.Role;
}

/** A session store, and two roles: one granted read-write, one read-only. */
function storeIn(region: string): StoreFixture {
  const { stack } = targetStack(region);
  const foundation = testFoundation(stack);
  const store = new SessionStore(stack, 'Sessions', {
    namePrefix: PREFIX,
    dataKey: foundation.dataKey,
    s3Endpoint: foundation.s3Endpoint,
    accessLogsBucket: foundation.accessLogs,
  });
  const assumedBy = new iam.AccountRootPrincipal();
  const readWrite = new iam.Role(stack, 'ReadWrite', { assumedBy });
  const readOnly = new iam.Role(stack, 'ReadOnly', { assumedBy });
  store.grantReadWriteSessions(readWrite);
  store.grantReadSessions(readOnly);
  return { stack, template: Template.fromStack(stack), store, foundation, readWrite, readOnly };
}

/** Statements as `{ actions (sorted), resource }`, so a test reads like the grant it checks. */
function grantsOf(statements: Statement[]): Array<{ actions: string[]; resource: unknown }> {
  return statements.map((s) => ({ actions: [...listOf(s.Action)].sort(), resource: s.Resource }));
}

describe.each([
  ['GovWest', GOV_WEST],
  ['Commercial', COMMERCIAL],
])('SessionStore, %s', (_, region) => {
  const partition = partitionOf(region)!;
  let f: StoreFixture;
  let tableId: string;
  let bucketId: string;
  let dataKeyArn: unknown;
  beforeAll(() => {
    // GIVEN a session store in this region
    f = storeIn(region);
    tableId = logicalIdOf(f.store.table);
    bucketId = logicalIdOf(f.store.payloadBucket);
    dataKeyArn = { 'Fn::GetAtt': [logicalIdOf(f.foundation.dataKey), 'Arn'] };
  });

  test('the table: pk/sk strings, on demand, under the data key, PITR, TTL on expiresAt, new and old images, deletion-protected, retained', () => {
    // THEN the one table has the session data model's keys and every control
    f.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: `${PREFIX}-sessions`,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gpk', AttributeType: 'S' },
          { AttributeName: 'gsk', AttributeType: 'S' },
        ],
        // One overloaded, sparse index: session lists and the approvals inbox.
        GlobalSecondaryIndexes: [
          {
            IndexName: 'Lists',
            KeySchema: [
              { AttributeName: 'gpk', KeyType: 'HASH' },
              { AttributeName: 'gsk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...SESSION_TABLE_SCHEMA.listIndex.nonKeyAttributes] },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: dataKeyArn },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    f.template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  test('the table matches the schema the Lambda code reads', () => {
    // THEN key names, billing, stream view and TTL attribute are the ones in SESSION_TABLE_SCHEMA
    const table = f.template.toJSON().Resources[tableId].Properties;
    expect(table.KeySchema.map((k: { AttributeName: string }) => k.AttributeName)).toEqual([
      SESSION_TABLE_SCHEMA.partitionKey.name,
      SESSION_TABLE_SCHEMA.sortKey.name,
    ]);
    expect(table.BillingMode).toBe(SESSION_TABLE_SCHEMA.billingMode);
    expect(table.StreamSpecification.StreamViewType).toBe(SESSION_TABLE_SCHEMA.streamViewType);
    expect(table.TimeToLiveSpecification.AttributeName).toBe(SESSION_TABLE_SCHEMA.timeToLiveAttribute);
    expect(table.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName)).toEqual([SESSION_TABLE_SCHEMA.listIndex.name]);
  });

  test('a daily backup of the table into a vault under the data key, kept 35 days; the vault is retained', () => {
    // THEN AWS Backup copies the table daily into a retained vault under the data key
    f.template.hasResource('AWS::Backup::BackupVault', {
      Properties: { EncryptionKeyArn: dataKeyArn },
      DeletionPolicy: 'Retain',
    });
    f.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanRule: [Match.objectLike({ RuleName: 'Daily', ScheduleExpression: 'cron(0 5 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } })],
      },
    });
    f.template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [tableId, 'Arn'] }] }),
    });
  });

  test('the payload bucket: named by prefix and account, KMS under the data key, versioned, private, access-logged, expiring, retained', () => {
    // THEN the payload bucket has every control
    f.template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: `${PREFIX}-payloads-${TEST_ACCOUNT}`,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: dataKeyArn } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(f.foundation.accessLogs) }, LogFilePrefix: 'payload-bucket/' },
        LifecycleConfiguration: {
          Rules: [
            {
              ExpirationInDays: 400,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            },
          ],
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the payload bucket policy denies requests without TLS, and object operations not through the S3 gateway endpoint', () => {
    // THEN the bucket policy holds the TLS-only deny and the VPC-endpoint-only deny for object operations
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };
    f.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, objects],
          },
          {
            Sid: 'ObjectsOnlyThroughVpcEndpoint',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:AbortMultipartUpload', 's3:DeleteObject*', 's3:GetObject*', 's3:ListMultipartUploadParts', 's3:PutObject*', 's3:RestoreObject'],
            Condition: { StringNotEquals: { 'aws:SourceVpce': { Ref: logicalIdOf(f.foundation.s3Endpoint) } } },
            Resource: objects,
          },
        ]),
      },
    });
  });

  test('grantReadWriteSessions gives exactly what a turn needs: table items, payload objects, the bucket listing, the data key', () => {
    // WHEN the read-write role's policy is read
    // THEN it holds exactly these actions on exactly these resources
    const objectsArn = `${partition.arnPrefix}s3:::${PREFIX}-payloads-${TEST_ACCOUNT}/*`;
    expect(grantsOf(roleStatements(f.template, logicalIdOf(f.readWrite)))).toEqual([
      {
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
      },
      // The list index: Query only (GET /sessions, GET /approvals).
      { actions: ['dynamodb:Query'], resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/Lists']] } },
      { actions: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'], resource: objectsArn },
      { actions: ['s3:ListBucket'], resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      { actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], resource: dataKeyArn },
    ]);
  });

  test('grantReadSessions gives reads only: no write, delete or encrypt action', () => {
    // WHEN the read-only role's policy is read
    // THEN it holds read actions only
    expect(grantsOf(roleStatements(f.template, logicalIdOf(f.readOnly)))).toEqual([
      { actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query'], resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      { actions: ['dynamodb:Query'], resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/Lists']] } },
      { actions: ['s3:GetObject'], resource: `${partition.arnPrefix}s3:::${PREFIX}-payloads-${TEST_ACCOUNT}/*` },
      { actions: ['s3:ListBucket'], resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      { actions: ['kms:Decrypt', 'kms:DescribeKey'], resource: dataKeyArn },
    ]);
  });

  test('neither grant uses an action wildcard, a resource wildcard other than the object key, or another partition', () => {
    // WHEN both roles' statements are read
    // THEN no action has a wildcard, no resource is `*`, and no ARN names the other partition
    const statements = [...roleStatements(f.template, logicalIdOf(f.readWrite)), ...roleStatements(f.template, logicalIdOf(f.readOnly))];
    expect(statements.flatMap((s) => listOf(s.Action)).filter((a) => a.includes('*'))).toEqual([]);
    expect(statements.map((s) => s.Resource).filter((r) => r === '*')).toEqual([]);
    const other = Object.values(PARTITIONS).find((p) => p.id !== partition.id)!;
    expect(JSON.stringify(statements)).not.toContain(other.arnPrefix);
  });
});

describe('SessionStore metrics', () => {
  let store: SessionStore;
  beforeAll(() => {
    // GIVEN a session store
    ({ store } = storeIn(GOV_WEST));
  });

  test('metricThrottles sums throttled requests of Query, TransactWriteItems and GetItem, per minute', () => {
    // WHEN the metric is rendered
    const metric = store.metricThrottles();
    const config = metric.toMetricConfig();
    // THEN it is a math expression over one ThrottledRequests metric per operation of the turn path
    expect(config.mathExpression).toBeDefined();
    const used = Object.values(config.mathExpression!.usingMetrics).map((m) => m.toMetricConfig().metricStat!);
    expect(used.map((m) => m.metricName)).toEqual(['ThrottledRequests', 'ThrottledRequests', 'ThrottledRequests']);
    expect(used.map((m) => m.dimensions!.find((d) => d.name === 'Operation')!.value).sort()).toEqual(['GetItem', 'Query', 'TransactWriteItems']);
    expect(used.every((m) => m.namespace === 'AWS/DynamoDB' && m.statistic === 'Sum')).toBe(true);
    expect((metric as cloudwatch.MathExpression).period.toSeconds()).toBe(60);
  });

  test('metricConflicts counts failed conditional checks of the table, per minute, and takes overrides', () => {
    // WHEN the metric is rendered, with and without an override
    // THEN it is the table's ConditionalCheckFailedRequests sum per minute, unless overridden
    const conflicts = store.metricConflicts();
    expect(conflicts.metricName).toBe('ConditionalCheckFailedRequests');
    expect(conflicts.namespace).toBe('AWS/DynamoDB');
    expect(conflicts.statistic).toBe('Sum');
    expect(conflicts.period.toSeconds()).toBe(60);
    expect(Stack.of(store).resolve(conflicts.dimensions)).toEqual({ TableName: { Ref: logicalIdOf(store.table) } });
    expect(store.metricConflicts({ period: Duration.minutes(5) }).period.toMinutes()).toBe(5);
  });
});
