import { RemovalPolicy } from 'aws-cdk-lib';

/** Secure defaults of ReferenceData, named so a fork can audit them. */

/** Agency records outlive the stack (CP-9, AU-11). */
export const REFERENCE_REMOVAL_POLICY = RemovalPolicy.RETAIN;
/** CP-9: restore the table to any second of the last 35 days. */
export const REFERENCE_POINT_IN_TIME_RECOVERY = true;
/** A `cdk destroy` or a mistaken replacement cannot drop the table. */
export const REFERENCE_DELETION_PROTECTION = true;

/** Grants by intent: exact actions, so a reviewer sees what a role can do. */
export const REFERENCE_READ_ACTIONS = ['dynamodb:GetItem'];
export const REFERENCE_RECORD_ACTIONS = ['dynamodb:PutItem', 'dynamodb:GetItem'];
export const KEY_DECRYPT_ACTIONS = ['kms:Decrypt'];
export const KEY_ENCRYPT_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
