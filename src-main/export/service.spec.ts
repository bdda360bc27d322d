import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFrames } from '../../tests/export/fixtures.js';
import { CapturesRepo, type CaptureRow } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { createLogger } from '../util/log.js';
import { EXPORT_PRESETS, type ExportEvent } from './api-types.js';
import type { ExportResult } from './export.js';
import { PRESET_NAMES, type ParsedExportRequest } from './request.js';
import { EXPORT_SETTINGS_KEY, ExportService, isNightCapture, nightOf, nightWindow } from './service.js';

let dir: string;
let db: Db;
let repo: CapturesRepo;
let events: ExportEvent[];
let rendered: ParsedExportRequest[];
let svc: ExportService;

async function seed(
  agentId: string,
  count: number,
  extra: (i: number) => Partial<CaptureRow> = () => ({}),
  start = '2025-01-10T20:00:00Z',
): Promise<void> {
  const rel = join('originals', agentId);
  const frames = await makeFrames(join(dir, 'media', rel), { count, start, prefix: agentId, width: 64, height: 36 });
  repo.insertMany(
    frames.map((f, i) => ({
      agentId,
      captureId: `${agentId}-${start}-${i}`,
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
      sha256: 'x',
      imagePath: `${rel}/${f.path.split('/').pop()!}`,
      thumbPath: 't',
      importedAt: f.capturedAt,
      ...extra(i),
    })),
  );
}

