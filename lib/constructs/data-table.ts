import type { RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledgeBackupServiceRole } from '../compliance/acknowledge';
import { mergeProps } from './merge-props';

/**
 * A table of the State stack's agency data beside the session table (the
 * reference table, the memory table): on demand, under the data key, in the
 * session table's backup plan. Its construct ids are `Resource` and
 * `Backup` under `scope`, as the tables have always had them: renaming
 * either would replace a table that holds data.
 */
export interface DataTableProps {
  readonly tableName: string;
  readonly partitionKey: string;
  /** @default none: one key */
  readonly sortKey?: string;
  /** @default none */
  readonly timeToLiveAttribute?: string;
  readonly dataKey: kms.IKey;
  readonly backupPlan: backup.IBackupPlan;
  /** The construct's defaults, which `tableProps` may change. */
  readonly pointInTimeRecovery: boolean;
  readonly deletionProtection: boolean;
  readonly removalPolicy: RemovalPolicy;
  /** Your own settings, merged over the defaults; the name, keys, key and TTL always win. */
  readonly tableProps?: Partial<dynamodb.TableProps>;
}

export function dataTable(scope: Construct, props: DataTableProps): dynamodb.Table {
  const table = new dynamodb.Table(
    scope,
    'Resource',
    mergeProps<dynamodb.TableProps>(
      {
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery },
        deletionProtection: props.deletionProtection,
        removalPolicy: props.removalPolicy,
      },
      props.tableProps,
      {
        tableName: props.tableName,
        partitionKey: { name: props.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: props.sortKey === undefined ? undefined : { name: props.sortKey, type: dynamodb.AttributeType.STRING },
        // SC-28: the agency's key, never an AWS-owned one.
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: props.dataKey,
        ...(props.timeToLiveAttribute === undefined ? {} : { timeToLiveAttribute: props.timeToLiveAttribute }),
      },
    ),
  );
  const selection = new backup.BackupSelection(scope, 'Backup', {
    backupPlan: props.backupPlan,
    resources: [backup.BackupResource.fromDynamoDbTable(table)],
  });
  acknowledgeBackupServiceRole(selection);
  return table;
}
