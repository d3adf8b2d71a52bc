import { Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../../compliance/acknowledge';
import { acknowledgeAccessLogGrantOfItsOwner, dataBucketDefaults } from '../data-bucket/data-bucket-defaults';
import {
  WEIGHTS_ABORT_INCOMPLETE_UPLOAD,
  WEIGHTS_ACCESS_LOG_PREFIX,
  WEIGHTS_NONCURRENT_EXPIRATION,
  WEIGHTS_REMOVAL_POLICY,
} from './model-weights-defaults';

export interface ModelWeightsProps {
  /**
   * Physical name prefix: the data-resource prefix, so the CloudTrail data-event
   * selector of the platform's buckets records every read of the weights (AU-2).
   */
  readonly namePrefix: string;
  /** SC-28: the weights rest under the agency's data key. */
  readonly dataKey: kms.IKey;
  /** Where the bucket's server access logs go (the audit trail's access-log bucket). */
  readonly accessLogsBucket: s3.IBucket;
}

/**
 * The bucket the Neuron endpoint loads its model weights from. The platform
 * team stages the weights (uncompressed, under a key prefix) before deploying
 * the Inference stack; nothing is pulled from a public hub at run time.
 *
 * KMS under the data key, TLS only, versioned, no public access, access logs
 * to the audit bucket, RETAIN. Reads are granted per prefix by the endpoint
 * (NeuronEndpoint's execution role), not here.
 */
export class ModelWeights extends Construct {
  public readonly bucket: s3.Bucket;
  /** The physical name: a string with pseudo-parameter tokens only. */
  public readonly bucketName: string;

  constructor(scope: Construct, id: string, props: ModelWeightsProps) {
    super(scope, id);
    this.bucketName = `${props.namePrefix}-weights-${Stack.of(this).account}`;
    this.bucket = new s3.Bucket(this, 'Resource', {
      ...dataBucketDefaults({
        bucketName: this.bucketName,
        dataKey: props.dataKey,
        accessLogsBucket: props.accessLogsBucket,
        accessLogsPrefix: WEIGHTS_ACCESS_LOG_PREFIX,
        removalPolicy: WEIGHTS_REMOVAL_POLICY,
      }),
      lifecycleRules: [
        {
          noncurrentVersionExpiration: WEIGHTS_NONCURRENT_EXPIRATION,
          abortIncompleteMultipartUploadAfter: WEIGHTS_ABORT_INCOMPLETE_UPLOAD,
        },
      ],
    });
    acknowledgeAccessLogGrantOfItsOwner(this.bucket);
    acknowledge(
      this.bucket,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Residency keeps the model weights in the target region; cross-region replication would leave it. Versioning and RETAIN protect against loss, and the weights can be staged again from their source.',
    );
  }
}
