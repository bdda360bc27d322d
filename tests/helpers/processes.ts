import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..', '..');

/**
 * A simulated agent's clock at the default location's midnight. Tests that need big, noisy frames (ISO 25600) start
 * their agent with it: at the real time of day the same settings give a blown-out daylight frame a tenth the size,
 * so a test run in the afternoon would measure other files than one run at night.
 */
export const SIM_MIDNIGHT = ['--sim-time', '2026-01-15T07:00:00Z'] as const;

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start a program and keep its output for failure messages. */
export function run(command: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, SKYSTATION_MDNS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => stdout.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  return {
    child,
    stdout,
    stderr,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        child.kill(signal);
      }),
  };
}

/** Wait for a line of output matching `re`, or fail with what the process printed. */
export async function waitForLine(p: RunningProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const hit = p.stdout.find((l) => re.test(l)) ?? p.stderr.find((l) => re.test(l));
    if (hit) return hit;
    if (p.child.exitCode !== null) {
      throw new Error(
        `process exited (${p.child.exitCode}) before printing ${re}:\n${[...p.stdout, ...p.stderr].join('\n')}`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${re}:\n${[...p.stdout, ...p.stderr].join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Run to completion and return exit code and output. */
export async function runToExit(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = run(command, args, env);
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    p.child.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}

/**
 * Start a real agent process (TypeScript source through tsx) on 127.0.0.1 with a free port.
 * `token` is its admin token (read from <dataDir>/auth/admin.token): send it as
 * `Authorization: Bearer <token>`, or use `auth` as ready-made headers.
 */
export async function startAgentProcess(
  dataDir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningProcess & { port: number; token: string; auth: { authorization: string } }> {
  const p = run(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'agent/src/cli.ts'),
      '--camera',
      'simulated',
      '--data-dir',
      dataDir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--no-mdns',
      ...extra,
    ],
    { SKYSTATION_SIM_TIME_SCALE: '0.01', ...env },
  );
  const line = await waitForLine(p, /"event":"listening"/);
  const port = (JSON.parse(line) as { port: number }).port;
  const token = readFileSync(join(resolve(ROOT, dataDir), 'auth', 'admin.token'), 'utf8').trim();
  return Object.assign(p, { port, token, auth: { authorization: `Bearer ${token}` } });
}

export async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}
