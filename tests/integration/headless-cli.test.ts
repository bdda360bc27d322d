import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, run, runToExit, waitForLine } from '../helpers/processes.js';

const headless = ['--import', 'tsx', join(ROOT, 'src-main/headless.ts')];

describe('the headless station command', () => {
  let dir: string;
  let blocker: Server;
  let busyPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-cli-'));
    busyPort = await freePort();
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(busyPort, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => blocker.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown flag with one sentence and exit code 2', async () => {
    const r = await runToExit(process.execPath, [...headless, '--colour', 'red']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/colour/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('says the port is in use and exits non-zero', async () => {
    const r = await runToExit(process.execPath, [
      ...headless,
      '--data-dir',
      join(dir, 'busy'),
      '--port',
      String(busyPort),
      '--embedded-agent',
      'never',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Port ${busyPort}.*already in use`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('says the data folder is unwritable and exits non-zero', async () => {
    const r = await runToExit(process.execPath, [...headless, '--data-dir', '/proc/skystation', '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write to its data folder/);
  });

  it('starts, serves /api/health, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const p = run(process.execPath, [
      ...headless,
      '--data-dir',
      join(dir, 'ok'),
      '--port',
      String(port),
      '--embedded-agent',
      'never',
    ]);
    const line = await waitForLine(p, /Skystation is running at/);
    expect(line).toContain(`http://127.0.0.1:${port}`);
    const res = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { status: string; agents: number } };
    expect(body.result).toMatchObject({ status: 'ok', agents: 0 });
    expect(await p.stop()).toBe(0);
  });

  it('keeps its data in SKYSTATION_DATA_DIR when no --data-dir is given', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'from-env');
    const p = run(process.execPath, [...headless, '--port', String(port), '--embedded-agent', 'never'], {
      SKYSTATION_DATA_DIR: dataDir,
    });
    await waitForLine(p, /Skystation is running at/);
    expect(existsSync(join(dataDir, 'gallery.sqlite'))).toBe(true);
    expect(await p.stop()).toBe(0);
  });
});
