import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PayloadStore } from '../ports/payload-store';

export interface S3PayloadStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Customer-managed key for SSE-KMS (SC-28: data at rest under the agency's
   * key). Without it the bucket's default encryption applies.
   * @default the bucket's default encryption
   */
  readonly kmsKeyId?: string;
}

/** Large event content as S3 objects, one per event, under the session's prefix. */
export class S3PayloadStore implements PayloadStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly kmsKeyId?: string;

  constructor(props: S3PayloadStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
    this.kmsKeyId = props.kmsKeyId;
  }

  async put(key: string, content: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: content,
        ContentType: 'text/plain; charset=utf-8',
        ...(this.kmsKeyId
          ? // A bucket key cuts KMS requests (and their cost) for many small objects under one key.
            { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId, BucketKeyEnabled: true }
          : {}),
      }),
    );
  }

  async get(key: string): Promise<string> {
    const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!Body) throw new Error(`payload ${key} has no body`);
    return Body.transformToString('utf-8');
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length > 0) {
        const { Errors = [] } = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        if (Errors.length > 0) {
          throw new Error(`could not delete ${Errors.length} payloads under ${prefix}: ${Errors[0].Code} ${Errors[0].Message}`);
        }
        deleted += keys.length;
      }
      token = page.NextContinuationToken;
    } while (token);
    return deleted;
  }
}
