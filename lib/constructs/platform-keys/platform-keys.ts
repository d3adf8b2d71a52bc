import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { Residency } from '../../residency/residency';
import { kmsViaServiceValues } from '../../residency/policies';
import { partitionOf, servicePrincipalName } from '../../residency/region-facts';
import { operationsAlarmArnPattern } from '../operations/operations-defaults';
import {
  KEY_ADMIN_ACTIONS,
  KEY_PENDING_WINDOW,
  KEY_REMOVAL_POLICY,
  KEY_ROTATION_PERIOD,
  KEY_USE_ACTIONS,
} from './platform-keys-defaults';

export interface PlatformKeysProps {
  /** Where the keys may be used (`kms:ViaService` is limited to these regions' services). */
  readonly residency: Residency;
  /** Prefix of the key aliases, e.g. `statehouse-govwest`; also of the target's alarm names (Operations), which the logs key admits. */
  readonly aliasPrefix: string;
}

/**
 * The customer-managed keys of one target (SC-12, SC-13, SC-28):
 * - `data`: sessions, payloads, model volumes, workflow state;
 * - `logs`: CloudWatch Logs (flow logs, function and workflow logs) and the operations alarms topic;
 * - `audit`: CloudTrail and the audit bucket.
 *
 * Each key policy separates administration from use, and limits use to this
 * account (`kms:CallerAccount`) through this target's service endpoints
 * (`kms:ViaService`), so a key cannot decrypt data outside the boundary.
 */
export class PlatformKeys extends Construct {
  public readonly data: kms.IKey;
  public readonly logs: kms.IKey;
  public readonly audit: kms.IKey;

  constructor(scope: Construct, id: string, props: PlatformKeysProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const viaServices = kmsViaServiceValues(props.residency);

    this.data = this.key('Data', props.aliasPrefix, 'Session state, payloads, model volumes and workflow state', [
      this.useViaServices(viaServices),
      // AU-9: the workflows' log records are encrypted under the data key, and CloudWatch Logs
      // vended delivery decrypts them; only deliveries of this account (vended-logs permissions:
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
      new iam.PolicyStatement({
        sid: 'LogDeliveryOfThisAccount',
        principals: [new iam.ServicePrincipal(servicePrincipalName('delivery.logs'))],
        actions: ['kms:Decrypt*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
        },
      }),
    ]);

    const logsPrincipals = props.residency.regions.map(
      (region) => new iam.ServicePrincipal(`logs.${region}.${partitionOf(region)!.dnsSuffix}`),
    );
    this.logs = this.key('Logs', props.aliasPrefix, 'CloudWatch Logs of the platform', [
      // AU-9: only CloudWatch Logs of this account may use the key, for this account's log groups.
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: logsPrincipals,
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              region: '*',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
      // SI-4: the operations alarms notify a topic under this key; CloudWatch must encrypt the message. Only this account's
      // alarms of this target (AWS docs: sns/latest/dg/sns-key-management.html, compatibility with AWS services).
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisTarget',
        principals: [new iam.ServicePrincipal(servicePrincipalName('cloudwatch'))],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': operationsAlarmArnPattern(stack, props.aliasPrefix) },
        },
      }),
    ]);

    const trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: '*' });
    this.audit = this.key('Audit', props.aliasPrefix, 'CloudTrail logs and the audit bucket', [
      this.useViaServices(viaServices),
      // AU-9: CloudTrail encrypts only this account's trails with this key.
      new iam.PolicyStatement({
        sid: 'CloudTrailOfThisAccount',
        principals: [new iam.ServicePrincipal(servicePrincipalName('cloudtrail'))],
        actions: ['kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': trailArn },
        },
      }),
    ]);
  }

  private useViaServices(viaServices: string[]): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      sid: 'UseThroughPlatformServicesOnly',
      principals: [new iam.AccountRootPrincipal()],
      actions: [...KEY_USE_ACTIONS, 'kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': viaServices },
      },
    });
  }

  private key(id: string, aliasPrefix: string, description: string, useStatements: iam.PolicyStatement[]): kms.Key {
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AdministerWithoutUse',
          principals: [new iam.AccountRootPrincipal()],
          actions: KEY_ADMIN_ACTIONS,
          resources: ['*'],
        }),
        ...useStatements,
      ],
    });
    return new kms.Key(this, id, {
      description: `Statehouse ${id.toLowerCase()} key: ${description}`,
      alias: `alias/${aliasPrefix}-${id.toLowerCase()}`,
      enableKeyRotation: true,
      rotationPeriod: KEY_ROTATION_PERIOD,
      pendingWindow: KEY_PENDING_WINDOW,
      removalPolicy: KEY_REMOVAL_POLICY,
      policy,
    });
  }
}
