/**
 * Station login (issue #5). Bound off loopback the headless station requires
 * the operator's password; this test stays on 127.0.0.1 and forces the same
 * code path with `--require-login` (no network namespace needed).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../../src-main/cli/main.js';
import { ROOT, run, runToExit, waitForLine, type RunningProcess } from '../helpers/processes.js';

const HEADLESS = join(ROOT, 'src-main/headless.ts');
const PASSWORD = 'correct horse battery';

function startHeadless(dataDir: string, env: Record<string, string>): RunningProcess {
  return run(
    process.execPath,
    ['--import', 'tsx', HEADLESS, '--data-dir', dataDir, '--port', '0', '--embedded-agent', 'never', '--require-login'],
    { SKYSTATION_PASSWORD: '', ...env },
  );
}

async function urlOf(p: RunningProcess): Promise<string> {
  const line = await waitForLine(p, /Skystation is running at/, 60_000);
  return /running at (\S+)/.exec(line)![1]!;
}

function wsStatus(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/ws`, { headers });
    ws.once('open', () => {
      ws.send(JSON.stringify({ id: 1, method: 'health', params: {} }));
      ws.once('message', () => {
        ws.close();
        resolve('open');
      });
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('login when the station is served beyond loopback (--require-login)', () => {
  let dir: string;
  const procs: RunningProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-login-'));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start without a password and says how to set one', async () => {
    const r = await runToExit(
      process.execPath,
      [
        '--import',
        'tsx',
        HEADLESS,
        '--data-dir',
        join(dir, 'none'),
        '--port',
        '0',
        '--embedded-agent',
        'never',
        '--require-login',
      ],
      { SKYSTATION_PASSWORD: '' },
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/skystation password set/);
  });

  it('stores the password set with "skystation password set" as an scrypt hash', async () => {
    process.env['SKYSTATION_PASSWORD'] = PASSWORD;
    try {
      const lines: string[] = [];
      expect(await runCli(['password', 'set', '--data-dir', join(dir, 'a')], (l) => lines.push(l))).toBe(0);
    } finally {
      delete process.env['SKYSTATION_PASSWORD'];
    }
    const file = join(dir, 'a', 'auth', 'password.json');
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(JSON.parse(text)).toMatchObject({ algorithm: 'scrypt', N: 16384 });
  });

  it('needs a session for every request and the WebSocket, except the login page', async () => {
    const p = startHeadless(join(dir, 'a'), {});
    procs.push(p);
    const url = await urlOf(p);

    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const login = await fetch(`${url}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="password"');
    for (const path of ['/api/health', '/status', '/health', '/metrics', '/media/x.jpg']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(401);
    }
    expect(await wsStatus(url, {})).toBe(401);

    const wrong = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'not the password' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const ok = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(ok.status).toBe(303);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^skystation_session=[\w-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = setCookie.split(';')[0]!;

    const health = await fetch(`${url}/api/health`, { headers: { cookie } });
    expect(health.status).toBe(200);
    expect((await fetch(`${url}/status`, { headers: { cookie } })).status).toBe(200);
    expect(await wsStatus(url, { cookie })).toBe('open');
    expect(await wsStatus(url, { cookie: 'skystation_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).toBe(401);

    // The command line logs in with SKYSTATION_PASSWORD.
    const wsUrl = `${url.replace(/^http/, 'ws')}/api/ws`;
    const lines: string[] = [];
    expect(await runCli(['location', '--url', wsUrl], (l) => lines.push(l))).not.toBe(0);
    process.env['SKYSTATION_PASSWORD'] = PASSWORD;
    try {
      expect(await runCli(['location', '--url', wsUrl, '--json'], (l) => lines.push(l))).toBe(0);
      expect(lines.at(-1)).toBe('null');
    } finally {
      delete process.env['SKYSTATION_PASSWORD'];
    }

    const out = await fetch(`${url}/api/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect((await fetch(`${url}/api/health`, { headers: { cookie } })).status).toBe(401);
  }, 90_000);

  it('takes the password from SKYSTATION_PASSWORD on a first non-interactive start', async () => {
    const p = startHeadless(join(dir, 'b'), { SKYSTATION_PASSWORD: PASSWORD });
    procs.push(p);
    const url = await urlOf(p);
    const ok = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(ok.status).toBe(200);
    expect(existsSync(join(dir, 'b', 'auth', 'password.json'))).toBe(true);
  }, 90_000);
});
