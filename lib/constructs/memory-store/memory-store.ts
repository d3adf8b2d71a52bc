import { Duration, Stack, Token } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../contract/env-names';
import { MEMORY_BOUNDS, MEMORY_DEFAULTS, MEMORY_KINDS, MEMORY_TABLE_SCHEMA, type MemorySettings } from '../../contract/memory-table';
import { dataTable } from '../data-table';
import {
  ENCLOSING_OPERATION,
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  MEMORY_DELETION_PROTECTION,
  MEMORY_EXTRACT_ACTIONS,
  MEMORY_FORGET_ACTIONS,
  MEMORY_POINT_IN_TIME_RECOVERY,
  MEMORY_READ_ACTIONS,
  MEMORY_REMOVAL_POLICY,
} from './memory-store-defaults';

/** What a function may do with memory; `bind` sets the variables and the grant of exactly that. */
export enum MemoryAccess {
  /**
   * A turn function (orchestrator, streaming, rounds): recall (Query,
   * GetItem), the person's forgets and exports (BatchWriteItem, DeleteItem,
   * UpdateItem of the profile, PutItem of the log), never a transaction:
   * writing records is the extractor's.
   */
  RECALL_AND_FORGET = 'recall-and-forget',
  /** The extractor: reads, the records' transaction (PutItem, UpdateItem in TransactWriteItems) and evictions. */
  EXTRACT = 'extract',
}

/** A memory store, created here or imported with `MemoryStore.fromMemoryStoreAttributes`. */
export interface IMemoryStore extends IConstruct {
  readonly tableName: string;
  readonly tableArn: string;
  /** SC-28: the key of the table and its backups. */
  readonly dataKey: kms.IKey;
  /** Retention per kind, the cap per person: what the functions get as ENV.MEMORY_SETTINGS. */
  readonly settings: MemorySettings;
  /** Sets ENV.MEMORY_TABLE and ENV.MEMORY_SETTINGS and grants `access`, together. */
  bind(fn: lambda.Function, access: MemoryAccess): void;
  grantRecallAndForget(grantee: iam.IGrantable): iam.Grant;
  grantExtract(grantee: iam.IGrantable): iam.Grant;
  metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** Attributes of a memory store deployed elsewhere (another stack, another app). */
export interface MemoryStoreAttributes {
  readonly tableName: string;
  readonly dataKey: kms.IKey;
  /** @default MEMORY_DEFAULTS */
  readonly settings?: MemorySettings;
}

/** Grants, binding and metrics: they need only the table's name, the key and the settings. */
abstract class MemoryStoreBase extends Construct implements IMemoryStore {
  public abstract readonly tableName: string;
  public abstract readonly dataKey: kms.IKey;
  public abstract readonly settings: MemorySettings;

  public get tableArn(): string {
    return Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: this.tableName });
  }

  public bind(fn: lambda.Function, access: MemoryAccess): void {
    fn.addEnvironment(ENV.MEMORY_TABLE, this.tableName);
    fn.addEnvironment(ENV.MEMORY_SETTINGS, JSON.stringify(this.settings));
    if (access === MemoryAccess.EXTRACT) this.grantExtract(fn);
    else this.grantRecallAndForget(fn);
  }

  /**
   * AC-6: reads, and writes that are not part of a transaction (the
   * condition holds only where DynamoDB sets no enclosing operation), so a
   * turn function cannot write records the way the extractor does.
   */
  public grantRecallAndForget(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: MEMORY_READ_ACTIONS, resourceArns: [this.tableArn] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: MEMORY_FORGET_ACTIONS,
        resources: [this.tableArn],
        conditions: { Null: { [ENCLOSING_OPERATION]: 'true' } },
      }),
    );
    this.grantKey(grantee);
    return grant;
  }

  /** The extractor: reads, its TransactWriteItems of records, progress and profile, and evictions past the cap. */
  public grantExtract(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...MEMORY_READ_ACTIONS, ...MEMORY_EXTRACT_ACTIONS], resourceArns: [this.tableArn] });
    this.grantKey(grantee);
    return grant;
  }

  /** Throttled requests of the operations recall and extraction make (alarm on any). */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const operations = [dynamodb.Operation.QUERY, dynamodb.Operation.GET_ITEM, dynamodb.Operation.TRANSACT_WRITE_ITEMS];
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

  private grantKey(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: [...KEY_DECRYPT_ACTIONS, ...KEY_ENCRYPT_ACTIONS], resourceArns: [this.dataKey.keyArn] });
  }
}

