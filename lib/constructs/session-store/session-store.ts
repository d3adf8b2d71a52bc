import { Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { SESSION_TABLE_SCHEMA } from '../../contract/session-table';
import { acknowledge, acknowledgeBackupServiceRole, acknowledgeWildcardResource } from '../../compliance/acknowledge';
import { acknowledgeAccessLogGrantOfItsOwner, dataBucketDefaults } from '../data-bucket/data-bucket-defaults';
import { mergeProps } from '../merge-props';
import {
  BACKUP_RETENTION,
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  PAYLOAD_EXPIRATION,
  PAYLOAD_NONCURRENT_EXPIRATION,
  PAYLOAD_OBJECT_ACTIONS,
  PAYLOAD_READ_ACTIONS,
  PAYLOAD_WRITE_ACTIONS,
  POINT_IN_TIME_RECOVERY,
  SESSION_DELETION_PROTECTION,
  SESSION_READ_ACTIONS,
  SESSION_REMOVAL_POLICY,
  SESSION_WRITE_ACTIONS,
} from './session-store-defaults';

/** What a function may do with sessions; `bind` sets the variables and the grant of exactly that. */
export enum SessionAccess {
  /** A turn: Query and TransactWriteItems on the table, payload objects, the data key. */
  READ_WRITE = 'read-write',
  /** A verifier or an auditor's role: Query and GetItem, payload reads, decrypt. */
  READ = 'read',
  /** Header-only updates that touch no event or payload (the approval wait storing its task token). */
  UPDATE_HEADERS = 'update-headers',
}

/** A session store, created here or imported with `SessionStore.fromSessionStoreAttributes`. */
export interface ISessionStore extends IConstruct {
  /** The session table (its stream wakes the summarizer). */
  readonly table: dynamodb.ITable;
  readonly tableName: string;
  readonly tableArn: string;
  /** The list index's ARN: `GET /sessions` and `GET /approvals` query it. */
  readonly listIndexArn: string;
  /** The payload bucket's name (in a function's environment). */
  readonly payloadBucketName: string;
  readonly payloadBucketArn: string;
  /** SC-28: the key of the table, its stream and backups, and the payload objects. */
  readonly dataKey: kms.IKey;
  /** Sets the function's session variables (lib/contract/env-names.ts) and grants it `access`, together. */
  bind(fn: lambda.Function, access: SessionAccess): void;
  grantReadWriteSessions(grantee: iam.IGrantable): iam.Grant;
  grantReadSessions(grantee: iam.IGrantable): iam.Grant;
  grantUpdateSessionHeaders(grantee: iam.IGrantable): iam.Grant;
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  metricConflicts(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** Attributes of a session store deployed elsewhere (another stack, another app). */
export interface SessionStoreAttributes {
  readonly tableName: string;
  /** The table's stream, for a summarizer bound to the imported store. @default none: no summarizer can use it */
  readonly tableStreamArn?: string;
  readonly payloadBucketName: string;
  readonly dataKey: kms.IKey;
}

/**
 * Grants, binding and metrics of a session store: they need only the
 * table's name, the bucket's name and the key, so an imported store has them too.
 */
abstract class SessionStoreBase extends Construct implements ISessionStore {
  public abstract readonly table: dynamodb.ITable;
  public abstract readonly tableName: string;
  public abstract readonly payloadBucketName: string;
  /**
   * The bucket's physical name with pseudo-parameter tokens only: object
   * grants are built from it, so a grantee in another stack needs no export
   * and the acknowledged finding id is stable.
   */
  protected abstract readonly payloadBucketPhysicalName: string;
  public abstract readonly dataKey: kms.IKey;

  public get tableArn(): string {
    return Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: this.tableName });
  }

  /** The list index (lib/contract/session-table.ts): session lists and the approvals inbox are Queries on it. */
  public get listIndexArn(): string {
    return `${this.tableArn}/index/${SESSION_TABLE_SCHEMA.listIndex.name}`;
  }

  public get payloadBucketArn(): string {
    return Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: this.payloadBucketPhysicalName });
  }

  public bind(fn: lambda.Function, access: SessionAccess): void {
    fn.addEnvironment(ENV.SESSION_TABLE, this.tableName);
    if (access === SessionAccess.UPDATE_HEADERS) {
      this.grantUpdateSessionHeaders(fn);
      return;
    }
    fn.addEnvironment(ENV.PAYLOAD_BUCKET, this.payloadBucketName);
    fn.addEnvironment(ENV.PAYLOAD_KEY, this.dataKey.keyArn);
    if (access === SessionAccess.READ_WRITE) this.grantReadWriteSessions(fn);
    else this.grantReadSessions(fn);
  }

  /** What one turn needs: the Query and TransactWriteItems on the table, and payload objects. */
  public grantReadWriteSessions(grantee: iam.IGrantable): iam.Grant {
    return this.grantSessions(grantee, [...SESSION_READ_ACTIONS, ...SESSION_WRITE_ACTIONS], [...PAYLOAD_READ_ACTIONS, ...PAYLOAD_WRITE_ACTIONS], [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS]);
  }

  /** Read-only access to sessions and payloads (e.g. a chain verifier or an auditor's role). */
  public grantReadSessions(grantee: iam.IGrantable): iam.Grant {
    return this.grantSessions(grantee, SESSION_READ_ACTIONS, PAYLOAD_READ_ACTIONS, KEY_DECRYPT_ACTIONS);
  }

  /**
   * Header-only updates that never touch a turn's events or payloads (the
   * approval wait storing its task token): UpdateItem on the table and the key.
   */
  public grantUpdateSessionHeaders(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:UpdateItem'], resourceArns: [this.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS], resourceArns: [this.dataKey.keyArn] });
    return grant;
  }

  /** Throttled requests on the table, for the operations a turn makes (alarm on any). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const operations = [dynamodb.Operation.QUERY, dynamodb.Operation.TRANSACT_WRITE_ITEMS, dynamodb.Operation.GET_ITEM];
    const metrics = Object.fromEntries(operations.map((operation, i) => [`t${i}`, this.tableMetric('ThrottledRequests', { Operation: operation }, props)]));
    return new cloudwatch.MathExpression({ expression: operations.map((_, i) => `t${i}`).join(' + '), usingMetrics: metrics, period: Duration.minutes(1), ...props });
  }

  /**
   * Optimistic-concurrency conflicts: conditional checks that failed (a losing
   * writer, a retried event put). A rise means clients send concurrent turns.
   */
  public metricConflicts(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.tableMetric('ConditionalCheckFailedRequests', {}, props);
  }

  private tableMetric(metricName: string, dimensions: Record<string, string>, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: this.tableName, ...dimensions },
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  /**
   * Exact actions, no action wildcards (AC-6). The one wildcard left is the
   * payload object key: keys are created per session at run time.
   */
  private grantSessions(grantee: iam.IGrantable, tableActions: string[], objectActions: string[], keyActions: string[]): iam.Grant {
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.tableArn] });
    // Reading the list index is a Query and nothing else: it holds no item the table does not.
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [this.listIndexArn] });
    const objects = stack.formatArn({ service: 's3', region: '', account: '', resource: this.payloadBucketPhysicalName, resourceName: '*' });
    iam.Grant.addToPrincipal({ grantee, actions: objectActions, resourceArns: [objects] });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.payloadBucketArn] });
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
}

