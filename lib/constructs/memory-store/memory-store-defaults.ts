import { RemovalPolicy } from 'aws-cdk-lib';

/** Secure defaults of MemoryStore, named so a fork can audit them. */

/** What people told an agent outlives the stack: records leave by their retention (TTL) or a forget, never by a `cdk destroy` (AU-11). */
export const MEMORY_REMOVAL_POLICY = RemovalPolicy.RETAIN;
/** A `cdk destroy` or a mistaken replacement cannot drop the table. */
export const MEMORY_DELETION_PROTECTION = true;
/** CP-9: restore the table to any second of the last 35 days. */
export const MEMORY_POINT_IN_TIME_RECOVERY = true;

/**
 * Grants by intent: exact actions, so a reviewer sees what a role can do.
 * IAM has no TransactWriteItems action: a transaction's Put and Update are
 * authorized as PutItem and UpdateItem, and `dynamodb:EnclosingOperation`
 * says whether they came in one
 * (docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
export const MEMORY_READ_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem'];
/** The turn functions: the profile's count (UpdateItem), forget and export log entries (PutItem), forgets (BatchWriteItem, DeleteItem); never inside a transaction. */
export const MEMORY_FORGET_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
/** The extractor: records, progress and profile in one TransactWriteItems (PutItem, UpdateItem), evictions past the cap (BatchWriteItem) and their log (PutItem). */
export const MEMORY_EXTRACT_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
/** The condition key DynamoDB sets on the parts of a transaction; absent on a plain request. */
export const ENCLOSING_OPERATION = 'dynamodb:EnclosingOperation';
export const KEY_DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
export const KEY_ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];
