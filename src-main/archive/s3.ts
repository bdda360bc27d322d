/**
 * S3 archive: finished exports (and, optionally, originals) go to an
 * S3-compatible bucket (AWS, MinIO, Garage, s3rver ...).
 *
 * Large files use a multipart upload that survives interruptions and
 * restarts: the UploadId and every completed part (number, ETag, size) are
 * stored after each part (the station database's archive_uploads; stations
 * before issue #13 kept <dataDir>/archive/uploads.json, imported once at
 * start), and a restarted
 * upload asks the server which parts it holds (ListParts) instead of starting
 * over. Servers without ListParts (s3rver answers MethodNotAllowed) are handled
 * by trusting the locally recorded parts; a server that no longer knows the
 * upload (NoSuchUpload) makes it start over. Every request is retried with
 * backoff; a file that changed since the upload began starts over too.
 * Small files go in one request through @aws-sdk/lib-storage's Upload.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { z } from 'zod';
import { StationError, errorMessage } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { Backoff } from '../../agent/src/util/backoff.js';

export interface S3Config {
  endpoint?: string | null | undefined;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (http://host/bucket/key): needed by most local servers. */
  forcePathStyle: boolean;
}

/** Upload states by id; a state that does not validate is dropped (that upload starts over). */
export interface UploadStateStore {
  all(): Record<string, unknown>;
  /** Records one upload's state, or with null forgets it. */
  put(id: string, state: unknown): void;
}

export interface S3ArchiveOptions {
  config: S3Config;
  /** Where the state of unfinished multipart uploads is kept (the station's ArchiveUploadsRepo). */
  state: UploadStateStore;
  /** Bytes per part (S3's minimum is 5 MiB except for the last part). */
  partSize?: number;
  /** Attempts per request (our retries, on top of the SDK's own). */
  attempts?: number;
  /** First retry delay; doubled per attempt. */
  retryDelayMs?: number;
  log?: Logger;
}

export interface UploadProgress {
  bytesDone: number;
  bytesTotal: number;
}

export interface UploadResult {
  key: string;
  bytes: number;
  /** true when an earlier, interrupted upload was continued. */
  resumed: boolean;
  /** Parts that did not have to be sent again. */
  partsReused: number;
  /** How the parts already uploaded were learnt on resume. */
  partsSource: 'none' | 'ListParts' | 'local-state';
}

const PartState = z.strictObject({ PartNumber: z.number().int().min(1), ETag: z.string(), size: z.number().int() });
const UploadState = z.strictObject({
  bucket: z.string(),
  key: z.string(),
  localPath: z.string(),
  size: z.number().int(),
  mtimeMs: z.number(),
  partSize: z.number().int(),
  uploadId: z.string(),
  parts: z.array(PartState),
  startedAt: z.string(),
});
type UploadState = z.infer<typeof UploadState>;
/** archive/uploads.json of stations before issue #13. */
export const UploadsFileSchema = z.strictObject({ version: z.literal(1), uploads: z.record(z.string(), UploadState) });

export const MIN_PART_SIZE = 5 * 1024 * 1024;

