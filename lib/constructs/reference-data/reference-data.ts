import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { REFERENCE_TABLE_SCHEMA } from '../../../lambda/tools/reference-table-schema';
import { acknowledge } from '../../compliance/acknowledge';
import {
  KEY_DECRYPT_ACTIONS,
  KEY_ENCRYPT_ACTIONS,
  REFERENCE_DELETION_PROTECTION,
  REFERENCE_POINT_IN_TIME_RECOVERY,
  REFERENCE_READ_ACTIONS,
  REFERENCE_RECORD_ACTIONS,
  REFERENCE_REMOVAL_POLICY,
} from './reference-data-defaults';

export interface ReferenceDataProps {
  /** Physical name prefix; CloudTrail data events select the platform's tables by it. */
  readonly namePrefix: string;
  /** SC-28: the data key encrypts the table and its backups. */
  readonly dataKey: kms.IKey;
  /** CP-9: the plan that backs the table up with the session data. */
  readonly backupPlan: backup.IBackupPlan;
}

/**
 * Agency reference records the tools read (`lookup_case`, a DynamoDB GetItem
 * straight from the Express workflow) and the records tools write
 * (`release_records`). One table, keyed as lambda/tools/reference-table-schema.ts
 * says, under the data key, with PITR, daily backups, deletion protection and RETAIN.
 */
export class ReferenceData extends Construct {
  public readonly table: dynamodb.Table;
  public readonly dataKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ReferenceDataProps) {
    super(scope, id);
    this.dataKey = props.dataKey;
    this.table = new dynamodb.Table(this, 'Resource', {
      tableName: `${props.namePrefix}-reference`,
      partitionKey: { name: REFERENCE_TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: REFERENCE_POINT_IN_TIME_RECOVERY },
      deletionProtection: REFERENCE_DELETION_PROTECTION,
      removalPolicy: REFERENCE_REMOVAL_POLICY,
    });
    const selection = new backup.BackupSelection(this, 'Backup', {
      backupPlan: props.backupPlan,
      resources: [backup.BackupResource.fromDynamoDbTable(this.table)],
    });
    acknowledge(
      selection.node.findChild('Role'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      'AWS Backup documents this AWS-managed service-role policy for backup jobs; it is maintained by AWS as services add backup APIs.',
    );
  }

  /** Read one record by key (GetItem), e.g. the Express workflow's lookup task. */
  public grantReadItems(grantee: iam.IGrantable): iam.Grant {
    return this.grantItems(grantee, REFERENCE_READ_ACTIONS, KEY_DECRYPT_ACTIONS);
  }

  /** Write records of the tools' own actions (a release) and read them back. */
  public grantRecordItems(grantee: iam.IGrantable): iam.Grant {
    return this.grantItems(grantee, REFERENCE_RECORD_ACTIONS, KEY_ENCRYPT_ACTIONS);
  }

  /** Exact actions on this table and its key; no action wildcards (AC-6). */
  private grantItems(grantee: iam.IGrantable, tableActions: string[], keyActions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: tableActions, resourceArns: [this.table.tableArn] });
    iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [this.dataKey.keyArn] });
    return grant;
  }
}
