/**
 * Issue 12, the agent and pairing half: one test per finding (7–13) against
 * real agent processes on 127.0.0.1. Each failed on the code before the fix.
 *
 *  7  pairing attempts are counted before evaluation, per address and per agent; codes expire and serve one pairing
 *  8  the station tries TLS first: no pairing code in clear to a --tls agent
 *  9  log files are 0600 and never hold the pairing code (nor does GET /api/logs)
 * 10  revoking a token closes its open WebSockets (HTTP and CLI)
 * 11  bounded capture queue (503 camera_busy, abandoned captures dropped), capped sessions, pruned config backups
 * 12  deeply nested JSON bodies get a 4xx on every JSON route
 * 13  a forced master does not lock out the station; GET /api/connect changes nothing
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PairResponse, SessionResponse } from '../../agent/src/protocol/index.js';
import { pairWithAgent } from '../../src-main/discovery/pairing.js';
import { ROOT, runToExit, startAgentProcess } from '../helpers/processes.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: unknown;
  text: string;
}

/** One request with node:http (no pooling), optionally from another loopback source address. */
function send(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? null : Buffer.from(opts.body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...opts.headers,
        },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

const cli = (args: string[]) =>
  runToExit(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/src/cli.ts'), ...args]);

const codeOf = (body: unknown): string | undefined => {
  const b = body as { error?: { code?: string } | string; code?: string } | null;
  if (b && typeof b.error === 'object') return b.error.code;
  return b?.code;
};

function stdoutCode(agent: Agent): string {
  const line = agent.stdout.find((l) => l.includes('"event":"pairing_code"'));
  if (!line) throw new Error(`no pairing code on stdout:\n${agent.stdout.join('\n')}`);
  return (JSON.parse(line) as { code: string }).code;
}

function fileCode(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, 'auth', 'pairing.json'), 'utf8')) as { code: string }).code;
}

const wrong = (code: string, n = 1): string => String((Number(code) + n) % 1_000_000).padStart(6, '0');

const dirs: string[] = [];
const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'skys-harden-'));
  dirs.push(d);
  return d;
}

