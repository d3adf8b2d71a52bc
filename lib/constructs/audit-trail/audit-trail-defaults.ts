import * as s3 from 'aws-cdk-lib/aws-s3';

/** Secure defaults of AuditTrail, named so a fork can audit them. */

/** AU-9: no public access, ever. */
export const BLOCK_PUBLIC_ACCESS = s3.BlockPublicAccess.BLOCK_ALL;
/** AC-6: bucket policies alone decide access; ACLs are off. */
export const OBJECT_OWNERSHIP = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED;
/** AU-9(3)/SI-7: CloudTrail digest files let an auditor prove logs were not altered. */
export const TRAIL_FILE_VALIDATION = true;
/** AU-2: management events of every region of the partition, not only the target's. */
export const TRAIL_MULTI_REGION = true;
