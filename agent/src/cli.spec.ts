import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthResponse } from './protocol/index.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], untilListening = false): Promise<Result & { kill?: () => void; port?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SKYSTATION_MDNS: 'off', SKYSTATION_SIM_TIME_SCALE: '0.01' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`agent did not finish: ${stderr}`));
    }, 25_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!untilListening) return;
      for (const line of stdout.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const entry = JSON.parse(line) as { event: string; port: number };
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr, port: entry.port, kill: () => child.kill('SIGTERM') });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function oneSentence(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  return lines[0]!;
}

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skystation-cli-'));
  dirs.push(d);
  return d;
}

describe('skystation-agent CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--sim-time');
  });

  it('rejects an unknown camera with exit 2 and lists the valid ones', async () => {
    const r = await run(['--camera', 'nope', '--data-dir', await tempDir()]);
    expect(r.code).toBe(2);
    const line = oneSentence(r.stderr);
    expect(line).toContain('"nope"');
    for (const name of ['simulated', 'gphoto2', 'libcamera', 'v4l2', 'auto']) expect(line).toContain(name);
  });

  it('rejects an unknown flag and a bad port with exit 2', async () => {
    const a = await run(['--frobnicate']);
    expect(a.code).toBe(2);
    expect(oneSentence(a.stderr)).toContain('--frobnicate');
    const b = await run(['--port', 'eighty']);
    expect(b.code).toBe(2);
    expect(oneSentence(b.stderr)).toContain('--port');
  });

  it('asks for --indi-server when --camera indi has none (exit 2)', async () => {
    const r = await run(['--camera', 'indi', '--data-dir', await tempDir(), '--host', '127.0.0.1', '--port', '0']);
    expect(r.code).toBe(2);
    expect(oneSentence(r.stderr)).toContain('--camera indi needs --indi-server HOST:PORT');
  });

  it('exits 1 with one sentence when the data folder is unwritable', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const r = await run(['--data-dir', join(file, 'data'), '--host', '127.0.0.1', '--port', '0']);
    expect(r.code).toBe(1);
    const line = oneSentence(r.stderr);
    expect(line).toContain('Cannot write to the data folder');
    expect(line).toContain('--data-dir');
  });

  it('exits 1 with one sentence when the port is in use', async () => {
    const blocker = createServer();
    servers.push(blocker);
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const r = await run(['--data-dir', await tempDir(), '--host', '127.0.0.1', '--port', String(port)]);
    expect(r.code).toBe(1);
    const line = oneSentence(r.stderr);
    expect(line).toContain(`Port ${port}`);
    expect(line).toContain('--port');
  });

  it('logs one "listening" JSON line with the port and url, then serves /health', async () => {
    const r = await run(
      ['--data-dir', await tempDir(), '--host', '127.0.0.1', '--port', '0', '--name', 'cli-cam', '--no-mdns'],
      true,
    );
    try {
      expect(r.port).toBeGreaterThan(0);
      const line = r.stdout.split('\n').find((l) => l.includes('"listening"'))!;
      const entry = JSON.parse(line) as { event: string; port: number; url: string };
      expect(entry).toMatchObject({ event: 'listening', port: r.port, url: `http://127.0.0.1:${r.port}` });
      const health = HealthResponse.parse(await (await fetch(`${entry.url}/health`)).json());
      expect(health.name).toBe('cli-cam');
    } finally {
      r.kill?.();
    }
  });
});