export interface SessionStoreProps {
  /** Physical name prefix; CloudTrail data events select the platform's tables and buckets by it. */
  readonly namePrefix: string;
  /** SC-28: the data key encrypts the table, its stream, its backups and the payload bucket. */
  readonly dataKey: kms.IKey;
  /** The S3 gateway endpoint: payload objects are readable and writable only through it. */
  readonly s3Endpoint: ec2.IGatewayVpcEndpoint;
  /** Where the payload bucket's server access logs go (the audit trail's access-log bucket). */
  readonly accessLogsBucket: s3.IBucket;
  /**
   * Your own table settings, merged over the defaults (session-store-defaults.ts).
   * The key schema, the stream, TTL and the data key are the store's and always win.
   * @default the defaults: on-demand, PITR, deletion protection, RETAIN
   */
  readonly tableProps?: Partial<dynamodb.TableProps>;
  /**
   * Your own payload bucket settings, merged over the defaults (data-bucket-defaults.ts).
   * The name, the data key, TLS-only and the access logs are the store's and always win.
   * @default the defaults: versioned, 400-day expiry, RETAIN
   */
  readonly payloadBucketProps?: Partial<s3.BucketProps>;
}

/**
 * The session store: one DynamoDB table, item per event plus one header item
 * per session (pk `T#{tenant}#S#{session}`, sk `E#{seq}` or `~HEAD`), and a
 * bucket for payloads above the inline threshold.
 *
 * `bind(fn, access)` gives a function its variables and exactly the grant of
 * `access`; `grant*` gives a principal the same without the variables.
 */
