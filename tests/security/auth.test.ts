/**
 * Pairing and tokens against a real agent process (issue 4): the pairing code,
 * POST /pair, rate limiting, hashed storage, revocation (HTTP and CLI) and
 * the token check on HTTP and WebSocket.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { ErrorResponse, PairResponse } from '../../agent/src/protocol/index.js';
import { ROOT, runToExit, startAgentProcess, waitForLine } from '../helpers/processes.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;

const cli = (args: string[]) =>
  runToExit(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/src/cli.ts'), ...args]);

describe('agent pairing and tokens', () => {
  let dir: string;
  let dataDir: string;
  let agent: Agent;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-auth-'));
    dataDir = join(dir, 'agent');
    agent = await startAgentProcess(dataDir);
    base = `http://127.0.0.1:${agent.port}`;
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: string,
    path: string,
    opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? agent.token : opts.token;
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  }

  const errorCode = (body: unknown): string => ErrorResponse.parse(body).error.code;

  it('prints its pairing code on stdout, and `pair` prints the same code', async () => {
    const line = await waitForLine(agent, /"event":"pairing_code"/);
    const logged = (JSON.parse(line) as { code: string }).code;
    expect(logged).toMatch(/^\d{6}$/);
    const printed = await cli(['pair', '--data-dir', dataDir]);
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(logged);
  }, 90_000);

  it('`token` prints the admin token, kept in a 0600 file', async () => {
    const printed = await cli(['token', '--data-dir', dataDir]);
    expect(printed.stdout.trim()).toBe(agent.token);
    expect(agent.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(dataDir, 'auth', 'admin.token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'auth')).mode & 0o777).toBe(0o700);
  });

  it('leaves /health open and asks for a token everywhere else', async () => {
    expect((await call('GET', '/health', { token: null })).status).toBe(200);
    const missing = await call('GET', '/status', { token: null });
    expect(missing.status).toBe(401);
    expect(errorCode(missing.body)).toBe('auth_required');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await call('GET', '/status', { token: 'A'.repeat(43) });
    expect(wrong.status).toBe(401);
    expect(errorCode(wrong.body)).toBe('auth_invalid');
    const malformed = await call('GET', '/status', { token: null, headers: { authorization: 'Basic dXNlcjpwdw==' } });
    expect(errorCode(malformed.body)).toBe('auth_invalid');
    const capture = await call('POST', '/capture', { token: null, body: { iso: 100, shutter_speed: '1/1000' } });
    expect(capture.status).toBe(401);
    expect((await call('GET', '/status')).status).toBe(200);
  });

  it('pairs a station with the right code; the token works and is stored only as a hash', async () => {
    const code = (await cli(['pair', '--data-dir', dataDir])).stdout.trim();
    const wrongCode = code === '000000' ? '000001' : '000000';
    const bad = await call('POST', '/pair', {
      token: null,
      body: { code: wrongCode, station_id: 'st-1', station_name: 'Laptop' },
    });
    expect(bad.status).toBe(401);
    expect(errorCode(bad.body)).toBe('pairing_code_invalid');

    const ok = await call('POST', '/pair', { token: null, body: { code, station_id: 'st-1', station_name: 'Laptop' } });
    expect(ok.status).toBe(200);
    const paired = PairResponse.parse(ok.body);
    expect(Object.keys(ok.body as object).sort()).toEqual(['agent_id', 'agent_name', 'tls_fingerprint', 'token']);
    expect(paired.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(paired.tls_fingerprint).toBeNull();
    const health = (await call('GET', '/health', { token: null })).body as { id: string; name: string };
    expect(paired.agent_id).toBe(health.id);
    expect(paired.agent_name).toBe(health.name);

    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: paired.token });
    expect((await client.status()).id).toBe(health.id);

    const file = join(dataDir, 'auth', 'tokens.json');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(paired.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(text) as { tokens: { station_id: string; sha256: string }[] };
    expect(stored.tokens).toHaveLength(1);
    expect(stored.tokens[0]).toMatchObject({ station_id: 'st-1' });
    expect(stored.tokens[0]!.sha256).toMatch(/^[a-f0-9]{64}$/);

    // A paired station may not manage tokens; the admin may.
    expect(errorCode((await call('GET', '/pair/tokens', { token: paired.token })).body)).toBe('admin_required');
    const list = (await call('GET', '/pair/tokens')).body as { tokens: { id: string; station_name: string }[] };
    expect(list.tokens.map((t) => t.station_name)).toEqual(['Laptop']);
    const id = list.tokens[0]!.id;
    expect((await call('DELETE', `/pair/tokens/${id}`, { token: paired.token })).status).toBe(403);
    expect((await call('DELETE', `/pair/tokens/${id}`)).status).toBe(200);
    expect(errorCode((await call('DELETE', `/pair/tokens/${id}`)).body)).toBe('token_not_found');
    const revoked = await call('GET', '/status', { token: paired.token });
    expect(revoked.status).toBe(401);
    expect(errorCode(revoked.body)).toBe('auth_invalid');
  });

  it('revokes a token with the CLI while the agent runs', async () => {
    const code = (await cli(['pair', '--data-dir', dataDir])).stdout.trim();
    const ok = await call('POST', '/pair', { token: null, body: { code, station_id: 'st-2', station_name: 'Desk' } });
    const token = PairResponse.parse(ok.body).token;
    expect((await call('GET', '/status', { token })).status).toBe(200);
    const listed = await cli(['tokens', 'list', '--data-dir', dataDir, '--json']);
    const tokens = JSON.parse(listed.stdout) as { id: string; station_id: string; last_used_at: string | null }[];
    const mine = tokens.find((t) => t.station_id === 'st-2')!;
    expect(mine).toBeDefined();
    expect(JSON.stringify(tokens)).not.toContain(token);
    const revoke = await cli(['tokens', 'revoke', mine.id, '--data-dir', dataDir]);
    expect(revoke.code).toBe(0);
    // The agent reloads the token file when it changes (checked at most every 500 ms).
    await expect.poll(async () => (await call('GET', '/status', { token })).status, { timeout: 5_000 }).toBe(401);
    const unknown = await cli(['tokens', 'revoke', mine.id, '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No token/);
  }, 90_000);

  it('rate-limits wrong pairing codes per address with 429 and Retry-After', async () => {
    const code = (await cli(['pair', '--data-dir', dataDir])).stdout.trim();
    const wrongCode = code === '999999' ? '999998' : '999999';
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | null = null;
    // One wrong code was sent earlier in this file; five in a minute are allowed.
    for (let i = 0; i < 6; i++) {
      last = await call('POST', '/pair', {
        token: null,
        body: { code: wrongCode, station_id: 'st-x', station_name: 'Guess' },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    expect(errorCode(last!.body)).toBe('too_many_attempts');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right code is refused while blocked.
    const right = await call('POST', '/pair', { token: null, body: { code, station_id: 'st-x', station_name: 'X' } });
    expect(right.status).toBe(429);
  }, 90_000);

  it('checks the token on WebSocket upgrades (header or ?access_token=)', async () => {
    const url = `ws://127.0.0.1:${agent.port}/events`;
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('opened without a token')));
      ws.on('error', () => undefined);
    });
    expect(refused.status).toBe(401);
    expect(errorCode(JSON.parse(refused.body))).toBe('auth_required');

    for (const ws of [
      new WebSocket(url, { headers: { authorization: `Bearer ${agent.token}` } }),
      new WebSocket(`${url}?access_token=${agent.token}`),
    ]) {
      const hello = await new Promise<string>((resolve, reject) => {
        ws.once('message', (d: Buffer) => resolve(d.toString('utf8')));
        ws.once('error', reject);
      });
      expect(JSON.parse(hello)).toMatchObject({ type: 'hello' });
      ws.close();
    }
  });
});

describe('agent admin token seeding and code renewal', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-auth-seed-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes its admin token from SKYSTATION_AGENT_ADMIN_TOKEN and refuses a malformed one', async () => {
    const seeded = 'seeded_admin_token_0123456789abcdefghijklmno';
    const agent = await startAgentProcess(join(dir, 'a'), [], { SKYSTATION_AGENT_ADMIN_TOKEN: seeded });
    try {
      expect(agent.token).toBe(seeded);
      const res = await fetch(`http://127.0.0.1:${agent.port}/status`, {
        headers: { authorization: `Bearer ${seeded}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await agent.stop();
    }
    const bad = await runToExit(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'agent/src/cli.ts'), '--data-dir', join(dir, 'b'), '--port', '0', '--no-mdns'],
      { SKYSTATION_AGENT_ADMIN_TOKEN: 'short' },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/SKYSTATION_AGENT_ADMIN_TOKEN must be/);
  }, 90_000);

  it('`pair --new` replaces the code; the old one stops working', async () => {
    const dataDir = join(dir, 'c');
    const agent = await startAgentProcess(dataDir);
    try {
      const old = (await cli(['pair', '--data-dir', dataDir])).stdout.trim();
      const renewed = (await cli(['pair', '--new', '--data-dir', dataDir])).stdout.trim();
      expect(renewed).toMatch(/^\d{6}$/);
      const pair = (code: string) =>
        fetch(`http://127.0.0.1:${agent.port}/pair`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code, station_id: 'st-new', station_name: 'New' }),
        });
      if (renewed !== old) expect((await pair(old)).status).toBe(401);
      expect((await pair(renewed)).status).toBe(200);
    } finally {
      await agent.stop();
    }
  }, 90_000);
});
