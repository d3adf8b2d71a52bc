import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../compliance/acknowledge';

/**
 * Secure defaults of every bucket that holds agency data (the session
 * payloads, the model weights), in one place so the buckets cannot drift
 * apart. Each construct adds its own lifecycle and access policy.
 */

export interface DataBucketDefaultsProps {
  /** Physical name under the data-resource prefix, so CloudTrail data events cover the bucket (AU-2). */
  readonly bucketName: string;
  readonly dataKey: kms.IKey;
  readonly accessLogsBucket: s3.IBucket;
  /** Prefix of this bucket's server access logs in the access-log bucket. */
  readonly accessLogsPrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

export function dataBucketDefaults(props: DataBucketDefaultsProps): s3.BucketProps {
  return {
    bucketName: props.bucketName,
    // SC-28: data at rest under the agency's data key; bucket keys keep KMS requests (and cost) down.
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.dataKey,
    bucketKeyEnabled: true,
    // SC-8: TLS only.
    enforceSSL: true,
    // CP-9: overwritten and deleted objects stay recoverable.
    versioned: true,
    // AC-3: no public access, no ACLs.
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // AU-2: server access logs into the audit trail's access-log bucket.
    serverAccessLogsBucket: props.accessLogsBucket,
    serverAccessLogsPrefix: props.accessLogsPrefix,
    removalPolicy: props.removalPolicy,
  };
}

/**
 * A data bucket names the access-log bucket by reference (AuditTrail.accessLogsDestination), so CDK
 * warns that it added no delivery grant: the access-log bucket's policy already admits this
 * account's data buckets, with aws:SourceArn and aws:SourceAccount.
 */
export function acknowledgeAccessLogGrantOfItsOwner(bucket: s3.IBucket): void {
  acknowledge(
    bucket,
    'Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
    'The access-log bucket grants S3 log delivery itself, for buckets under the data-resource prefix of this account only (aws:SourceArn, aws:SourceAccount); a per-bucket grant from another stack could not carry those conditions.',
  );
}
