import { Duration, RemovalPolicy } from 'aws-cdk-lib';

/** Secure defaults of SessionStore, named so a fork can audit them. */

/** Session data outlives the stack (CP-9, AU-11). */
export const SESSION_REMOVAL_POLICY = RemovalPolicy.RETAIN;
/** A `cdk destroy` or a mistaken replacement cannot drop the table. */
export const SESSION_DELETION_PROTECTION = true;
/** CP-9: restore the table to any second of the last 35 days. */
export const POINT_IN_TIME_RECOVERY = true;
/** CP-9: a daily AWS Backup recovery point, kept this long. */
export const BACKUP_RETENTION = Duration.days(35);
/** Payload objects expire with their sessions; bucket-level safety net. */
export const PAYLOAD_EXPIRATION = Duration.days(400);
/** Non-current payload versions (overwrites, deletes) are kept this long for recovery. */
export const PAYLOAD_NONCURRENT_EXPIRATION = Duration.days(30);
/** Object operations that must arrive through the VPC endpoint (SC-7). */
export const PAYLOAD_OBJECT_ACTIONS = ['s3:GetObject*', 's3:PutObject*', 's3:DeleteObject*', 's3:RestoreObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'];

/** Grants by intent: exact actions, so a reviewer sees what a role can do. */
export const SESSION_READ_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:DescribeTable'];
export const SESSION_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];
export const PAYLOAD_READ_ACTIONS = ['s3:GetObject'];
export const PAYLOAD_WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];
export const KEY_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
export const KEY_ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];