export class SessionStore extends SessionStoreBase {
  /** A store deployed elsewhere: grants, `bind` and metrics work on it as on one created here. */
  public static fromSessionStoreAttributes(scope: Construct, id: string, attrs: SessionStoreAttributes): ISessionStore {
    class Imported extends SessionStoreBase {
      public readonly table = dynamodb.Table.fromTableAttributes(this, 'Table', {
        tableName: attrs.tableName,
        tableStreamArn: attrs.tableStreamArn,
        encryptionKey: attrs.dataKey,
      });
      public readonly tableName = attrs.tableName;
      public readonly payloadBucketName = attrs.payloadBucketName;
      protected readonly payloadBucketPhysicalName = attrs.payloadBucketName;
      public readonly dataKey = attrs.dataKey;
    }
    return new Imported(scope, id);
  }

  public readonly table: dynamodb.Table;
  public readonly payloadBucket: s3.Bucket;
  public readonly dataKey: kms.IKey;
  /** CP-9: the daily backup plan; other platform tables join it (see ReferenceData). */
  public readonly backupPlan: backup.BackupPlan;
  protected readonly payloadBucketPhysicalName: string;

  constructor(scope: Construct, id: string, props: SessionStoreProps) {
    super(scope, id);
    this.dataKey = props.dataKey;

    this.table = new dynamodb.Table(
      this,
      'Resource',
      mergeProps<dynamodb.TableProps>(
        {
          tableName: `${props.namePrefix}-sessions`,
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: POINT_IN_TIME_RECOVERY },
          deletionProtection: SESSION_DELETION_PROTECTION,
          removalPolicy: SESSION_REMOVAL_POLICY,
        },
        props.tableProps,
        {
          partitionKey: { name: SESSION_TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
          sortKey: { name: SESSION_TABLE_SCHEMA.sortKey.name, type: dynamodb.AttributeType.STRING },
          // SC-28: the agency's key, never an AWS-owned one.
          encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
          encryptionKey: props.dataKey,
          timeToLiveAttribute: SESSION_TABLE_SCHEMA.timeToLiveAttribute,
          // The summarizer reads new events from the stream.
          stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        },
      ),
    );

    // GET /sessions and GET /approvals: one Query each (lib/contract/session-table.ts, listIndex).
    const { listIndex } = SESSION_TABLE_SCHEMA;
    this.table.addGlobalSecondaryIndex({
      indexName: listIndex.name,
      partitionKey: { name: listIndex.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: listIndex.sortKey.name, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...listIndex.nonKeyAttributes],
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
    acknowledgeBackupServiceRole(selection);

    this.payloadBucketPhysicalName = `${props.namePrefix}-payloads-${Stack.of(this).account}`;
    const required = dataBucketDefaults({
      bucketName: this.payloadBucketPhysicalName,
      dataKey: props.dataKey,
      accessLogsBucket: props.accessLogsBucket,
      accessLogsPrefix: 'payload-bucket/',
      removalPolicy: SESSION_REMOVAL_POLICY,
    });
    this.payloadBucket = new s3.Bucket(
      this,
      'Payloads',
      mergeProps<s3.BucketProps>(
        {
          ...required,
          lifecycleRules: [
            {
              expiration: PAYLOAD_EXPIRATION,
              noncurrentVersionExpiration: PAYLOAD_NONCURRENT_EXPIRATION,
              abortIncompleteMultipartUploadAfter: Duration.days(1),
            },
          ],
        },
        props.payloadBucketProps,
        {
          bucketName: required.bucketName,
          encryption: required.encryption,
          encryptionKey: required.encryptionKey,
          enforceSSL: required.enforceSSL,
          blockPublicAccess: required.blockPublicAccess,
          serverAccessLogsBucket: required.serverAccessLogsBucket,
          serverAccessLogsPrefix: required.serverAccessLogsPrefix,
        },
      ),
    );
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
    acknowledgeAccessLogGrantOfItsOwner(this.payloadBucket);
    acknowledge(
      this.payloadBucket,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Residency keeps session payloads in the target region; cross-region replication would leave it. Versioning, RETAIN and the session table backups protect against loss.',
    );
  }

  public get tableName(): string {
    return this.table.tableName;
  }

  public get tableArn(): string {
    return this.table.tableArn;
  }

  public get payloadBucketArn(): string {
    return this.payloadBucket.bucketArn;
  }

  public get payloadBucketName(): string {
    return this.payloadBucket.bucketName;
  }
}
