/**
 * "Test" for the S3 archive settings: HeadBucket (the bucket exists and these
 * keys may use it), then ListObjectsV2 under the prefix (the keys may list it).
 * Each failure becomes one sentence saying what to fix.
 */
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { StationError, errorMessage } from '../util/errors.js';
import type { S3Config } from './s3.js';

export interface ArchiveCheckResult {
  endpoint: string | null;
  bucket: string;
  prefix: string;
  /** Objects under the prefix (the first page: at most 1000). */
  objects: number;
  truncated: boolean;
}

function describe(err: unknown, c: S3Config): StationError {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = c.endpoint ?? `AWS S3 (${c.region})`;
  const netCode = (err as { code?: string }).code ?? e.cause?.code;
  if (name === 'NoSuchBucket' || (name === 'NotFound' && status === 404) || status === 404) {
    return new StationError(
      'archive_bucket_missing',
      `The bucket "${c.bucket}" does not exist on ${where}; create it or correct the name.`,
    );
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) || status === 403) {
    return new StationError(
      'archive_access_denied',
      `${where} refused these keys for the bucket "${c.bucket}" (${name || `HTTP ${status}`}); check the access key id and the secret.`,
    );
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return new StationError(
      'archive_wrong_region',
      `The bucket "${c.bucket}" is in another region than ${c.region}; correct the region.`,
    );
  }
  if (netCode && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)$/.test(netCode)) {
    return new StationError(
      'archive_unreachable',
      `Cannot reach ${where} (${netCode}); check the endpoint address and the network.`,
    );
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new StationError(
      'archive_unreachable',
      `${where} did not answer in time; check the endpoint address and the network.`,
    );
  }
  return new StationError(
    'archive_test_failed',
    `The S3 test failed on ${where}: ${name || (status ? `HTTP ${status}` : 'error')} (${errorMessage(err)}).`,
  );
}

export async function checkS3(c: S3Config & { prefix: string }, timeoutMs = 10_000): Promise<ArchiveCheckResult> {
  const client = new S3Client({
    region: c.region,
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    forcePathStyle: c.forcePathStyle,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    const signal = (): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
    await client.send(new HeadBucketCommand({ Bucket: c.bucket }), signal());
    const list = await client.send(
      new ListObjectsV2Command({ Bucket: c.bucket, ...(c.prefix ? { Prefix: c.prefix } : {}), MaxKeys: 1000 }),
      signal(),
    );
    return {
      endpoint: c.endpoint ?? null,
      bucket: c.bucket,
      prefix: c.prefix,
      objects: list.KeyCount ?? list.Contents?.length ?? 0,
      truncated: list.IsTruncated === true,
    };
  } catch (err) {
    throw describe(err, c);
  } finally {
    client.destroy();
  }
}