function makeService(): ExportService {
  return new ExportService({
    dataDir: dir,
    db,
    mediaDir: join(dir, 'media'),
    gallery: repo,
    agents: () => [{ id: 'cam-roof-0001', name: 'Roof' }],
    emit: (e) => events.push(e),
    log: createLogger(null),
    minNightFrames: 5,
    runTimelapse: (req): Promise<ExportResult> => {
      rendered.push(req);
      return Promise.resolve({
        outputPath: join(dir, 'x.mp4'),
        frames: req.frames.length,
        durationSeconds: 1,
        width: 2,
        height: 2,
      });
    },
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skystation-export-svc-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
  repo = new CapturesRepo(db);
  events = [];
  rendered = [];
  svc = makeService();
  await svc.start();
});

afterEach(async () => {
  await svc.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ExportService', () => {
  it('lists the same presets as the renderer knows', () => {
    expect([...EXPORT_PRESETS].sort()).toEqual([...PRESET_NAMES].sort());
  });

  it('selects by camera (name or id prefix), time range, schedules, profile and variant, oldest first', async () => {
    await seed('cam-roof-0001', 12, (i) => ({
      schedule: i < 6 ? 'night' : 'sunset',
      variant: i % 2 === 0 ? 'a' : 'b',
      profile: i === 0 ? 'other' : 'p1',
    }));
    await seed('cam-gone', 3);
    const job = svc.create({
      selection: { agentIds: ['Roof'], from: '2025-01-10T20:00:30Z', to: '2025-01-10T20:05:00+00:00' },
      options: { preset: 'h264-720p-web', fps: 30 },
    });
    expect(['queued', 'running']).toContain(job.status);
    expect(job).toMatchObject({ frames: 10, preset: 'h264-720p-web', fps: 30, product: 'timelapse' });
    expect(job.label).toMatch(/^Roof, 2025-01-10 20:00 – 2025-01-10 20:05 UTC, 720p web$/);
    await svc.queue.idle();
    const times = rendered[0]!.frames.map((f) => f.capturedAt);
    expect(times).toEqual([...times].sort());
    expect(rendered[0]!.frames[0]!.path).toBe(
      join(dir, 'media', 'originals', 'cam-roof-0001', 'cam-roof-0001_0001.jpg'),
    );

    svc.create({
      selection: {
        agentIds: ['cam-roof'],
        from: '2025-01-10T00:00:00Z',
        to: '2025-01-11T00:00:00Z',
        schedules: ['sunset'],
        variant: 'a',
      },
    });
    svc.create({
      selection: {
        agentIds: ['cam-roof-0001', 'cam-gone'],
        from: '2025-01-10T00:00:00Z',
        to: '2025-01-11T00:00:00Z',
        profile: 'p1',
      },
    });
    await svc.queue.idle();
    expect(rendered[1]!.frames).toHaveLength(3); // sunset frames 6, 8, 10
    expect(rendered[2]!.frames).toHaveLength(11 + 3);
    const finished = events.filter((e) => e.event === 'export.finished');
    expect(finished).toHaveLength(3);
    expect(() =>
      svc.create({ selection: { agentIds: ['nobody'], from: '2025-01-10T00:00:00Z', to: '2025-01-11T00:00:00Z' } }),
    ).toThrow(/No camera matches "nobody"/);
    expect(() =>
      svc.create({ selection: { agentIds: ['Roof'], from: '2024-01-10T00:00:00Z', to: '2024-01-11T00:00:00Z' } }),
    ).toThrow(expect.objectContaining({ code: 'no_frames' }));
  });

  it('keeps settings (secret write-only) across a restart and refuses an archive without S3', async () => {
    expect(svc.getSettings()).toMatchObject({ autoNightProducts: true, archiveExports: false, s3: null });
    await expect(svc.setSettings({ archiveExports: true })).rejects.toMatchObject({ code: 's3_not_configured' });
    await expect(svc.setSettings({ s3: { bucket: 'sky', accessKeyId: 'AK' } })).rejects.toMatchObject({
      code: 's3_secret_missing',
    });
    const v = await svc.setSettings({
      autoNightProducts: false,
      s3: {
        endpoint: 'http://127.0.0.1:9000',
        bucket: 'sky',
        accessKeyId: 'AK',
        secretAccessKey: 'SECRET',
        forcePathStyle: true,
      },
      archiveExports: true,
    });
    expect(v.s3).toMatchObject({ bucket: 'sky', secretAccessKeySet: true, forcePathStyle: true, region: 'us-east-1' });
    expect(JSON.stringify(v)).not.toContain('SECRET');
    // Changing other S3 fields keeps the stored secret.
    await svc.setSettings({ s3: { bucket: 'sky2', accessKeyId: 'AK' } });
    await svc.close();
    svc = makeService();
    await svc.start();
    expect(svc.getSettings()).toMatchObject({ autoNightProducts: false, archiveExports: true, s3: { bucket: 'sky2' } });
    expect(svc.rawSettings().s3?.secretAccessKey).toBe('SECRET');
    expect(new OrchestrationRepo(db).getSetting(EXPORT_SETTINGS_KEY)).toMatchObject({ version: 1 });
  });

  it('makes the keogram and startrails of a night once its captures stop arriving (after a sync)', async () => {
    await seed('cam-roof-0001', 8);
    await seed('cam-roof-0001', 4, () => ({ schedule: 'day', lux: 5000 }), '2025-01-11T09:00:00Z');
    const rows = repo.page({ agentId: 'cam-roof-0001', limit: 100 }).items;
    for (const r of rows) svc.noteImported(r);
    const night = nightOf('2025-01-10T20:00:00Z');
    expect(svc.pendingNights()).toEqual([`cam-roof-0001|${night}`]);
    svc.flushNights();
    await svc.queue.idle();
    const jobs = svc.list();
    expect(jobs.map((j) => [j.product, j.status])).toEqual(
      expect.arrayContaining([
        ['keogram', 'done'],
        ['startrails', 'done'],
      ]),
    );
    const keogram = jobs.find((j) => j.product === 'keogram')!;
    expect(keogram.result).toMatchObject({ width: 8 * 90, height: 36, frames: 8 }); // widened to ≥ 720 px
    expect(keogram.result!.mediaPath).toBe(`exports/night/Roof/${night}-keogram.png`);
    expect((await sharp(keogram.result!.outputPath).metadata()).width).toBe(720);

    // A second sync of the same night re-makes (overwrites) them; with the setting off, nothing is queued.
    for (const r of rows) svc.noteImported(r);
    svc.flushNights();
    await svc.queue.idle();
    expect(svc.list().filter((j) => j.status === 'done' && j.product !== 'timelapse')).toHaveLength(4);
    await svc.setSettings({ autoNightProducts: false });
    for (const r of rows) svc.noteImported(r);
    expect(svc.pendingNights()).toEqual([]);
  });

  it('tells night frames and nights apart', () => {
    expect(isNightCapture({ schedule: 'astro-night', lux: null })).toBe(true);
    expect(isNightCapture({ schedule: 'sunset', lux: 200 })).toBe(false);
    expect(isNightCapture({ schedule: null, lux: 0.2 })).toBe(true);
    const w = nightWindow('2025-01-10');
    expect(Date.parse(w.to) - Date.parse(w.from)).toBe(24 * 3_600_000 - 1);
    // Noon starts the night; a second before noon belongs to the night before.
    expect(nightOf(w.from)).toBe('2025-01-10');
    expect(nightOf(w.to)).toBe('2025-01-10');
    expect(nightOf(new Date(Date.parse(w.from) - 1000).toISOString())).toBe('2025-01-09');
  });
});
