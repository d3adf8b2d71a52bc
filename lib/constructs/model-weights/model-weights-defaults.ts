import { Duration, RemovalPolicy } from 'aws-cdk-lib';

/** Secure defaults of ModelWeights, named so a fork can audit them. */

/** The staged weights outlive the (stateless) Inference stack, like the rest of the State stack. */
export const WEIGHTS_REMOVAL_POLICY = RemovalPolicy.RETAIN;
/** A replaced or deleted weights file stays recoverable this long (CP-9); weights are large, so not for ever. */
export const WEIGHTS_NONCURRENT_EXPIRATION = Duration.days(30);
/** Weights are uploaded in multipart uploads of many GB; an abandoned one is removed after this long. */
export const WEIGHTS_ABORT_INCOMPLETE_UPLOAD = Duration.days(7);
/** Server access logs of the bucket go under this prefix of the audit access-log bucket (AU-2). */
export const WEIGHTS_ACCESS_LOG_PREFIX = 'weights-bucket/';