describe('pairing (findings 7 and 9)', () => {
  let agent: Agent;
  let dataDir: string;
  const pair = (code: string, localAddress?: string): Promise<Reply> =>
    send(agent.port, 'POST', '/pair', {
      body: JSON.stringify({ code, station_id: `st-${code}`, station_name: 'Test' }),
      ...(localAddress ? { localAddress } : {}),
    });

  beforeAll(async () => {
    dataDir = join(tempDir(), 'agent');
    agent = await startAgentProcess(dataDir);
    agents.push(agent);
  }, 60_000);

  it('9: keeps the pairing code out of the 0600 log files and out of GET /api/logs', async () => {
    const code = stdoutCode(agent);
    const logs = join(dataDir, 'logs');
    await expect.poll(() => readdirSync(logs).includes('agent.log'), { timeout: 10_000 }).toBe(true);
    expect(statSync(logs).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(logs)) {
      expect(statSync(join(logs, name)).mode & 0o777, name).toBe(0o600);
      expect(readFileSync(join(logs, name), 'utf8'), name).not.toContain(code);
    }
    const api = await send(agent.port, 'GET', '/api/logs?limit=500', { headers: agent.auth });
    expect(api.status).toBe(200);
    expect((api.body as { logs: unknown[] }).logs.length).toBeGreaterThan(0);
    expect(api.text).not.toContain(code);
  });

  it('7: a code serves one pairing and expires after 10 minutes with a clear message', async () => {
    const code = fileCode(dataDir);
    const first = await pair(code);
    expect(first.status).toBe(200);
    PairResponse.parse(first.body);
    const again = await pair(code);
    expect(again.status).toBe(401);
    expect(codeOf(again.body)).toBe('pairing_code_invalid');

    // The code now on file is 11 minutes old: refused as expired, and `pair` makes a fresh one.
    const next = fileCode(dataDir);
    expect(next).not.toBe(code);
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    writeFileSync(join(dataDir, 'auth', 'pairing.json'), JSON.stringify({ code: next, created_at: old }));
    const expired = await pair(next);
    expect(expired.status).toBe(401);
    expect(codeOf(expired.body)).toBe('pairing_code_expired');
    expect(JSON.stringify(expired.body)).toMatch(/skystation-agent pair/);
    const fresh = (await cli(['pair', '--data-dir', dataDir])).stdout.trim();
    expect(fresh).toMatch(/^\d{6}$/);
    expect((await pair(fresh)).status).toBe(200);
  });

  it('7: counts concurrent wrong codes before evaluating them (one address)', async () => {
    const code = fileCode(dataDir);
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => pair(wrong(code, i + 1))));
    const evaluated = replies.filter((r) => r.status === 401).length;
    const limited = replies.filter((r) => r.status === 429);
    expect(evaluated).toBeLessThanOrEqual(5);
    expect(limited.length).toBe(50 - evaluated);
    expect(codeOf(limited[0]!.body)).toBe('too_many_attempts');
    expect(Number(limited[0]!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('7: limits attempts for the whole agent, whatever the source address', async () => {
    const code = fileCode(dataDir);
    const addresses = Array.from({ length: 30 }, (_, i) => `127.0.0.${i + 2}`);
    const replies = await Promise.all(
      addresses.map(async (addr) => {
        const out: Reply[] = [];
        for (let i = 0; i < 5; i++) out.push(await pair(wrong(code, 100 + i), addr));
        return out;
      }),
    );
    const all = replies.flat();
    expect(all.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    // 20 attempts in 10 minutes for the whole agent (a few were spent by the tests above).
    expect(all.filter((r) => r.status === 401).length).toBeLessThanOrEqual(20);
    const blocked = await pair(code, '127.0.0.99');
    expect(blocked.status).toBe(429);
    expect(JSON.stringify(blocked.body)).toMatch(/this camera/);
    // The operator makes a new code on the camera: guesses at the old one no longer count against it.
    const renewed = (await cli(['pair', '--new', '--data-dir', dataDir])).stdout.trim();
    expect(renewed).toMatch(/^\d{6}$/);
    expect((await pair(renewed, '127.0.0.100')).status).toBe(200);
  }, 60_000);
});

describe('the station pairs over TLS first (finding 8)', () => {
  let proxy: Server | null = null;
  afterAll(() => proxy?.close());

  it('sends nothing but a TLS handshake to a --tls agent when the address has no scheme', async () => {
    const agent = await startAgentProcess(join(tempDir(), 'agent'), ['--tls']);
    agents.push(agent);
    const code = stdoutCode(agent);
    // A TCP relay in front of the agent records the first byte of every connection the station opens.
    const firstBytes: number[] = [];
    proxy = createServer((client: Socket) => {
      const upstream = connect(agent.port, '127.0.0.1');
      let seen = false;
      client.on('data', (d: Buffer) => {
        if (!seen) firstBytes.push(d[0]!);
        seen = true;
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    const port = await new Promise<number>((resolve) => {
      proxy!.listen(0, '127.0.0.1', () => resolve((proxy!.address() as { port: number }).port));
    });
    const station = { id: 'b7f3c2a0-0000-4000-8000-0000000000c8', name: 'TLS-first test' };
    const r = await pairWithAgent({ host: '127.0.0.1', port }, { code, station });
    expect(r.tls).toBe(true);
    expect(firstBytes.length).toBeGreaterThan(0);
    // 0x16 starts a TLS handshake record; 'P' (0x50) would be "POST /pair" in clear.
    expect(firstBytes.every((b) => b === 0x16)).toBe(true);
  }, 60_000);
});

describe('agent limits, revocation and roles (findings 10–13)', () => {
  let agent: Agent;
  let dataDir: string;
  const auth = (extra: Record<string, string> = {}): Record<string, string> => ({ ...agent.auth, ...extra });

  beforeAll(async () => {
    dataDir = join(tempDir(), 'agent');
    // Simulated exposures take a tenth of their shutter time: a 20 s exposure holds the camera for 2 s.
    agent = await startAgentProcess(dataDir, ['--sim-resolution', '320x180'], { SKYSTATION_SIM_TIME_SCALE: '0.1' });
    agents.push(agent);
  }, 60_000);

  async function pairStation(id: string): Promise<{ token: string; tokenId: string }> {
    const code = fileCode(dataDir);
    const r = await send(agent.port, 'POST', '/pair', {
      body: JSON.stringify({ code, station_id: id, station_name: id }),
    });
    expect(r.status).toBe(200);
    const token = PairResponse.parse(r.body).token;
    const list = await send(agent.port, 'GET', '/pair/tokens', { headers: auth() });
    const tokenId = (list.body as { tokens: { id: string; station_id: string }[] }).tokens.find(
      (t) => t.station_id === id,
    )!.id;
    return { token, tokenId };
  }

  function openWs(path: string, token: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.port}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  const connections = async (): Promise<number> =>
    SessionResponse.parse((await send(agent.port, 'GET', '/api/session', { headers: auth() })).body).connections;

  it('10: revoking a token over HTTP closes its open preview and event streams', async () => {
    const { token, tokenId } = await pairStation('revoke-http');
    const events = await openWs('/events', token);
    const preview = await openWs('/preview', token);
    expect(await connections()).toBe(2);
    const del = await send(agent.port, 'DELETE', `/pair/tokens/${tokenId}`, { headers: auth() });
    expect(del.status).toBe(200);
    await expect
      .poll(() => [events.readyState, preview.readyState], { timeout: 10_000 })
      .toEqual([WebSocket.CLOSED, WebSocket.CLOSED]);
    await expect.poll(connections, { timeout: 10_000 }).toBe(0);
  });

  it('10: revoking a token with the CLI while the agent runs closes its streams too', async () => {
    const { token, tokenId } = await pairStation('revoke-cli');
    const events = await openWs('/events', token);
    expect((await cli(['tokens', 'revoke', tokenId, '--data-dir', dataDir])).code).toBe(0);
    await expect.poll(() => events.readyState, { timeout: 15_000 }).toBe(WebSocket.CLOSED);
    await expect.poll(connections, { timeout: 10_000 }).toBe(0);
  });

  it('11: bounds the capture queue (503 camera_busy + Retry-After) and drops captures whose client left', async () => {
    const total = async (): Promise<number> =>
      ((await send(agent.port, 'GET', '/status', { headers: auth() })).body as { captures: { total: number } }).captures
        .total;
    const before = await total();
    const body = (shutter: string): string => JSON.stringify({ iso: 100, shutter_speed: shutter });
    const long = send(agent.port, 'POST', '/capture', { headers: auth(), body: body('20') });
    await expect
      .poll(
        async () =>
          ((await send(agent.port, 'GET', '/status', { headers: auth() })).body as { camera: { state: string } }).camera
            .state,
        { timeout: 10_000, interval: 20 },
      )
      .toBe('busy');
    // Twenty quick captures behind it; their clients give up once the refusals are in.
    const answers: Reply[] = [];
    const requests = Array.from({ length: 20 }, () => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: agent.port,
        method: 'POST',
        path: '/capture',
        agent: false,
        headers: { ...auth(), 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          answers.push({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text), text });
        });
        res.on('error', () => undefined);
      });
      req.on('error', () => undefined);
      req.end(body('1/1000'));
      return req;
    });
    await expect.poll(() => answers.length, { timeout: 15_000 }).toBe(16);
    expect(answers.every((a) => a.status === 503 && codeOf(a.body) === 'camera_busy')).toBe(true);
    expect(Number(answers[0]!.headers['retry-after'])).toBeGreaterThan(0);
    for (const req of requests) req.destroy();
    expect((await long).status).toBe(200);
    // The camera is free as soon as the long exposure ends: the four abandoned captures were dropped.
    await expect
      .poll(async () => (await send(agent.port, 'POST', '/api/connect', { headers: auth() })).status, {
        timeout: 10_000,
      })
      .toBe(200);
    expect(await total()).toBe(before + 1);
    expect(agent.stdout.filter((l) => l.includes('"event":"capture.dropped"'))).toHaveLength(4);
  }, 60_000);

  it('11: keeps at most 256 sessions however many ids clients invent', async () => {
    for (let batch = 0; batch < 30; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send(agent.port, 'GET', '/health', {
            headers: auth({ 'x-skystation-session': `flood-${batch}-${i}-session` }),
          }),
        ),
      );
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send(agent.port, 'GET', '/status', {
            headers: auth({ 'x-skystation-session': `flood-${batch}-${i}-session` }),
          }),
        ),
      );
    }
    const view = SessionResponse.parse((await send(agent.port, 'GET', '/api/session', { headers: auth() })).body);
    expect(view.sessions).toBeLessThanOrEqual(256);
    expect(view.sessions).toBeGreaterThan(100);
  }, 60_000);

  it('11: keeps only the newest config backups (20 by default, backups.keep otherwise)', async () => {
    const backups = join(dataDir, 'config.backups');
    const put = (doc: unknown): Promise<Reply> =>
      send(agent.port, 'PUT', '/api/config', { headers: auth(), body: JSON.stringify(doc) });
    for (let i = 0; i < 26; i++) expect((await put({ status: { interval_seconds: 30 + i } })).status).toBe(200);
    expect(readdirSync(backups)).toHaveLength(20);
    expect((await put({ backups: { keep: 3 } })).status).toBe(200);
    expect((await put({ status: { interval_seconds: 30 } })).status).toBe(200);
    expect(readdirSync(backups)).toHaveLength(3);
    const listed = await send(agent.port, 'GET', '/api/config/backups', { headers: auth() });
    expect((listed.body as { backups: unknown[] }).backups).toHaveLength(3);
  }, 60_000);

  it('12: answers deeply nested JSON with 400 on every JSON route and changes nothing', async () => {
    const arrays = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const objects = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const configFile = join(dataDir, 'agent.yaml');
    const readConfig = (): string => {
      try {
        return readFileSync(configFile, 'utf8');
      } catch {
        return '';
      }
    };
    const config = readConfig();
    const routes: [string, string, boolean][] = [
      ['PUT', '/api/config', true],
      ['POST', '/capture', true],
      ['POST', '/profile/deploy', true],
      ['POST', '/captures/ack', true],
      ['POST', '/clock', true],
      ['PUT', '/api/camera/settings', true],
      ['POST', '/api/capture/start', true],
      ['POST', '/pair', false],
    ];
    for (const [method, path, authed] of routes) {
      for (const body of [arrays, objects]) {
        const r = await send(agent.port, method, path, { headers: authed ? auth() : {}, body });
        expect(r.status, `${method} ${path}`).toBe(400);
        expect(codeOf(r.body), `${method} ${path}`).toBe('json_too_deep');
      }
    }
    expect(readConfig()).toBe(config);
    expect((await send(agent.port, 'GET', '/health')).status).toBe(200);
  });

  it('13: a forced master does not lock the station out; an observer GET /api/connect changes nothing', async () => {
    const master = 'forcing-session-0001';
    const observer = 'observer-session-0002';
    const forced = await send(agent.port, 'POST', `/api/force-master/${master}`, {
      headers: auth({ 'x-skystation-session': master }),
    });
    expect(forced.status).toBe(200);
    // The station sends no session header: it is the owner.
    const shot = await send(agent.port, 'POST', '/capture', {
      headers: auth(),
      body: JSON.stringify({ iso: 100, shutter_speed: '1/1000' }),
    });
    expect(shot.status).toBe(200);
    const deploy = await send(agent.port, 'POST', '/profile/deploy', {
      headers: auth(),
      body: JSON.stringify({ profile_id: 'owner_test', version: '1.0.0', settings: { base: { metering_mode: 1 } } }),
    });
    expect(deploy.status).toBe(200);
    // Viewers still obey roles.
    const denied = await send(agent.port, 'POST', '/capture', {
      headers: auth({ 'x-skystation-session': observer }),
      body: JSON.stringify({ iso: 100, shutter_speed: '1/1000' }),
    });
    expect(denied.status).toBe(403);
    expect(codeOf(denied.body)).toBe('not_master');

    const reconnects = (): number => agent.stdout.filter((l) => l.includes('"event":"camera.reconnect"')).length;
    const seen = reconnects();
    const get = await send(agent.port, 'GET', '/api/connect', { headers: auth({ 'x-skystation-session': observer }) });
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    expect(get.text).toMatch(/POST/);
    const post = await send(agent.port, 'POST', '/api/connect', {
      headers: auth({ 'x-skystation-session': observer }),
    });
    expect(post.status).toBe(403);
    expect(reconnects()).toBe(seen);
  });
});
