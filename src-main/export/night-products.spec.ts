import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapturesRepo, type CaptureRow } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import type { ExportJobView } from './api-types.js';
import { FrameSelector } from './frame-selection.js';
import { NightProducts, nightOf, nightWindow, safeFileName } from './night-products.js';
import type { ExportRequest } from './request.js';

let dir: string;
let db: Db;
let gallery: CapturesRepo;

/** A night capture `i` minutes after 22:00 local time on 10 January. */
function nightRow(i: number): CaptureRow {
  const at = new Date(2026, 0, 10, 22, i, 0).toISOString();
  return {
    agentId: 'cam-1',
    captureId: `n${i}`,
    seq: i,
    capturedAt: at,
    schedule: 'night',
    profile: null,
    profileVersion: null,
    testId: null,
    variant: null,
    iso: 800,
    shutterSpeed: '15',
    settingsJson: '{}',
    lux: 0.01,
    temperatureC: null,
    width: 4,
    height: 3,
    sizeBytes: 1,
    sha256: 'x',
    imagePath: `originals/cam-1/n${i}.jpg`,
    thumbPath: `thumbs/cam-1/n${i}.jpg`,
    importedAt: at,
  };
}

function setup(o: { auto?: boolean; minNightFrames?: number } = {}) {
  const queued: ExportRequest[] = [];
  const nights = new NightProducts({
    selector: new FrameSelector({
      mediaDir: join(dir, 'media'),
      gallery,
      agents: () => [{ id: 'cam-1', name: 'Roof Cam' }],
    }),
    enqueue: (req) => {
      queued.push(req);
      return { id: `job${queued.length}` } as ExportJobView;
    },
    exportsDir: join(dir, 'media', 'exports'),
    settings: () => ({ autoNightProducts: o.auto ?? true, nightQuietMinutes: 10 }),
    minNightFrames: o.minNightFrames ?? 3,
    log: pino({ level: 'silent' }),
  });
  return { nights, queued };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-nights-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
  gallery = new CapturesRepo(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NightProducts', () => {
  it('dates a night by its evening and spans noon to noon', () => {
    const lateNight = new Date(2026, 0, 11, 3, 0, 0).toISOString();
    expect(nightOf(lateNight)).toBe('2026-01-10');
    const w = nightWindow('2026-01-10');
    expect(w.from).toBe(new Date(2026, 0, 10, 12, 0, 0).toISOString());
    expect(w.to).toBe(new Date(new Date(2026, 0, 11, 12, 0, 0).getTime() - 1).toISOString());
    expect(safeFileName('../Roof Cam.')).toBe('Roof-Cam');
  });

  it('queues a keogram and a startrails of a camera’s night, and says when it has no night images', () => {
    gallery.insertMany([nightRow(1), nightRow(2)]);
    const { nights, queued } = setup();
    expect(nights.make('Roof Cam', '2026-01-10').map((j) => j.id)).toEqual(['job1', 'job2']);
    expect(queued.map((q) => [q.product, q.name, q.frames.length])).toEqual([
      ['keogram', '2026-01-10-keogram', 2],
      ['startrails', '2026-01-10-startrails', 2],
    ]);
    expect(queued[0]?.outputDir).toBe(join(dir, 'media', 'exports', 'night', 'Roof-Cam'));
    expect(() => nights.make('cam-1', '2026-02-01')).toThrow(expect.objectContaining({ code: 'no_frames' }) as Error);
  });

  it('waits for a night to go quiet, then makes its products when it has enough frames', () => {
    const rows = [nightRow(1), nightRow(2), nightRow(3)];
    gallery.insertMany(rows);
    const { nights, queued } = setup();
    for (const r of rows) nights.noteImported({ ...r, rowid: 0, reconciled: 0 });
    expect(nights.pending()).toEqual(['cam-1|2026-01-10']);
    nights.flush();
    expect(nights.pending()).toEqual([]);
    expect(queued.map((q) => [q.product, q.overwrite])).toEqual([
      ['keogram', true],
      ['startrails', true],
    ]);
  });

  it('skips a night with too few frames, day captures, and everything when off or stopped', () => {
    gallery.insert(nightRow(1));
    const few = setup({ minNightFrames: 5 });
    few.nights.noteImported({ ...nightRow(1), rowid: 0, reconciled: 0 });
    few.nights.noteImported({ ...nightRow(2), schedule: 'day', lux: 900, rowid: 0, reconciled: 0 });
    expect(few.nights.pending()).toHaveLength(1);
    few.nights.flush();
    expect(few.queued).toEqual([]);
    const off = setup({ auto: false });
    off.nights.noteImported({ ...nightRow(1), rowid: 0, reconciled: 0 });
    expect(off.nights.pending()).toEqual([]);
    const stopped = setup();
    stopped.nights.noteImported({ ...nightRow(1), rowid: 0, reconciled: 0 });
    stopped.nights.stop();
    expect(stopped.nights.pending()).toEqual([]);
    stopped.nights.noteImported({ ...nightRow(1), rowid: 0, reconciled: 0 });
    expect(stopped.nights.pending()).toEqual([]);
  });
});
