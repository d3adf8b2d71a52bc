import { Duration, RemovalPolicy } from 'aws-cdk-lib';

/** Secure defaults of PlatformKeys, named so a fork can audit them. */

/** SC-12: keys rotate yearly (the KMS minimum that is still automatic). */
export const KEY_ROTATION_PERIOD = Duration.days(365);
/** The longest waiting period, so a mistaken deletion can be cancelled. */
export const KEY_PENDING_WINDOW = Duration.days(30);
/** Keys outlive the stack: deleting a key destroys the data under it. */
export const KEY_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/**
 * Key administration without key use: separation of duties (AC-5).
 * Not `kms:Create*`: it includes kms:CreateGrant, and a grant is use without
 * the ViaService condition. Grants are in KEY_USE_ACTIONS' statement instead.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

export const KEY_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
