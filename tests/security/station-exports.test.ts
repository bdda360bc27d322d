/**
 * Issue 12, finding 2: an export request can never delete anything but its
 * own earlier output. Real ffmpeg, real files: a canary in the media folder
 * and one in a folder outside the exports folder must survive every request.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { runExport } from '../../src-main/export/export.js';
import { ExportService } from '../../src-main/export/service.js';
import { StationError } from '../../src-main/util/errors.js';
import { createLogger } from '../../src-main/util/log.js';
import { makeFrames, type FixtureFrame } from '../export/fixtures.js';

let dir: string;
let media: string;
let exportsDir: string;
let elsewhere: string;
let frames: FixtureFrame[];
let db: Db;
let svc: ExportService;

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    return (err as StationError).code;
  }
  throw new Error('expected the request to be refused');
}

const canaries = (): boolean[] => [
  existsSync(join(media, 'canary.txt')),
  existsSync(join(media, 'originals', 'cam', 'cam_0001.jpg')),
  existsSync(join(elsewhere, 'canary.txt')),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-sec-exports-'));
  media = join(dir, 'media');
  exportsDir = join(media, 'exports');
  elsewhere = join(dir, 'elsewhere');
  mkdirSync(exportsDir, { recursive: true });
  mkdirSync(elsewhere);
  writeFileSync(join(media, 'canary.txt'), 'keep');
  writeFileSync(join(elsewhere, 'canary.txt'), 'keep');
  frames = await makeFrames(join(media, 'originals', 'cam'), { count: 4, prefix: 'cam', width: 64, height: 36 });
  db = openDatabase(join(dir, 'gallery.sqlite'));
  const repo = new CapturesRepo(db);
  repo.insertMany(
    frames.map((f, i) => ({
      agentId: 'cam-1',
      captureId: `c${i}`,
      seq: i,
      capturedAt: f.capturedAt,
      schedule: 'night',
      profile: 'p1',
      profileVersion: '1',
      testId: null,
      variant: null,
      iso: 100,
      shutterSpeed: '1',
      settingsJson: '{}',
      lux: 0.1,
      temperatureC: null,
      width: 64,
      height: 36,
      sizeBytes: 1,
      sha256: '0'.repeat(64),
      imagePath: `originals/cam/${f.path.split('/').pop()!}`,
      thumbPath: 't',
      importedAt: f.capturedAt,
    })),
  );
  svc = new ExportService({
    dataDir: dir,
    db,
    mediaDir: media,
    gallery: repo,
    agents: () => [{ id: 'cam-1', name: 'Cam' }],
    emit: () => undefined,
    log: createLogger(null),
  });
  await svc.start();
}, 60_000);

afterAll(async () => {
  await svc?.close();
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

const selection = { agentIds: ['cam-1'], from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

describe('exports never delete what they did not write', () => {
  it('refuses ".." (and other non-names) as an output name, and the media folder stays', async () => {
    for (const name of ['..', '.', '.hidden', 'a/b', 'a\\b', 'x\u0000y']) {
      expect(
        await codeOf(runExport({ frames, preset: 'image-sequence', outputDir: exportsDir, name, overwrite: true })),
        name,
      ).toBe('invalid_export_request');
    }
    // The API's schema refuses them too (the export itself above is the second line of defence).
    for (const name of ['..', '.', '.hidden']) {
      expect(
        () => svc.create({ selection, options: { preset: 'image-sequence', name, overwrite: true } }),
        name,
      ).toThrow(/must not start with a dot/);
    }
    await svc.queue.idle();
    expect(canaries()).toEqual([true, true, true]);
  }, 60_000);

  it('refuses an output path outside the exports folder', async () => {
    for (const outputPath of [elsewhere, join(elsewhere, 'x'), media, exportsDir, join(exportsDir, '..', 'x')]) {
      expect(
        await codeOf(() =>
          svc.create({ selection, options: { preset: 'image-sequence', outputPath, overwrite: true } }),
        ),
        outputPath,
      ).toBe('output_outside_exports');
    }
    await svc.queue.idle();
    expect(canaries()).toEqual([true, true, true]);
  });

  it("overwrite never replaces a folder that holds anything but an export's frames", async () => {
    // runExport itself (the CLI and the service both end there) checks what it would replace.
    for (const outputPath of [elsewhere, media]) {
      expect(
        await codeOf(runExport({ frames, preset: 'image-sequence', outputPath, overwrite: true })),
        outputPath,
      ).toBe('output_not_replaceable');
    }
    expect(canaries()).toEqual([true, true, true]);
  }, 60_000);

  it('overwrite replaces the image-sequence folder an earlier export wrote', async () => {
    const job = svc.create({ selection, options: { preset: 'image-sequence', name: 'seq', fps: 25 } });
    await svc.queue.idle();
    expect(svc.get(job.id)).toMatchObject({ status: 'done' });
    const again = svc.create({
      selection,
      options: { preset: 'image-sequence', name: 'seq', fps: 25, overwrite: true },
    });
    await svc.queue.idle();
    expect(svc.get(again.id)).toMatchObject({ status: 'done' });
    const frameFiles = ['frame_00001.jpg', 'frame_00002.jpg', 'frame_00003.jpg', 'frame_00004.jpg'];
    expect(readdirSync(join(exportsDir, 'seq')).sort()).toEqual(frameFiles);
    // Without overwrite it is refused, and kept.
    const third = svc.create({ selection, options: { preset: 'image-sequence', name: 'seq', fps: 25 } });
    await svc.queue.idle();
    expect(svc.get(third.id)).toMatchObject({ status: 'failed', error: { code: 'output_exists' } });
    expect(readdirSync(join(exportsDir, 'seq')).sort()).toEqual(frameFiles);
    expect(canaries()).toEqual([true, true, true]);
  }, 120_000);

  it('overwrite replaces a file only when an earlier export wrote it', async () => {
    writeFileSync(join(exportsDir, 'notes.mp4'), 'the operator wrote this');
    const refused = svc.create({ selection, options: { preset: 'h264-720p-web', name: 'notes.mp4', overwrite: true } });
    await svc.queue.idle();
    expect(svc.get(refused.id)).toMatchObject({ status: 'failed', error: { code: 'output_not_replaceable' } });
    expect(readFileSync(join(exportsDir, 'notes.mp4'), 'utf8')).toBe('the operator wrote this');
    const first = svc.create({ selection, options: { preset: 'h264-720p-web', name: 'ours.mp4' } });
    await svc.queue.idle();
    expect(svc.get(first.id)).toMatchObject({ status: 'done' });
    const again = svc.create({ selection, options: { preset: 'h264-720p-web', name: 'ours.mp4', overwrite: true } });
    await svc.queue.idle();
    expect(svc.get(again.id)).toMatchObject({ status: 'done' });
  }, 120_000);
});
