import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/db/database.js';
import { ExportJobsRepo } from '../../src-main/db/export-jobs-repo.js';
import { ExportQueue } from '../../src-main/export/index.js';
import { makeFrames, type FixtureFrame } from './fixtures.js';
import { probe } from './probe.js';

let root: string;
let frames: FixtureFrame[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skystation-queue-test-'));
  frames = await makeFrames(join(root, 'frames'), { count: 20 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ExportQueue (real exports)', () => {
  it('runs a job with queued → started → progress → done events and persists the result', async () => {
    const dataDir = join(root, 'data1');
    await mkdir(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, 'gallery.sqlite'));
    const queue = new ExportQueue({ db });
    await queue.start();
    const events: string[] = [];
    for (const e of ['queued', 'started', 'progress', 'done', 'failed'] as const) queue.on(e, () => events.push(e));
    const job = queue.enqueue({
      frames,
      preset: 'h264-720p-web',
      encoderPreset: 'ultrafast',
      outputDir: join(root, 'out'),
      name: 'q1',
    });
    await queue.idle();
    const done = queue.get(job.id)!;
    expect(done.status).toBe('done');
    expect(events[0]).toBe('queued');
    expect(events[1]).toBe('started');
    expect(events).toContain('progress');
    expect(events.at(-1)).toBe('done');
    expect((await probe(done.result!.outputPath)).frames).toBe(20);
    const saved = new ExportJobsRepo(db).all();
    expect(saved[0]?.json).toMatchObject({ id: job.id, status: 'done' });
    db.close();
  });

  it('a job that was running when the station stopped comes back interrupted, and can be resumed', async () => {
    const dataDir = join(root, 'data2');
    await mkdir(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, 'gallery.sqlite'));
    const request = {
      frames,
      preset: 'h264-720p-web',
      encoderPreset: 'ultrafast',
      outputDir: join(root, 'out'),
      name: 'resumed',
    };
    const jobs = new ExportJobsRepo(db);
    jobs.replaceAll([
      {
        id: 'j1',
        status: 'running',
        createdAt: '2025-01-10T20:00:00Z',
        json: {
          id: 'j1',
          status: 'running',
          request,
          createdAt: '2025-01-10T20:00:00Z',
          startedAt: '2025-01-10T20:00:01Z',
          finishedAt: null,
          result: null,
          error: null,
        },
      },
    ]);
    const queue = new ExportQueue({ db });
    const interrupted: string[] = [];
    queue.on('interrupted', (j) => interrupted.push(j.id));
    await queue.start();
    expect(queue.list()).toHaveLength(1);
    expect(queue.get('j1')).toMatchObject({ status: 'interrupted', error: { code: 'export_interrupted' } });
    expect(interrupted).toEqual(['j1']);
    const saved = jobs.all();
    expect(saved[0]!.status).toBe('interrupted');
    queue.resume('j1');
    await queue.idle();
    expect(queue.get('j1')!.status).toBe('done');
    db.close();
  });
});
