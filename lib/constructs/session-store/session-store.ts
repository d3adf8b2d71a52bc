import { Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SESSION_TABLE_SCHEMA } from '../../contract/session-table';
import { acknowledge, acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { dataBucketDefaults } from '../data-bucket/data-bucket-defaults';
import {
  BACKUP_RETENTION,
  PAYLOAD_EXPIRATION,
  PAYLOAD_NONCURRENT_EXPIRATION,
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  PAYLOAD_OBJECT_ACTIONS,
  PAYLOAD_READ_ACTIONS,
  PAYLOAD_WRITE_ACTIONS,
  POINT_IN_TIME_RECOVERY,
  SESSION_READ_ACTIONS,
  SESSION_WRITE_ACTIONS,
  SESSION_REMOVAL_POLICY,
} from './session-store-defaults';

export interface SessionStoreProps {
  /** Physical name prefix; CloudTrail data events select the platform's tables and buckets by it. */
  readonly namePrefix: string;
  /** SC-28: the data key encrypts the table, its stream, its backups and the payload bucket. */
  readonly dataKey: kms.IKey;
  /** The S3 gateway endpoint: payload objects are readable and writable only through it. */
  readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  /** Where the payload bucket's server access logs go (the audit trail's access-log bucket). */
  readonly accessLogsBucket: s3.IBucket;
}

/**
 * The session store: one DynamoDB table, item per event plus one header item
 * per session (see DESIGN.md, "Session data model"), and a bucket for
 * payloads above the inline threshold.
 *
 * Grants are by intent: `grantReadWriteSessions` gives exactly what a turn
 * needs (Query, TransactWriteItems, payload objects), nothing else.
 */
export class SessionStore extends Construct {
  public readonly table: dynamodb.Table;
  public readonly payloadBucket: s3.Bucket;
  public readonly dataKey: kms.IKey;
  /** CP-9: the daily backup plan; other platform tables join it (see ReferenceData). */
  public readonly backupPlan: backup.BackupPlan;
  /** The payload bucket's physical name: a string with pseudo-parameter tokens only. */
  public readonly payloadBucketName: string;

  constructor(scope: Construct, id: string, props: SessionStoreProps) {
    super(scope, id);
    this.dataKey = props.dataKey;

    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: `${props.namePrefix}-sessions`,
      partitionKey: { name: SESSION_TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SESSION_TABLE_SCHEMA.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: POINT_IN_TIME_RECOVERY },
      timeToLiveAttribute: SESSION_TABLE_SCHEMA.timeToLiveAttribute,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: true,
      removalPolicy: SESSION_REMOVAL_POLICY,
    });

    // CP-9: daily backups into a vault under the data key, kept BACKUP_RETENTION.
    const vault = new backup.BackupVault(this, 'Vault', {
      encryptionKey: props.dataKey,
      removalPolicy: SESSION_REMOVAL_POLICY,
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', { backupVault: vault });
    this.backupPlan = plan;
    plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.cron({ hour: '5', minute: '0' }),
        deleteAfter: BACKUP_RETENTION,
      }),
    );
    const selection = plan.addSelection('Sessions', { resources: [backup.BackupResource.fromDynamoDbTable(this.table)] });
    acknowledge(
      selection.node.findChild('Role'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      'AWS Backup documents this AWS-managed service-role policy for backup jobs; it is maintained by AWS as services add backup APIs.',
    );

    this.payloadBucketName = `${props.namePrefix}-payloads-${Stack.of(this).account}`;
    this.payloadBucket = new s3.Bucket(this, 'Payloads', {
      ...dataBucketDefaults({
        bucketName: this.payloadBucketName,
        dataKey: props.dataKey,
        accessLogsBucket: props.accessLogsBucket,
        accessLogsPrefix: 'payload-bucket/',
        removalPolicy: SESSION_REMOVAL_POLICY,
      }),
      lifecycleRules: [
        {
          expiration: PAYLOAD_EXPIRATION,
          noncurrentVersionExpiration: PAYLOAD_NONCURRENT_EXPIRATION,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    // SC-7: object reads and writes only through the VPC's S3 gateway endpoint.
    this.payloadBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ObjectsOnlyThroughVpcEndpoint',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: PAYLOAD_OBJECT_ACTIONS,
        resources: [this.payloadBucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 'aws:SourceVpce': props.s3Endpoint.vpcEndpointId } },
      }),
    );
    acknowledge(
      this.payloadBucket,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Residency keeps session payloads in the target region; cross-region replication would leave it. Versioning, RETAIN and the session table backups protect against loss.',
    );
  }

  /** What one turn needs: the Query and TransactWriteItems on the table, and payload objects. */
  public grantReadWriteSessions(grantee: iam.IGrantable): iam.Grant {
    return this.grantSessions(grantee, [...SESSION_READ_ACTIONS, ...SESSION_WRITE_ACTIONS], [...PAYLOAD_READ_ACTIONS, ...PAYLOAD_WRITE_ACTIONS], [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS]);
  }

  /**
   * Header-only updates that never touch a turn's events or payloads (the
   * approval wait storing its task token): UpdateItem on the table and the key.
   */
  public grantUpdateSessionHeaders(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS], resourceArns: [this.dataKey.keyArn] });
    return grant;
  }

  /** Read-only access to sessions and payloads (e.g. a chain verifier or an auditor's role). */
  public grantReadSessions(grantee: iam.IGrantable): iam.Grant {
    return this.grantSessions(grantee, SESSION_READ_ACTIONS, PAYLOAD_READ_ACTIONS, KEY_DECRYPT_ACTIONS);
  }

  /**
   * Exact actions, no action wildcards (AC-6). The one wildcard left is the
   * payload object key: keys are created per session at run time.
   */
  private grantSessions(grantee: iam.IGrantable, tableActions: string[], objectActions: string[], keyActions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.table.tableArn] });
    // Built from the physical name (only pseudo-parameter tokens), so a grantee in
    // another stack needs no export for it and the finding id below is stable.
    const objects = Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: this.payloadBucketName, resourceName: '*' });
    iam.Grant.addToPrincipal({ grantee, actions: objectActions, resourceArns: [objects] });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.payloadBucket.bucketArn] });
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResource(
        grantee.grantPrincipal,
        objects,
        'Payload objects are keyed per session at run time (tenant/session prefix); access is limited to this one bucket, its key and its VPC endpoint.',
      );
    }
    iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [this.dataKey.keyArn] });
    return grant;
  }

  /** Throttled requests on the table, all operations (alarm on any). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.table.metricThrottledRequestsForOperations({
      operations: [dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS, dynamodb.Operation.GET_ITEM],
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * Optimistic-concurrency conflicts: conditional checks that failed (a losing
   * writer, a retried event put). A rise means clients send concurrent turns.
   */
  public metricConflicts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.table.metric('ConditionalCheckFailedRequests', { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }
}