function errName(err: unknown): string {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name ?? e.Code ?? '';
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Errors that retrying cannot fix. */
function permanent(err: unknown): boolean {
  const name = errName(err);
  if (name === 'AbortError' || err instanceof StationError) return true;
  if (['NoSuchBucket', 'NoSuchUpload', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(name))
    return true;
  const status = httpStatus(err);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export class S3Archive {
  readonly client: S3Client;
  private readonly partSize: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly log: Logger;

  constructor(private readonly o: S3ArchiveOptions) {
    const c = o.config;
    this.client = new S3Client({
      region: c.region,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      forcePathStyle: c.forcePathStyle,
      credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
      maxAttempts: 2,
    });
    this.partSize = Math.max(MIN_PART_SIZE, o.partSize ?? 8 * 1024 * 1024);
    this.attempts = Math.max(1, o.attempts ?? 4);
    this.retryDelayMs = o.retryDelayMs ?? 500;
    this.log = o.log ?? createLogger(null);
  }

  destroy(): void {
    this.client.destroy();
  }

  /** Upload one file to `key`; continues an interrupted upload of the same file. */
  async uploadFile(
    localPath: string,
    key: string,
    options: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void } = {},
  ): Promise<UploadResult> {
    const { signal, onProgress } = options;
    const info = await stat(localPath).catch((err: unknown) => {
      throw new StationError('archive_file_missing', `${localPath} cannot be archived: ${errorMessage(err)}.`);
    });
    const bucket = this.o.config.bucket;
    if (info.size <= this.partSize) {
      await this.retry('PutObject', signal, async () => {
        const body = createReadStream(localPath);
        try {
          const upload = new Upload({
            client: this.client,
            params: { Bucket: bucket, Key: key, Body: body, ContentLength: info.size },
            queueSize: 1,
            partSize: MIN_PART_SIZE,
            leavePartsOnError: false,
            ...(signal ? { abortController: abortControllerFor(signal) } : {}),
          });
          await upload.done();
        } finally {
          // A failed or aborted attempt may leave the file half read: release its descriptor.
          body.destroy();
        }
      });
      onProgress?.({ bytesDone: info.size, bytesTotal: info.size });
      await this.verify(key, info.size);
      return { key, bytes: info.size, resumed: false, partsReused: 0, partsSource: 'none' };
    }

    const id = `${bucket}/${key}`;
    let state = (await this.readState()).uploads[id];
    let resumed = false;
    let partsSource: UploadResult['partsSource'] = 'none';
    if (state && (state.size !== info.size || state.mtimeMs !== info.mtimeMs || state.localPath !== localPath)) {
      this.log.info({ key }, 'archive: the file changed since its upload began; starting over');
      await this.abortQuietly(state);
      state = undefined;
    }
    if (state) {
      const known = await this.partsOnServer(state, signal);
      if (known === 'gone') {
        this.log.info({ key }, 'archive: the server no longer knows the upload; starting over');
        state = undefined;
      } else {
        resumed = true;
        partsSource = known === 'unsupported' ? 'local-state' : 'ListParts';
        if (known !== 'unsupported') state.parts = known;
      }
    }
    if (!state) {
      const created = await this.retry('CreateMultipartUpload', signal, () =>
        this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), abortOpt(signal)),
      );
      if (!created.UploadId) throw new StationError('archive_failed', 'The S3 server did not return an UploadId.');
      state = {
        bucket,
        key,
        localPath,
        size: info.size,
        mtimeMs: info.mtimeMs,
        partSize: this.partSize,
        uploadId: created.UploadId,
        parts: [],
        startedAt: new Date().toISOString(),
      };
      await this.saveUpload(id, state);
    }

    const s = state;
    const count = Math.ceil(s.size / s.partSize);
    const expectedSize = (n: number): number => Math.min(s.partSize, s.size - (n - 1) * s.partSize);
    // Keep only parts whose size matches what this file needs (a part cut short is sent again).
    s.parts = s.parts.filter((p) => p.PartNumber <= count && p.size === expectedSize(p.PartNumber));
    const partsReused = s.parts.length;
    const done = new Set(s.parts.map((p) => p.PartNumber));
    let bytesDone = s.parts.reduce((n, p) => n + p.size, 0);
    onProgress?.({ bytesDone, bytesTotal: s.size });
    const handle = await open(localPath, 'r');
    try {
      for (let n = 1; n <= count; n++) {
        if (done.has(n)) continue;
        if (signal?.aborted) throw cancelled();
        const size = expectedSize(n);
        const body = Buffer.alloc(size);
        const { bytesRead } = await handle.read(body, 0, size, (n - 1) * s.partSize);
        if (bytesRead !== size) throw new StationError('archive_file_changed', `${localPath} changed while uploading.`);
        const r = await this.retry(`UploadPart ${n}`, signal, () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: s.bucket,
              Key: s.key,
              UploadId: s.uploadId,
              PartNumber: n,
              Body: body,
              ContentLength: size,
            }),
            abortOpt(signal),
          ),
        );
        if (!r.ETag) throw new StationError('archive_failed', `The S3 server returned no ETag for part ${n}.`);
        s.parts.push({ PartNumber: n, ETag: r.ETag, size });
        await this.saveUpload(id, s);
        bytesDone += size;
        onProgress?.({ bytesDone, bytesTotal: s.size });
      }
    } finally {
      await handle.close();
    }
    if (signal?.aborted) throw cancelled();
    const parts: CompletedPart[] = [...s.parts]
      .sort((a, b) => a.PartNumber - b.PartNumber)
      .map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag }));
    await this.retry('CompleteMultipartUpload', signal, () =>
      this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: s.bucket,
          Key: s.key,
          UploadId: s.uploadId,
          MultipartUpload: { Parts: parts },
        }),
        abortOpt(signal),
      ),
    );
    await this.saveUpload(id, null);
    await this.verify(key, s.size);
    return { key, bytes: s.size, resumed, partsReused, partsSource };
  }

  /** Unfinished uploads recorded in the state file (to continue them after a restart). */
  async pending(): Promise<{ key: string; localPath: string; bytesDone: number; size: number }[]> {
    return Object.values((await this.readState()).uploads).map((u) => ({
      key: u.key,
      localPath: u.localPath,
      size: u.size,
      bytesDone: u.parts.reduce((n, p) => n + p.size, 0),
    }));
  }

  /** Parts the server holds; 'unsupported' when it has no ListParts; 'gone' when it forgot the upload. */
  private async partsOnServer(
    s: UploadState,
    signal: AbortSignal | undefined,
  ): Promise<UploadState['parts'] | 'unsupported' | 'gone'> {
    const parts: UploadState['parts'] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const r = await this.client.send(
          new ListPartsCommand({
            Bucket: s.bucket,
            Key: s.key,
            UploadId: s.uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
          abortOpt(signal),
        );
        for (const p of r.Parts ?? []) {
          if (p.PartNumber !== undefined && p.ETag !== undefined && p.Size !== undefined)
            parts.push({ PartNumber: p.PartNumber, ETag: p.ETag, size: p.Size });
        }
        if (!r.IsTruncated || r.NextPartNumberMarker === undefined) break;
        marker = r.NextPartNumberMarker;
      }
      return parts;
    } catch (err) {
      const name = errName(err);
      if (name === 'NoSuchUpload') return 'gone';
      if (
        name === 'NotImplemented' ||
        name === 'MethodNotAllowed' ||
        httpStatus(err) === 405 ||
        httpStatus(err) === 501
      ) {
        this.log.info(
          { key: s.key, parts: s.parts.length, error: name || httpStatus(err) },
          'archive: this S3 server has no ListParts; continuing with the parts recorded locally',
        );
        return 'unsupported';
      }
      throw err;
    }
  }

  private async abortQuietly(s: UploadState): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: s.bucket, Key: s.key, UploadId: s.uploadId }));
    } catch (err) {
      this.log.debug({ key: s.key, err: errorMessage(err) }, 'archive: could not abort an old upload');
    }
    await this.saveUpload(`${s.bucket}/${s.key}`, null);
  }

  private async verify(key: string, size: number): Promise<void> {
    const head = await this.retry('HeadObject', undefined, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.o.config.bucket, Key: key })),
    );
    if (head.ContentLength !== size) {
      throw new StationError(
        'archive_size_mismatch',
        `The archived ${key} has ${head.ContentLength} bytes, not ${size}; it will be uploaded again next time.`,
      );
    }
  }

  private async retry<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const backoff = new Backoff(this.retryDelayMs);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw cancelled();
      try {
        return await fn();
      } catch (err) {
        if (signal?.aborted) throw cancelled();
        if (permanent(err) || attempt >= this.attempts) {
          if (err instanceof StationError) throw err;
          throw new StationError(
            'archive_failed',
            `Uploading to S3 failed at ${what}: ${errName(err) || errorMessage(err)} (${errorMessage(err)}). Check the S3 settings and the network.`,
            { cause: err },
          );
        }
        this.log.warn({ what, attempt, err: errorMessage(err) }, 'archive: S3 request failed; retrying');
        await new Promise((r) => setTimeout(r, backoff.next()));
      }
    }
  }

  private readState(): Promise<{ uploads: Record<string, UploadState> }> {
    const uploads: Record<string, UploadState> = {};
    for (const [id, raw] of Object.entries(this.o.state.all())) {
      const parsed = UploadState.safeParse(raw);
      if (parsed.success) uploads[id] = parsed.data;
      else {
        this.log.error({ id }, 'archive: a stored upload state was unreadable; that upload starts over');
        this.o.state.put(id, null);
      }
    }
    return Promise.resolve({ uploads });
  }

  /** Record (or with null, forget) one upload. */
  private saveUpload(id: string, state: UploadState | null): Promise<void> {
    this.o.state.put(id, state === null ? null : { ...state, parts: [...state.parts] });
    return Promise.resolve();
  }
}

function cancelled(): StationError {
  return new StationError('archive_cancelled', 'The upload was stopped; it continues where it left off next time.');
}

function abortOpt(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const c = new AbortController();
  if (signal.aborted) c.abort();
  else signal.addEventListener('abort', () => c.abort(), { once: true });
  return c;
}
