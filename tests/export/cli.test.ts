/**
 * `skystation export` against a real headless station process: the gallery is
 * seeded (real SQLite, real JPEGs in the media folder), the CLI talks to the
 * station over its WebSocket API, the station renders with the real ffmpeg,
 * and ffprobe checks the files.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationClient } from '../../src-main/cli/client.js';
import { CapturesRepo, type CaptureRow } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { nightOf } from '../../src-main/export/service.js';
import { ROOT, freePort, run, runToExit, waitForLine, type RunningProcess } from '../helpers/processes.js';
import { makeFrames } from './fixtures.js';
import { probe } from './probe.js';

const headless = ['--import', 'tsx', join(ROOT, 'src-main/headless.ts')];
const cli = ['--import', 'tsx', join(ROOT, 'src-main/cli.ts')];

let dir: string;
let out: string;
let station: RunningProcess;
let url: string;

/** Seed the gallery of a data folder with `count` frames of one camera. */
async function seed(dataDir: string, agentId: string, count: number, schedule: string, start: string): Promise<void> {
  const day = start.slice(0, 10);
  const rel = join('originals', agentId, day);
  const frames = await makeFrames(join(dataDir, 'media', rel), { count, start, prefix: agentId });
  const db = openDatabase(join(dataDir, 'gallery.sqlite'));
  try {
    const repo = new CapturesRepo(db);
    const rows: CaptureRow[] = frames.map((f, i) => ({
      agentId,
      captureId: `${agentId}-${i}`,
      seq: i + 1,
      capturedAt: f.capturedAt,
      schedule,
      profile: 'default',
      profileVersion: '1',
      testId: null,
      variant: null,
      iso: 800,
      shutterSpeed: '10',
      settingsJson: '{}',
      lux: 0.01,
      temperatureC: f.temperatureC,
      width: 320,
      height: 180,
      sizeBytes: 1,
      sha256: '0'.repeat(64),
      imagePath: `${rel}/${f.path.split('/').pop()!}`,
      thumbPath: `${rel}/${f.path.split('/').pop()!}`,
      importedAt: new Date().toISOString(),
    }));
    expect(repo.insertMany(rows)).toBe(count);
  } finally {
    db.close();
  }
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skys-export-cli-'));
  const data = join(dir, 'data');
  // The station writes exports only inside its exports folder (issue 12).
  out = join(data, 'media', 'exports', 'out');
  mkdirSync(out, { recursive: true });
  await seed(data, 'cam-roof', 60, 'night', '2025-01-10T20:00:00Z');
  await seed(data, 'cam-other', 10, 'night', '2025-01-10T20:00:00Z');
  const port = await freePort();
  station = run(process.execPath, [
    ...headless,
    '--data-dir',
    data,
    '--port',
    String(port),
    '--embedded-agent',
    'never',
  ]);
  await waitForLine(station, /Skystation is running at/);
  url = `ws://127.0.0.1:${port}/api/ws`;
}, 60_000);

