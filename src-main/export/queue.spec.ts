import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../db/database.js';
import { ExportJobsRepo } from '../db/export-jobs-repo.js';
import { StationError } from '../util/errors.js';
import { ExportQueue, type ExportRunner } from './queue.js';

const request = (name: string): unknown => ({
  frames: [{ path: '/x/a.jpg', capturedAt: '2025-01-10T20:00:00Z' }],
  preset: 'h264-1080p',
  outputDir: '/x/out',
  name,
});

/** A fake runner whose exports finish when the test says so, and honour the abort signal. */
function controllableRunner(): {
  runner: ExportRunner;
  active: () => number;
  maxActive: () => number;
  finish: (name: string) => Promise<void>;
} {
  const pending = new Map<string, () => void>();
  let active = 0;
  let maxActive = 0;
  const runner: ExportRunner = (req, opts) =>
    new Promise((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      opts.onProgress?.({ fraction: 0.5, etaSeconds: 1, fps: 10, stage: 'encoding' });
      const end = (): void => {
        active--;
      };
      pending.set(req.name!, () => {
        end();
        resolve({
          outputPath: `/x/out/${req.name}.mp4`,
          frames: 1,
          durationSeconds: 1 / 30,
          width: 1920,
          height: 1080,
        });
      });
      opts.signal?.addEventListener('abort', () => {
        end();
        reject(new StationError('export_cancelled', 'cancelled'));
      });
    });
  return {
    runner,
    active: () => active,
    maxActive: () => maxActive,
    finish: async (n) => {
      await vi.waitFor(() => expect(pending.has(n)).toBe(true));
      const f = pending.get(n)!;
      pending.delete(n);
      f();
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

let dataDir: string;
let db: Db;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'skystation-queue-spec-'));
  db = openDatabase(join(dataDir, 'gallery.sqlite'));
});
afterEach(async () => {
  db.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('ExportQueue', () => {
  it('runs one job at a time by default, in order', async () => {
    const fake = controllableRunner();
    const q = new ExportQueue({ db, runner: fake.runner });
    await q.start();
    q.enqueue(request('a'));
    q.enqueue(request('b'));
    await vi.waitFor(() => expect(q.list().map((j) => j.status)).toEqual(['running', 'queued']));
    // "running" is recorded before the runner is called: wait for the call, not a fixed delay.
    await vi.waitFor(() => expect(fake.active()).toBe(1));
    await tick();
    expect(fake.active()).toBe(1);
    await fake.finish('a');
    await vi.waitFor(() => expect(q.list().map((j) => j.status)).toEqual(['done', 'running']));
    await fake.finish('b');
    await q.idle();
    expect(fake.maxActive()).toBe(1);
  });

  it('honours a configured concurrency', async () => {
    const fake = controllableRunner();
    const q = new ExportQueue({ db, runner: fake.runner, concurrency: 2 });
    await q.start();
    for (const n of ['a', 'b', 'c']) q.enqueue(request(n));
    await vi.waitFor(() => expect(fake.active()).toBe(2));
    for (const n of ['a', 'b', 'c']) await fake.finish(n);
    await q.idle();
    expect(fake.maxActive()).toBe(2);
    expect(q.list().every((j) => j.status === 'done')).toBe(true);
  });

  it('cancels queued and running jobs, with events, and persists the outcome', async () => {
    const fake = controllableRunner();
    const q = new ExportQueue({ db, runner: fake.runner });
    await q.start();
    const cancelled: string[] = [];
    q.on('cancelled', (j) => cancelled.push(j.request.name!));
    const a = q.enqueue(request('a'));
    const b = q.enqueue(request('b'));
    await vi.waitFor(() => expect(fake.active()).toBe(1));
    expect(q.cancel(b.id)).toBe(true);
    expect(q.cancel(a.id)).toBe(true);
    await q.idle();
    expect(cancelled.sort()).toEqual(['a', 'b']);
    expect(q.cancel(a.id)).toBe(false);
    const saved = new ExportJobsRepo(db).all();
    expect(saved.map((j) => j.status)).toEqual(['cancelled', 'cancelled']);
    expect(saved.map((j) => (j.json as { status: string }).status)).toEqual(['cancelled', 'cancelled']);
  });

  it('rejects an invalid request naming the field, and refuses work before start()', async () => {
    const q = new ExportQueue({ db, runner: controllableRunner().runner });
    expect(() => q.enqueue(request('a'))).toThrow(/not started/);
    await q.start();
    expect(() => q.enqueue({ ...(request('a') as object), preset: '8k' })).toThrow(/preset/);
    expect(() =>
      q.enqueue({ ...(request('a') as object), frames: [{ path: 'a.jpg', capturedAt: 'yesterday' }] }),
    ).toThrow(/frames\.0\.capturedAt/);
  });

  it('a job running at stop() is kept as interrupted; queued jobs stay queued for the next start', async () => {
    const fake = controllableRunner();
    const q = new ExportQueue({ db, runner: fake.runner });
    await q.start();
    const a = q.enqueue(request('a'));
    const b = q.enqueue(request('b'));
    await vi.waitFor(() => expect(fake.active()).toBe(1));
    await q.stop();
    const q2 = new ExportQueue({ db, runner: fake.runner });
    await q2.start();
    expect(q2.get(a.id)!.status).toBe('interrupted');
    await vi.waitFor(() => expect(q2.get(b.id)!.status).toBe('running'));
    await fake.finish('b');
    await q2.idle();
    expect(q2.get(b.id)!.status).toBe('done');
  });

  it('drops a stored job that no longer validates, with a warning, and keeps the others', async () => {
    const fake = controllableRunner();
    const q0 = new ExportQueue({ db, runner: fake.runner });
    await q0.start();
    const kept = q0.enqueue(request('a'));
    await vi.waitFor(() => expect(fake.active()).toBe(1));
    q0.cancel(kept.id);
    await q0.idle();
    await q0.stop();
    const repo = new ExportJobsRepo(db);
    repo.replaceAll([
      ...repo.all(),
      { id: 'broken', status: 'done', createdAt: '2026-01-01T00:00:00Z', json: { id: 'broken', request: {} } },
    ]);
    const q = new ExportQueue({ db, runner: controllableRunner().runner });
    await q.start();
    expect(q.list().map((j) => [j.id, j.status])).toEqual([[kept.id, 'cancelled']]);
    await q.stop();
  });
});