export interface MemoryStoreProps {
  /** Physical name prefix; CloudTrail data events select the platform's tables by it. */
  readonly namePrefix: string;
  /** SC-28: the data key encrypts the table and its backups. */
  readonly dataKey: kms.IKey;
  /** CP-9: the plan that backs the table up with the session data. */
  readonly backupPlan: backup.IBackupPlan;
  /**
   * Retention per kind, the cap per person, the largest record, the log's
   * retention: what bound functions get (ENV.MEMORY_SETTINGS), within
   * MEMORY_BOUNDS. They change no resource of the store.
   * @default MEMORY_DEFAULTS
   */
  readonly settings?: Partial<MemorySettings>;
  /**
   * Your own table settings, merged over the defaults (memory-store-defaults.ts).
   * The name, the key schema, TTL and the data key are the store's and always win.
   * @default the defaults: on-demand, PITR, deletion protection, RETAIN
   */
  readonly tableProps?: Partial<dynamodb.TableProps>;
}

/**
 * The memory store: one DynamoDB table of what agents learned about each
 * person, per tenant and actor (lib/contract/memory-table.ts has the items),
 * under the data key, with TTL on `expiresAt` (each record expires by its
 * kind's retention), PITR, daily backups, deletion protection and RETAIN.
 * On-demand, so an empty table costs nothing: the store exists whether or
 * not an agent has memory on, and turning memory on changes no stateful stack.
 *
 * `bind(fn, access)` gives a function its variables and exactly the grant of
 * `access`; `grant*` gives a principal the same without the variables.
 */
export class MemoryStore extends MemoryStoreBase {
  /** A store deployed elsewhere: grants, `bind` and metrics work on it as on one created here. */
  public static fromMemoryStoreAttributes(scope: Construct, id: string, attrs: MemoryStoreAttributes): IMemoryStore {
    const settings = checkedSettings(scope, attrs.settings ?? MEMORY_DEFAULTS);
    class Imported extends MemoryStoreBase {
      public readonly tableName = attrs.tableName;
      public readonly dataKey = attrs.dataKey;
      public readonly settings = settings;
    }
    return new Imported(scope, id);
  }

  public readonly table: dynamodb.Table;
  public readonly dataKey: kms.IKey;
  public readonly settings: MemorySettings;

  constructor(scope: Construct, id: string, props: MemoryStoreProps) {
    super(scope, id);
    this.dataKey = props.dataKey;
    this.settings = checkedSettings(this, {
      ...MEMORY_DEFAULTS,
      ...props.settings,
      retentionDays: { ...MEMORY_DEFAULTS.retentionDays, ...props.settings?.retentionDays },
    });
    this.table = dataTable(this, {
      tableName: `${props.namePrefix}-memory`,
      partitionKey: MEMORY_TABLE_SCHEMA.partitionKey.name,
      sortKey: MEMORY_TABLE_SCHEMA.sortKey.name,
      // AU-11, and the Privacy Act's limits on keeping records: each record expires by its kind's retention.
      timeToLiveAttribute: MEMORY_TABLE_SCHEMA.timeToLiveAttribute,
      dataKey: props.dataKey,
      backupPlan: props.backupPlan,
      pointInTimeRecovery: MEMORY_POINT_IN_TIME_RECOVERY,
      deletionProtection: MEMORY_DELETION_PROTECTION,
      removalPolicy: MEMORY_REMOVAL_POLICY,
      tableProps: props.tableProps,
    });
  }

  public get tableName(): string {
    return this.table.tableName;
  }

  public get tableArn(): string {
    return this.table.tableArn;
  }
}

/** The settings within MEMORY_BOUNDS (values not known until deploy are left to the functions' own check). */
function checkedSettings(scope: IConstruct, settings: MemorySettings): MemorySettings {
  const problems: string[] = [];
  const check = (field: string, value: number, bounds: { readonly min: number; readonly max: number; readonly why: string }) => {
    if (Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      problems.push(`${field} is ${value}; give a whole number from ${bounds.min} to ${bounds.max} (${bounds.why})`);
    }
  };
  check('settings.maxRecordsPerActor', settings.maxRecordsPerActor, MEMORY_BOUNDS.maxRecordsPerActor);
  for (const kind of MEMORY_KINDS) check(`settings.retentionDays.${kind}`, settings.retentionDays[kind], MEMORY_BOUNDS.retentionDays);
  check('settings.maxRecordBytes', settings.maxRecordBytes, { min: 1, max: 400 * 1024, why: 'a DynamoDB item holds at most 400 KB' });
  check('settings.logRetentionDays', settings.logRetentionDays, { min: 1, max: 3650, why: 'ten years at most, as records' });
  if (problems.length > 0) throw new Error(`${scope.node.path}: ${problems.join('; ')}.`);
  return settings;
}
