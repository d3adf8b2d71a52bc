import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { S3PayloadStore } from '../../../../lambda/core/adapters/s3-payload-store';
import { createBucket, motoS3Client, startMoto, type MotoServer } from '../../../helpers/moto';

let moto: MotoServer;
let s3: ReturnType<typeof motoS3Client>;
const bucket = 'payloads';

beforeAll(async () => {
  moto = await startMoto();
  s3 = motoS3Client(moto);
  await createBucket(s3, bucket);
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

describe('S3PayloadStore', () => {
  test('content round-trips byte for byte, multi-byte characters included', async () => {
    const store = new S3PayloadStore({ client: s3, bucket });
    const content = 'Résumé of the 会议 — ✓\n'.repeat(1000);
    await store.put('t1/s1/0000000001-abc', content);
    expect(await store.get('t1/s1/0000000001-abc')).toBe(content);
  });

  test('a missing payload is an error, not empty content', async () => {
    const store = new S3PayloadStore({ client: s3, bucket });
    await expect(store.get('t1/s1/never-written')).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  test('with a KMS key, objects are written under SSE-KMS with that key', async () => {
    const kmsKeyId = '11111111-2222-3333-4444-555555555555';
    const store = new S3PayloadStore({ client: s3, bucket, kmsKeyId });
    await store.put('t1/s2/0000000001-abc', 'secret');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 't1/s2/0000000001-abc' }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId });
  });

  test('deletePrefix removes every object under the prefix, across list pages, and nothing else', async () => {
    const store = new S3PayloadStore({ client: s3, bucket });
    const keys = Array.from({ length: 1005 }, (_, i) => `t2/big/${String(i).padStart(10, '0')}-h`);
    // Seeded 50 at a time, the SDK's default socket count: all 1005 at once queue behind those sockets and the SDK warns of it.
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, 'x')));
    await store.put('t2/bigger/0000000001-h', 'kept');

    expect(await store.deletePrefix('t2/big/')).toBe(1005);
    await expect(store.get(keys[0])).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(await store.get('t2/bigger/0000000001-h')).toBe('kept');
    expect(await store.deletePrefix('t2/big/')).toBe(0);
  });
});
