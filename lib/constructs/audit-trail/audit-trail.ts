import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { servicePrincipalName } from '../../residency/region-facts';
import { BLOCK_PUBLIC_ACCESS, OBJECT_OWNERSHIP, TRAIL_FILE_VALIDATION, TRAIL_MULTI_REGION } from './audit-trail-defaults';

export interface AuditTrailProps {
  readonly trailName: string;
  /** Key of the audit bucket and the trail (CloudTrail must be allowed to use it). */
  readonly auditKey: kms.IKey;
  /** Key of the trail's CloudWatch log group. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Audit records expire after this many days (AU-11). */
  readonly retentionDays: number;
  /**
   * Name prefix of the platform's DynamoDB tables and S3 buckets: CloudTrail
   * records their data events (who read or wrote which item or object).
   */
  readonly dataResourcePrefix: string;
}

/**
 * The audit trail of one target (AU-2, AU-3, AU-9, AU-11, AU-12):
 * an audit bucket (KMS, TLS-only, versioned, access-logged, no public access),
 * a CloudTrail trail with file validation into it and into an encrypted log
 * group, and data events for the platform's tables and buckets.
 */
export class AuditTrail extends Construct {
  public readonly bucket: s3.IBucket;
  public readonly accessLogsBucket: s3.IBucket;
  /**
   * The access-log bucket as the data buckets name it (`serverAccessLogsBucket`): a reference,
   * so CDK adds no per-bucket delivery grant without a source condition; the bucket's own
   * policy admits this account's buckets under the data-resource prefix.
   */
  public readonly accessLogsDestination: s3.IBucket;
  public readonly trail: cloudtrail.Trail;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const expiration = Duration.days(props.retentionDays);

    // S3 server access logs can only be delivered to an SSE-S3 bucket.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: BLOCK_PUBLIC_ACCESS,
      objectOwnership: OBJECT_OWNERSHIP,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration, noncurrentVersionExpiration: expiration }],
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'This bucket is the server-access-log destination; logging it to itself would loop.');
    acknowledge(accessLogs, 'NIST.800.53.R5-S3BucketLoggingEnabled', 'This bucket is the server-access-log destination; logging it to itself would loop.');
    acknowledge(accessLogs, 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'S3 delivers server access logs only to SSE-S3 buckets; the logs hold request metadata, not session data.');
    this.accessLogsBucket = accessLogs;
    // AU-9: S3 delivers access logs here only for this account's data buckets (aws:SourceArn and
    // aws:SourceAccount, https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AccessLogsOfThisAccountsDataBuckets',
        principals: [new iam.ServicePrincipal(servicePrincipalName('logging.s3'))],
        actions: ['s3:PutObject'],
        resources: [accessLogs.arnForObjects('*')],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 's3', region: '', account: '', resource: `${props.dataResourcePrefix}*` }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    this.accessLogsDestination = s3.Bucket.fromBucketAttributes(this, 'AccessLogsDestination', {
      bucketArn: accessLogs.bucketArn,
      bucketName: accessLogs.bucketName,
    });

    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.auditKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: BLOCK_PUBLIC_ACCESS,
      objectOwnership: OBJECT_OWNERSHIP,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration, noncurrentVersionExpiration: expiration }],
    });
    this.bucket = bucket;
    for (const b of [accessLogs, bucket]) {
      acknowledge(b, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'Residency keeps audit data in the target region; cross-region replication would leave it. Versioning and RETAIN protect against loss.');
    }

    this.logGroup = new logs.LogGroup(this, 'TrailLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // AU-9: CloudTrail writes here only for this trail (aws:SourceArn,
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
    // The trail gets the bucket by reference, so CDK does not add its grants without that condition.
    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: props.trailName });
    const cloudTrailPrincipal = new iam.ServicePrincipal(servicePrincipalName('cloudtrail'));
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheckOfThisTrail',
        principals: [cloudTrailPrincipal],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: { ArnLike: { 'aws:SourceArn': trailArn } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWriteOfThisTrail',
        principals: [cloudTrailPrincipal],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' }, ArnLike: { 'aws:SourceArn': trailArn } },
      }),
    );

    this.trail = new cloudtrail.Trail(this, 'Resource', {
      trailName: props.trailName,
      bucket: s3.Bucket.fromBucketAttributes(this, 'TrailBucket', { bucketArn: bucket.bucketArn, bucketName: bucket.bucketName }),
      encryptionKey: props.auditKey,
      enableFileValidation: TRAIL_FILE_VALIDATION,
      isMultiRegionTrail: TRAIL_MULTI_REGION,
      includeGlobalServiceEvents: true,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.logGroup,
    });

    // CloudTrail checks the bucket policy when the trail is created.
    this.trail.node.addDependency(bucket.policy!);

    acknowledge(
      this.trail.node.findChild('LogsRole'),
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'CDK-generated AWS::IAM::Policy for CloudTrail delivery to its one log group; it carries the permissions boundary.',
    );

    const tableArnPrefix = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: props.dataResourcePrefix });
    const objectArnPrefix = stack.formatArn({ service: 's3', region: '', account: '', resource: props.dataResourcePrefix });
    const cfnTrail = this.trail.node.defaultChild as cloudtrail.CfnTrail;
    cfnTrail.advancedEventSelectors = [
      { name: 'Management events', fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }] },
      {
        name: 'Session tables: item reads and writes',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
          { field: 'resources.ARN', startsWith: [tableArnPrefix] },
        ],
      },
      {
        name: 'Payload buckets: object reads and writes',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: [objectArnPrefix] },
        ],
      },
    ];
  }
}
