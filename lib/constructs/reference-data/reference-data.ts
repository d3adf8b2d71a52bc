import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { DEFAULT_REFERENCE_PARTITION_KEY } from '../../contract/reference-table';
import { ReferenceAccess } from '../../contract/tool-declaration';
import { dataTable } from '../data-table';
import {
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  REFERENCE_DELETION_PROTECTION,
  REFERENCE_POINT_IN_TIME_RECOVERY,
  REFERENCE_READ_ACTIONS,
  REFERENCE_RECORD_ACTIONS,
  REFERENCE_REMOVAL_POLICY,
} from './reference-data-defaults';

/** Reference data, created here or imported with `ReferenceData.fromReferenceDataAttributes`. */
export interface IReferenceData extends IConstruct {
  readonly tableName: string;
  readonly tableArn: string;
  /** The one string partition key attribute; every item key in it is tenant-scoped (lib/contract/reference-table.ts). */
  readonly partitionKeyName: string;
  /** SC-28: the key of the table and its backups. */
  readonly dataKey: kms.IKey;
  /** Sets the function's reference variables (table name, key attribute) and grants it `access`, together. */
  bind(fn: lambda.Function, access: ReferenceAccess): void;
  /** GetItem, e.g. the Express workflow's lookup task. */
  grantReadItems(grantee: iam.IGrantable): iam.Grant;
  /** PutItem and GetItem: the tools' own records (a release). */
  grantRecordItems(grantee: iam.IGrantable): iam.Grant;
  /** Throttled GetItem and PutItem requests (alarm on any). */
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** Attributes of reference data deployed elsewhere (another stack, another app). */
export interface ReferenceDataAttributes {
  readonly tableName: string;
  readonly dataKey: kms.IKey;
  /** @default DEFAULT_REFERENCE_PARTITION_KEY (`caseId`) */
  readonly partitionKeyName?: string;
}

/** Grants, binding and metrics: they need only the table's name, its key attribute and the data key. */
abstract class ReferenceDataBase extends Construct implements IReferenceData {
  public abstract readonly tableName: string;
  public abstract readonly partitionKeyName: string;
  public abstract readonly dataKey: kms.IKey;

  public get tableArn(): string {
    return Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: this.tableName });
  }

  public bind(fn: lambda.Function, access: ReferenceAccess): void {
    fn.addEnvironment(ENV.REFERENCE_TABLE, this.tableName);
    fn.addEnvironment(ENV.REFERENCE_KEY_ATTRIBUTE, this.partitionKeyName);
    if (access === ReferenceAccess.RECORD) this.grantRecordItems(fn);
    else this.grantReadItems(fn);
  }

  public grantReadItems(grantee: iam.IGrantable): iam.Grant {
    return this.grantItems(grantee, REFERENCE_READ_ACTIONS, KEY_DECRYPT_ACTIONS);
  }

  public grantRecordItems(grantee: iam.IGrantable): iam.Grant {
    return this.grantItems(grantee, REFERENCE_RECORD_ACTIONS, KEY_ENCRYPT_ACTIONS);
  }

  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const operations = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM];
    const usingMetrics = Object.fromEntries(
      operations.map((operation, i) => [
        `t${i}`,
        new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName: 'ThrottledRequests',
          dimensionsMap: { TableName: this.tableName, Operation: operation },
          statistic: 'Sum',
          period: Duration.minutes(1),
          ...props,
        }),
      ]),
    );
    return new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period: Duration.minutes(1), ...props });
  }

  /** Exact actions on this table and its key; no action wildcards (AC-6). */
  private grantItems(grantee: iam.IGrantable, tableActions: string[], keyActions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [this.dataKey.keyArn] });
    return grant;
  }
}

export interface ReferenceDataProps {
  /** Physical name prefix; CloudTrail data events select the platform's tables by it. */
  readonly namePrefix: string;
  /** SC-28: the data key encrypts the table and its backups. */
  readonly dataKey: kms.IKey;
  /** CP-9: the plan that backs the table up with the session data. */
  readonly backupPlan: backup.IBackupPlan;
  /**
   * The table's one string partition key attribute. The tools' keys are
   * values in it (`T#<tenant>#<keyAttribute>#<value>`), so a tool may look up
   * by any input field whatever this is. Changing it on a deployed table
   * replaces the table (RETAIN keeps the old one, with its data, out of the stack).
   * @default DEFAULT_REFERENCE_PARTITION_KEY (`caseId`)
   */
  readonly partitionKeyName?: string;
  /**
   * Your own table settings, merged over the defaults (reference-data-defaults.ts).
   * The name, the key schema (no sort key) and the data key are the construct's and always win.
   * @default the defaults: on-demand, PITR, deletion protection, RETAIN
   */
  readonly tableProps?: Partial<dynamodb.TableProps>;
}

/**
 * Agency reference records the tools read (`lookup_case`, a DynamoDB GetItem
 * straight from the Express workflow) and the records tools write
 * (`release_records`). One table, every item keyed by its tenant as
 * lib/contract/reference-table.ts says, under the data key, with PITR, daily
 * backups, deletion protection and RETAIN.
 *
 * `bind(fn, access)` gives a function its variables and exactly the grant of
 * `access`; `grant*` gives a principal the same without the variables.
 */
export class ReferenceData extends ReferenceDataBase {
  /** Reference data deployed elsewhere: grants, `bind` and metrics work on it as on data created here. */
  public static fromReferenceDataAttributes(scope: Construct, id: string, attrs: ReferenceDataAttributes): IReferenceData {
    class Imported extends ReferenceDataBase {
      public readonly tableName = attrs.tableName;
      public readonly partitionKeyName = attrs.partitionKeyName ?? DEFAULT_REFERENCE_PARTITION_KEY;
      public readonly dataKey = attrs.dataKey;
    }
    return new Imported(scope, id);
  }

  public readonly table: dynamodb.Table;
  public readonly dataKey: kms.IKey;
  public readonly partitionKeyName: string;

  constructor(scope: Construct, id: string, props: ReferenceDataProps) {
    super(scope, id);
    this.dataKey = props.dataKey;
    this.partitionKeyName = props.partitionKeyName ?? DEFAULT_REFERENCE_PARTITION_KEY;
    if (!Token.isUnresolved(this.partitionKeyName) && !/^[A-Za-z0-9_.-]{1,255}$/.test(this.partitionKeyName)) {
      throw new Error(
        `${this.node.path}: partitionKeyName is ${JSON.stringify(this.partitionKeyName)}; a DynamoDB attribute name here is 1 to 255 letters, digits, "_", "-" or ".". Leave it unset for "${DEFAULT_REFERENCE_PARTITION_KEY}".`,
      );
    }
    this.table = dataTable(this, {
      tableName: `${props.namePrefix}-reference`,
      // One key: the tools' GetItem and PutItem name the partition key only.
      partitionKey: this.partitionKeyName,
      dataKey: props.dataKey,
      backupPlan: props.backupPlan,
      pointInTimeRecovery: REFERENCE_POINT_IN_TIME_RECOVERY,
      deletionProtection: REFERENCE_DELETION_PROTECTION,
      removalPolicy: REFERENCE_REMOVAL_POLICY,
      tableProps: props.tableProps,
    });
  }

  public get tableName(): string {
    return this.table.tableName;
  }

  /** The table's own ARN (a reference), as the grants of other stacks have always imported it. */
  public get tableArn(): string {
    return this.table.tableArn;
  }
}
