/**
 * The S3 archive set on the Settings screen, against a real local
 * S3-compatible server (s3rver on 127.0.0.1, as in s3-archive.test.ts):
 * - "Test" (HeadBucket + ListObjectsV2) reports the bucket, or says what is
 *   wrong (missing bucket, refused keys, unreachable server);
 * - the station uses the settings as the archive target at once: originals
 *   of a real agent's capture, and a finished export, land under the prefix;
 * - the secret is never returned.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Archive, type S3Config } from '../../src-main/archive/s3.js';
import { ArchiveUploadsRepo } from '../../src-main/db/archive-uploads-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { resolveOutputPath } from '../../src-main/export/request.js';
import { ExportService } from '../../src-main/export/service.js';
import { StationSettings } from '../../src-main/settings/service.js';
import { createLogger } from '../../src-main/util/log.js';
import { freePort, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { stationWithOneCapture } from '../helpers/gallery.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

let dir: string;
let server: LocalS3;
let config: S3Config;
let reader: S3Archive;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function objectBytes(key: string): Promise<Buffer> {
  const r = await reader.client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await objectBytes(key);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-settings-s3-'));
  server = await startLocalS3(dir);
  config = server.config;
  reader = new S3Archive({ config, state: new ArchiveUploadsRepo(openDatabase(':memory:')) });
});

afterAll(async () => {
  reader?.destroy();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('archive settings (s3rver)', () => {
  let station: Station;
  let agent: RunningProcess & { port: number; token: string };

  beforeAll(async () => {
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '320x240']);
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
  });

  it('"Test" reports the bucket, or says what is wrong', async () => {
    expect(await station.dispatch('testArchive', {})).toMatchObject({
      ok: false,
      error: { code: 'archive_not_configured' },
    });
    const view = await station.call('updateSettings', {
      archive: {
        endpoint: config.endpoint!,
        bucket: 'sky',
        prefix: 'station1/',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      },
    });
    expect(view.archive).toEqual({
      endpoint: config.endpoint,
      region: 'us-east-1',
      bucket: 'sky',
      prefix: 'station1/',
      accessKeyId: 'S3RVER',
      secretAccessKeySet: true,
      forcePathStyle: true,
      uploadExports: false,
      uploadOriginals: false,
    });
    expect(JSON.stringify(await station.call('getSettings'))).not.toContain('"secretAccessKey"');
    expect(await station.call('testArchive', {})).toEqual({
      endpoint: config.endpoint,
      bucket: 'sky',
      prefix: 'station1/',
      objects: 0,
      truncated: false,
    });
    await reader.client.send(new PutObjectCommand({ Bucket: 'sky', Key: 'station1/hello.txt', Body: 'hi' }));
    expect(await station.call('testArchive', {})).toMatchObject({ objects: 1 });

    // Unsaved values are tried without saving them.
    const missing = await station.dispatch('testArchive', { archive: { bucket: 'no-such-bucket' } });
    expect(missing).toMatchObject({
      ok: false,
      error: {
        code: 'archive_bucket_missing',
        message: expect.stringContaining('"no-such-bucket" does not exist') as unknown,
      },
    });
    const refused = await station.dispatch('testArchive', {
      archive: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'archive_access_denied' } });
    expect(refused.ok ? '' : refused.error.message).toMatch(/check the access key id and the secret/);
    const closed = await freePort();
    const unreachable = await station.dispatch('testArchive', { archive: { endpoint: `http://127.0.0.1:${closed}` } });
    expect(unreachable).toMatchObject({ ok: false, error: { code: 'archive_unreachable' } });
    const badName = await station.dispatch('testArchive', { archive: { bucket: 'Bad_Name' } });
    expect(badName).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await station.call('getSettings')).archive?.bucket).toBe('sky');
  }, 60_000);

  it('originals of a real capture are uploaded under the prefix once "also upload originals" is on', async () => {
    const agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    await station.call('updateSettings', { archive: { uploadOriginals: true } });
    const capture = await station.call('captureNow', { agentId });
    const key = `station1/${capture.imagePath}`;
    await until(
      () => objectExists(key),
      (ok) => ok,
      20_000,
    );
    const local = await readFile(join(station.mediaDir, capture.imagePath));
    expect(sha256(await objectBytes(key))).toBe(sha256(local));
  }, 60_000);
});

describe('the exports use the settings as their archive target', () => {
  it('uploads a finished export under the settings prefix when "upload finished exports" is on', async () => {
    const data = join(dir, 'exports-station');
    const { db, repo } = await stationWithOneCapture(data);
    const video = randomBytes(300 * 1024);
    const log = createLogger(null);
    const svc = new ExportService({
      dataDir: data,
      db,
      mediaDir: join(data, 'media'),
      gallery: repo,
      agents: () => [{ id: 'cam', name: 'Cam' }],
      emit: () => undefined,
      log,
      // The video itself is not the point here: write known bytes where the export goes.
      runTimelapse: async (req) => {
        const out = resolveOutputPath(req);
        await mkdir(join(out, '..'), { recursive: true });
        await writeFile(out, video);
        return { outputPath: out, frames: 1, durationSeconds: 1, width: 2, height: 2 };
      },
    });
    const settings = await StationSettings.start({
      dataDir: data,
      db,
      log,
      env: {},
      location: () => null,
      archive: svc,
    });
    try {
      await svc.start();
      await settings.update({
        archive: {
          endpoint: config.endpoint!,
          bucket: 'sky',
          prefix: 'from-settings/',
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          forcePathStyle: true,
          uploadExports: true,
        },
      });
      // The exports' own settings say nothing about S3: the target comes from the station settings.
      expect(svc.rawSettings().s3).toBeNull();
      const job = svc.create({
        selection: { agentIds: ['cam'], from: '2025-01-10T00:00:00Z', to: '2025-01-11T00:00:00Z' },
        options: { name: 'archived' },
      });
      await svc.queue.idle();
      await svc.archiveIdle();
      expect(svc.get(job.id).status).toBe('done');
      expect(svc.getSettings().archive).toMatchObject({
        lastUploaded: 'from-settings/exports/archived.mp4',
        lastError: null,
      });
      expect(sha256(await objectBytes('from-settings/exports/archived.mp4'))).toBe(sha256(video));

      // Turned off: the next export stays local.
      await settings.update({ archive: { uploadExports: false } });
      svc.create({
        selection: { agentIds: ['cam'], from: '2025-01-10T00:00:00Z', to: '2025-01-11T00:00:00Z' },
        options: { name: 'local-only' },
      });
      await svc.queue.idle();
      await svc.archiveIdle();
      expect(await objectExists('from-settings/exports/local-only.mp4')).toBe(false);
    } finally {
      await svc.close();
      db.close();
    }
  }, 60_000);
});
