/**
 * `skystation mark-dark`, `unmark-dark` and `captures --darks` against a real
 * headless station process with a seeded gallery (real SQLite).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapturePage } from '../../src-main/api/contract.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { ROOT, freePort, run, runToExit, waitForLine, type RunningProcess } from '../helpers/processes.js';

const headless = ['--import', 'tsx', join(ROOT, 'src-main/headless.ts')];
const cli = ['--import', 'tsx', join(ROOT, 'src-main/cli.ts')];
const AGENT = 'cam-cli-darks';

let dir: string;
let station: RunningProcess;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skys-darks-cli-'));
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const db = openDatabase(join(data, 'gallery.sqlite'));
  try {
    const repo = new CapturesRepo(db);
    for (let i = 0; i < 3; i++) {
      const capturedAt = `2025-01-10T20:0${i}:00Z`;
      repo.insert({
        agentId: AGENT,
        captureId: `c${i}`,
        seq: i + 1,
        capturedAt,
        schedule: 'night',
        profile: null,
        profileVersion: null,
        testId: null,
        variant: null,
        iso: 800,
        shutterSpeed: '10',
        settingsJson: '{}',
        lux: 0.01,
        temperatureC: 4,
        width: 16,
        height: 9,
        sizeBytes: 1,
        sha256: '0'.repeat(64),
        imagePath: `originals/${AGENT}/c${i}.jpg`,
        thumbPath: `originals/${AGENT}/c${i}.jpg`,
        importedAt: capturedAt,
      });
    }
  } finally {
    db.close();
  }
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

async function skystation(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit(process.execPath, [...cli, ...args, '--url', url], {}, 60_000);
}

async function darks(): Promise<string[]> {
  const r = await skystation('captures', '--darks', '--json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as CapturePage).items.map((c) => c.id);
}

describe('skystation mark-dark / unmark-dark / captures --darks', () => {
  it('marks, lists and unmarks dark frames; an unknown id fails with exit code 1', async () => {
    expect(await darks()).toEqual([]);

    const marked = await skystation('mark-dark', `${AGENT}/c1`, `${AGENT}/c2`);
    expect(marked.code, marked.stderr).toBe(0);
    expect(marked.stdout).toContain('2 capture(s) marked as dark frames.');
    expect((await darks()).sort()).toEqual([`${AGENT}/c1`, `${AGENT}/c2`]);

    const table = await skystation('captures');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/KIND/);
    expect(table.stdout.split('\n').filter((l) => / dark /.test(l))).toHaveLength(2);

    const partly = await skystation('unmark-dark', `${AGENT}/c1`, `${AGENT}/nope`);
    expect(partly.code).toBe(1);
    expect(partly.stdout).toContain(`Not in the gallery: ${AGENT}/nope`);
    expect(await darks()).toEqual([`${AGENT}/c2`]);

    const none = await skystation('mark-dark', 'nobody/nothing');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No capture in the gallery has the id nobody\/nothing/);

    const bad = await skystation('mark-dark', 'no-slash');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/capture id looks like/);
  }, 120_000);
});
