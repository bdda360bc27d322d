import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapturesRepo, type CaptureRow } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { createLogger } from '../util/log.js';
import { DerivativesQueue } from './derivatives.js';

function row(i: number): CaptureRow {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    agentId: 'a1',
    captureId: `c${i}`,
    seq: i,
    capturedAt: t,
    schedule: 'manual',
    profile: null,
    profileVersion: null,
    testId: null,
    variant: null,
    iso: 100,
    shutterSpeed: '1/500',
    settingsJson: '{}',
    lux: 1000,
    temperatureC: null,
    width: 800,
    height: 600,
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    imagePath: `originals/a1/c${i}.jpg`,
    thumbPath: `thumbs/a1/c${i}.jpg`,
    importedAt: t,
  };
}

describe('DerivativesQueue', () => {
  let dir: string;
  let db: Db;
  let repo: CapturesRepo;
  const ready: string[] = [];

  const queue = (): DerivativesQueue =>
    new DerivativesQueue({
      captures: repo,
      mediaDir: dir,
      log: createLogger(null, 'silent'),
      onReady: (_agent, id) => ready.push(id),
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-deriv-'));
    db = openDatabase(join(dir, 'gallery.sqlite'));
    repo = new CapturesRepo(db);
    ready.length = 0;
    mkdirSync(join(dir, 'originals', 'a1'), { recursive: true });
    for (const i of [1, 2]) {
      await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 200, g: 200, b: 200 } } })
        .jpeg()
        .toFile(join(dir, row(i).imagePath));
      repo.insert(row(i));
    }
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks up captures indexed without thumbnails (a station stopped mid-work) and fills their figures', async () => {
    expect(repo.pendingDerivatives(10).map((r) => r.captureId)).toEqual(['c1', 'c2']);
    const q = queue();
    expect(q.resumePending()).toBe(2);
    await q.idle();
    expect(ready.sort()).toEqual(['c1', 'c2']);
    for (const i of [1, 2]) {
      expect(existsSync(join(dir, row(i).thumbPath))).toBe(true);
      expect(repo.get('a1', `c${i}`)?.meanBrightness).toBeGreaterThan(190);
    }
    expect(repo.pendingDerivatives(10)).toEqual([]);
  });

  it('keeps a capture whose image cannot be decoded pending, without announcing it, and does not stall', async () => {
    writeFileSync(join(dir, row(1).imagePath), 'not a jpeg');
    const q = queue();
    q.enqueue({ agentId: 'a1', captureId: 'c1', imagePath: row(1).imagePath, thumbPath: row(1).thumbPath });
    q.enqueue({ agentId: 'a1', captureId: 'c2', imagePath: row(2).imagePath, thumbPath: row(2).thumbPath });
    await q.whenDone('a1', 'c1');
    await q.whenDone('a1', 'c2');
    expect(ready).toEqual(['c2']);
    expect(repo.pendingDerivatives(10).map((r) => r.captureId)).toEqual(['c1']);
    expect(q.pending).toBe(0);
  });

  it('ignores a capture queued twice', async () => {
    const q = queue();
    const job = { agentId: 'a1', captureId: 'c1', imagePath: row(1).imagePath, thumbPath: row(1).thumbPath };
    q.enqueue(job);
    q.enqueue(job);
    await q.idle();
    expect(ready).toEqual(['c1']);
  });

  it('on close finishes the image in hand and leaves the rest pending for the next start', async () => {
    const q = queue();
    q.enqueue({ agentId: 'a1', captureId: 'c1', imagePath: row(1).imagePath, thumbPath: row(1).thumbPath });
    q.enqueue({ agentId: 'a1', captureId: 'c2', imagePath: row(2).imagePath, thumbPath: row(2).thumbPath });
    await q.close();
    expect(q.pending).toBe(0);
    expect(ready).toEqual(['c1']);
    expect(repo.pendingDerivatives(10).map((r) => r.captureId)).toEqual(['c2']);
    const next = queue();
    expect(next.resumePending()).toBe(1);
    await next.idle();
    expect(ready).toEqual(['c1', 'c2']);
  });

  it('holds new work during a bulk transfer and resumes it on release', async () => {
    const q = queue();
    q.hold();
    q.enqueue({ agentId: 'a1', captureId: 'c1', imagePath: row(1).imagePath, thumbPath: row(1).thumbPath });
    await new Promise((r) => setTimeout(r, 200));
    expect(ready).toEqual([]);
    expect(q.pending).toBe(1);
    q.release();
    await q.idle();
    expect(ready).toEqual(['c1']);
  });
});
