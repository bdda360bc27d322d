/**
 * The S3 archive against a real local S3-compatible server (s3rver, in this
 * process, on 127.0.0.1 with a temporary folder): a multipart upload of a
 * file of three parts is interrupted after the first part, continued by a
 * new archive object (as after a restart), and the object's bytes are checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PART_SIZE, S3Archive, type S3Config } from '../../src-main/archive/s3.js';
import { ArchiveUploadsRepo } from '../../src-main/db/archive-uploads-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { resolveOutputPath } from '../../src-main/export/request.js';
import { ExportService } from '../../src-main/export/service.js';
import { createLogger } from '../../src-main/util/log.js';
import { stationWithOneCapture } from '../helpers/gallery.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

let dir: string;
let server: LocalS3;
let config: S3Config;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function objectBytes(archive: S3Archive, key: string): Promise<Buffer> {
  const r = await archive.client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-s3-'));
  server = await startLocalS3(dir);
  config = server.config;
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('S3 archive (s3rver)', () => {
  it('continues an interrupted multipart upload after a restart and the object matches byte for byte', async () => {
    const file = join(dir, 'night.mp4');
    const data = randomBytes(2 * MIN_PART_SIZE + 3 * 1024 * 1024); // 3 parts: 5 + 5 + 3 MiB
    await writeFile(file, data);
    const stateFile = new ArchiveUploadsRepo(openDatabase(':memory:'));

    // First attempt: stop right after part 1 is stored.
    const first = new S3Archive({ config, state: stateFile, partSize: MIN_PART_SIZE, retryDelayMs: 10 });
    const stop = new AbortController();
    await expect(
      first.uploadFile(file, 'exports/night.mp4', {
        signal: stop.signal,
        onProgress: (p) => {
          if (p.bytesDone >= MIN_PART_SIZE) stop.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'archive_cancelled' });
    first.destroy();
    const state = { uploads: stateFile.all() } as {
      uploads: Record<string, { uploadId: string; parts: { PartNumber: number }[] }>;
    };
    const recorded = state.uploads['sky/exports/night.mp4']!;
    expect(recorded.parts.map((p) => p.PartNumber)).toEqual([1]);

    // Does this server have ListParts? (s3rver 3.7 does not: it answers MethodNotAllowed.)
    const second = new S3Archive({ config, state: stateFile, partSize: MIN_PART_SIZE, retryDelayMs: 10 });
    let listParts: string;
    try {
      await second.client.send(
        new ListPartsCommand({ Bucket: 'sky', Key: 'exports/night.mp4', UploadId: recorded.uploadId }),
      );
      listParts = 'ListParts';
    } catch (err) {
      listParts = 'local-state';
      console.info(
        `s3rver has no ListParts (${(err as Error).name}); the archive resumes from the parts it recorded locally.`,
      );
    }

    // Second attempt (a new object, as after a restart): only parts 2 and 3 are sent.
    const progress: number[] = [];
    const r = await second.uploadFile(file, 'exports/night.mp4', { onProgress: (p) => progress.push(p.bytesDone) });
    expect(r).toMatchObject({ resumed: true, partsReused: 1, partsSource: listParts, bytes: data.length });
    expect(progress[0]).toBe(MIN_PART_SIZE);
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(await objectBytes(second, 'exports/night.mp4'))).toBe(sha256(data));
    // Finished uploads leave no state behind.
    expect(await second.pending()).toEqual([]);
    second.destroy();
  }, 60_000);

  it('starts over when the file changed since the interrupted upload', async () => {
    const file = join(dir, 'changed.mp4');
    const stateFile = new ArchiveUploadsRepo(openDatabase(':memory:'));
    await writeFile(file, randomBytes(MIN_PART_SIZE + 1024));
    const a = new S3Archive({ config, state: stateFile, partSize: MIN_PART_SIZE });
    const stop = new AbortController();
    await expect(
      a.uploadFile(file, 'exports/changed.mp4', {
        signal: stop.signal,
        onProgress: (p) => p.bytesDone > 0 && stop.abort(),
      }),
    ).rejects.toMatchObject({ code: 'archive_cancelled' });
    const data = randomBytes(MIN_PART_SIZE + 4096);
    await writeFile(file, data);
    const r = await a.uploadFile(file, 'exports/changed.mp4');
    expect(r).toMatchObject({ resumed: false, partsReused: 0 });
    expect(sha256(await objectBytes(a, 'exports/changed.mp4'))).toBe(sha256(data));
    a.destroy();
  }, 60_000);

  it('puts a small file in one request (lib-storage) and names the problem when the keys are wrong', async () => {
    const file = join(dir, 'keogram.png');
    const data = randomBytes(200 * 1024);
    await writeFile(file, data);
    const a = new S3Archive({ config, state: new ArchiveUploadsRepo(openDatabase(':memory:')) });
    expect(await a.uploadFile(file, 'night/keogram.png')).toMatchObject({ resumed: false, bytes: data.length });
    expect(sha256(await objectBytes(a, 'night/keogram.png'))).toBe(sha256(data));
    a.destroy();

    const bad = new S3Archive({
      config: { ...config, accessKeyId: 'NOBODY' },
      state: new ArchiveUploadsRepo(openDatabase(':memory:')),
      retryDelayMs: 1,
    });
    const failure = bad.uploadFile(file, 'night/x.png');
    await expect(failure).rejects.toMatchObject({ code: 'archive_failed' });
    await expect(failure).rejects.toThrow(/Check the S3 settings/);
    bad.destroy();
  }, 60_000);

  it('the export service uploads a finished export when the archive is on', async () => {
    const data = join(dir, 'station');
    const { db, repo } = await stationWithOneCapture(data);
    const video = randomBytes(MIN_PART_SIZE + 1000);
    const svc = new ExportService({
      dataDir: data,
      db,
      mediaDir: join(data, 'media'),
      gallery: repo,
      agents: () => [{ id: 'cam', name: 'Cam' }],
      emit: () => undefined,
      log: createLogger(null),
      // The video itself is not the point here: write known bytes where the export goes.
      runTimelapse: async (req) => {
        const out = resolveOutputPath(req);
        await mkdir(join(out, '..'), { recursive: true });
        await writeFile(out, video);
        return { outputPath: out, frames: 1, durationSeconds: 1, width: 2, height: 2 };
      },
    });
    try {
      await svc.start();
      await svc.setSettings({
        s3: { ...config, endpoint: config.endpoint!, prefix: 'station1/' },
        archiveExports: true,
      });
      const job = svc.create({
        selection: { agentIds: ['cam'], from: '2025-01-10T00:00:00Z', to: '2025-01-11T00:00:00Z' },
        options: { name: 'archived' },
      });
      await svc.queue.idle();
      await svc.archiveIdle();
      expect(svc.getSettings().archive).toEqual({
        queued: 0,
        lastUploaded: 'station1/exports/archived.mp4',
        lastError: null,
      });
      expect(svc.get(job.id).status).toBe('done');
      const client = new S3Archive({ config, state: new ArchiveUploadsRepo(openDatabase(':memory:')) });
      expect(sha256(await objectBytes(client, 'station1/exports/archived.mp4'))).toBe(sha256(video));
      client.destroy();
    } finally {
      await svc.close();
      db.close();
    }
  }, 60_000);
});