afterAll(async () => {
  await station?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const range = ['--from', '2025-01-10T19:00:00Z', '--to', '2025-01-11T06:00:00Z'];

describe('skystation export (CLI → headless station → ffmpeg)', () => {
  it('exports one camera at 720p web, 25 fps, with JSON lines, and the file is what was asked for', async () => {
    const file = join(out, 'roof-720.mp4');
    const r = await runToExit(
      process.execPath,
      [...cli, 'export', '--url', url, '--camera', 'cam-roof', ...range, '--preset', '720p-web', '--fps', '25'].concat([
        '--encoder-preset',
        'ultrafast',
        '--out',
        file,
        '--json',
      ]),
      {},
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines[0]).toMatchObject({ event: 'queued', frames: 60, preset: 'h264-720p-web', fps: 25 });
    const progress = lines.filter((l) => l['event'] === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p).toHaveProperty('percent');
      expect(p).toHaveProperty('fps');
      expect(p).toHaveProperty('etaSeconds');
    }
    expect(lines.at(-1)).toMatchObject({ event: 'finished', outputPath: file, frames: 60, width: 1280, height: 720 });
    const info = await probe(file);
    expect(info).toMatchObject({ codec: 'h264', width: 1280, height: 720, frames: 60, pixFmt: 'yuv420p' });
    expect(info.duration).toBeCloseTo(60 / 25, 1);
    expect(readdirSync(out).filter((n) => n.includes('.partial'))).toEqual([]);
  }, 120_000);

  it('selects by time range, renders 1080p H.264 at 30 fps with smooth deflicker', async () => {
    const file = join(out, 'roof-1080.mp4');
    // Frames are 30 s apart from 20:00:00: 20:10:00 … 20:24:30 is frames 20–49 = 30 frames.
    const r = await runToExit(
      process.execPath,
      [...cli, 'export', '--url', url, '--camera', 'cam-roof', '--from', '2025-01-10T20:10:00Z'].concat(
        ['--to', '2025-01-10T20:24:30Z', '--preset', '1080p-h264', '--fps', '30', '--deflicker', 'smooth'],
        ['--encoder-preset', 'ultrafast', '--out', file],
      ),
      {},
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Wrote ${file} (30 frames`);
    const info = await probe(file);
    expect(info).toMatchObject({ codec: 'h264', width: 1920, height: 1080, frames: 30 });
    expect(info.duration).toBeCloseTo(1, 1);
  }, 120_000);

  it('exits 2 on bad usage, 3 when no station answers, 1 with a code when nothing matches', async () => {
    const bad = await runToExit(process.execPath, [
      ...cli,
      'export',
      '--url',
      url,
      '--camera',
      'x',
      ...range,
      '--preset',
      '8k',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown preset "8k"/);
    const noFrom = await runToExit(process.execPath, [...cli, 'export', '--url', url, '--camera', 'x', '--to', 'now']);
    expect(noFrom.code).toBe(2);
    expect(noFrom.stderr).toMatch(/--from is required/);

    const port = await freePort();
    const down = await runToExit(process.execPath, [
      ...cli,
      'export',
      '--url',
      `ws://127.0.0.1:${port}/api/ws`,
      '--camera',
      'cam-roof',
      ...range,
    ]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/No station answers/);

    const none = await runToExit(process.execPath, [
      ...cli,
      'export',
      '--url',
      url,
      '--camera',
      'cam-roof',
      '--from',
      '2024-01-01T00:00:00Z',
      '--to',
      '2024-01-02T00:00:00Z',
      '--json',
    ]);
    expect(none.code).toBe(1);
    expect(jsonLines(none.stdout).at(-1)).toMatchObject({ event: 'error', error: { code: 'no_frames' } });

    const unknown = await runToExit(process.execPath, [...cli, 'export', '--url', url, '--camera', 'nope', ...range]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No camera matches "nope"/);
  }, 60_000);

  it('Ctrl-C cancels the job on the station and leaves no file (final or partial)', async () => {
    const file = join(out, 'cancelled.mp4');
    // 4K H.265 'slower' of 60 upscaled frames takes minutes here: plenty of time to cancel.
    const p = run(process.execPath, [
      ...cli,
      'export',
      '--url',
      url,
      '--camera',
      'cam-roof',
      ...range,
      '--preset',
      '4k-h265',
      '--encoder-preset',
      'slower',
      '--out',
      file,
      '--json',
    ]);
    await waitForLine(p, /"event":"progress"/, 60_000);
    const jobId = (JSON.parse(p.stdout.find((l) => l.includes('"queued"'))!) as { job: string }).job;
    const code = await p.stop('SIGINT');
    expect(code, [...p.stdout, ...p.stderr].join('\n')).toBe(130);
    const lines = jsonLines(p.stdout.join('\n'));
    expect(lines.map((l) => l['event'])).toContain('cancelling');
    expect(lines.at(-1)).toMatchObject({ event: 'cancelled', job: jobId, error: { code: 'export_cancelled' } });
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(out).filter((n) => n.includes('cancelled'))).toEqual([]);

    const client = await StationClient.connect(url);
    try {
      const job = await client.call('exports.get', { jobId });
      expect(job).toMatchObject({ status: 'cancelled', retryable: true, result: null });
      // The station is free again: one job at a time, and the next one runs.
      expect((await client.call('exports.list')).filter((j) => j.status === 'running')).toEqual([]);
    } finally {
      client.close();
    }
  }, 120_000);

  it('makes a night keogram and startrails on request through the station API', async () => {
    const client = await StationClient.connect(url);
    try {
      const finished = new Map<string, unknown>();
      client.onEvent((e) => {
        if (e.event === 'export.finished' || e.event === 'export.failed') finished.set(e.data.job.id, e.data.job);
      });
      const jobs = await client.call('exports.nightProducts', {
        agentId: 'cam-roof',
        night: nightOf('2025-01-10T20:00:00Z'),
      });
      expect(jobs.map((j) => j.product)).toEqual(['keogram', 'startrails']);
      const started = Date.now();
      while (!jobs.every((j) => finished.has(j.id)) && Date.now() - started < 60_000) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const keogram = await client.call('exports.get', { jobId: jobs[0]!.id });
      const trails = await client.call('exports.get', { jobId: jobs[1]!.id });
      // 60 frames, each column widened so the keogram is viewable (at least 720 px; issue #15).
      expect(keogram).toMatchObject({ status: 'done', result: { width: 720, height: 180, frames: 60 } });
      expect(trails).toMatchObject({ status: 'done', result: { width: 320, height: 180, frames: 60 } });
      expect(keogram.result!.mediaPath).toMatch(/^exports\/night\/cam-roof\/.*-keogram\.png$/);
      expect((await sharp(keogram.result!.outputPath).metadata()).width).toBe(720);
    } finally {
      client.close();
    }
  }, 90_000);
});
