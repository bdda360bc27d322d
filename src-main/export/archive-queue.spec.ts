import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../tests/helpers/s3.js';
import { openDatabase } from '../db/database.js';
import { ArchiveQueue, type ArchiveTarget } from './archive-queue.js';

let dir: string;
let s3: LocalS3;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-archive-queue-'));
  s3 = await startLocalS3(dir);
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ArchiveQueue (s3rver)', () => {
  it('uploads a finished export’s files in order under exports/, and reports the last one', async () => {
    const db = openDatabase(join(dir, 'a.sqlite'));
    const exportsDir = join(dir, 'exports');
    const seq = join(exportsDir, 'night-seq');
    await mkdir(seq, { recursive: true });
    await writeFile(join(seq, 'frame-0001.jpg'), 'one');
    await writeFile(join(seq, 'frame-0002.jpg'), 'two');
    await writeFile(join(exportsDir, 'night.mp4'), 'movie');
    const own: ArchiveTarget = {
      archiveExports: true,
      archiveOriginals: false,
      s3: { ...s3.config, endpoint: s3.config.endpoint ?? null, prefix: 'st/' },
    };
    const q = new ArchiveQueue({ db, log, exportsDir, ownTarget: () => own });
    await q.start();
    q.exportFinished(seq);
    q.exportFinished(join(exportsDir, 'night.mp4'));
    await q.idle();
    expect(q.status()).toEqual({ queued: 0, lastUploaded: 'st/exports/night.mp4', lastError: null });
    await q.stop();
    db.close();
  });

  it('uploads nothing without a target, and the station Settings’ target wins over its own', async () => {
    const db = openDatabase(join(dir, 'b.sqlite'));
    const file = join(dir, 'x.jpg');
    await writeFile(file, 'x');
    const q = new ArchiveQueue({
      db,
      log,
      exportsDir: join(dir, 'exports'),
      ownTarget: () => ({ archiveExports: false, archiveOriginals: false, s3: null }),
    });
    await q.enqueue(file, 'k/x.jpg');
    expect(q.status().lastUploaded).toBeNull();
    q.exportFinished(file);
    await q.idle();
    expect(q.status().lastUploaded).toBeNull();
    q.useTarget({
      archiveExports: true,
      archiveOriginals: true,
      s3: { ...s3.config, endpoint: s3.config.endpoint ?? null, prefix: '' },
    });
    expect(q.target().archiveOriginals).toBe(true);
    await q.enqueue(file, 'k/x.jpg');
    expect(q.status()).toMatchObject({ lastUploaded: 'k/x.jpg', lastError: null });
    q.useTarget(null);
    expect(q.target().s3).toBeNull();
    q.abortUploads();
    await q.stop();
    db.close();
  });
});
