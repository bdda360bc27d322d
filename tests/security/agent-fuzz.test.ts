/**
 * Fuzzing the agent's HTTP and WebSocket boundaries (issue 12): malformed
 * requests sent as raw bytes (seeded mutations of methods, paths, headers,
 * framing and bodies) and raw malformed WebSocket frames written with
 * node:net after a valid handshake on /events and /preview: unmasked client
 * frames, RSV bits, reserved opcodes, invalid UTF-8, fragmented or oversized
 * control frames, bad close codes, 64-bit lengths, payloads over the limit.
 *
 * Asserts: the agent stays alive, never answers 5xx, every protocol error
 * ends the WebSocket (with a close code where one is due), nothing changes
 * (captures, deployment, tokens, roles, files), every connection slot comes
 * back, and its file descriptors (/proc/PID/fd) and RSS return near where
 * they started. Bounded: a few hundred requests, about a minute here.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PairResponse, type DeploymentBundle } from '../../agent/src/protocol/index.js';
import { startAgentProcess } from '../helpers/processes.js';
import { snapshotFiles as snapshotUnder, wsFrame } from './wire.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RawAnswer {
  status: number;
  body: string;
  closedWithoutAnswer: boolean;
}

/** Writes raw bytes, reads the status line and what follows until the server closes or `ms` pass. */
function rawHttp(port: number, bytes: Buffer, ms = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      const end = all.indexOf('\r\n\r\n');
      resolve({
        status: m ? Number(m[1]) : 0,
        body: end >= 0 ? all.slice(end + 4) : '',
        closedWithoutAnswer: m === null,
      });
    };
    const timer = setTimeout(finish, ms);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // connection: close on every request, so the answer is complete when the server ends it.
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
    socket.write(bytes, () => undefined);
  });
}

function httpBytes(method: string, path: string, headers: [string, string][], body: Buffer | null): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

// ---------------------------------------------------------------- raw WebSocket frames

const closePayload = (code: number, reason = ''): Buffer => {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
};

interface WsOutcome {
  upgraded: boolean;
  /** The close code the agent sent, if it sent a close frame. */
  closeCode: number | null;
  /** Whether the agent ended the connection within the wait. */
  ended: boolean;
}

/** Finds a close frame among the server's (unmasked) frames; null if none (yet). */
function serverCloseCode(data: Buffer): number | null | 'none' {
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = data[i]! & 0x0f;
    let len = data[i + 1]! & 0x7f;
    let off = i + 2;
    if (len === 126) {
      if (off + 2 > data.length) return 'none';
      len = data.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (off + 8 > data.length) return 'none';
      len = Number(data.readBigUInt64BE(off));
      off += 8;
    }
    if (off + len > data.length) return 'none';
    if (opcode === 0x8) return len >= 2 ? data.readUInt16BE(off) : null;
    i = off + len;
  }
  return 'none';
}

/** A valid handshake with raw bytes, then `bytes` (a malformed frame); waits for the agent to end it. */
function rawWs(port: number, path: string, token: string, bytes: Buffer | null, waitMs = 5_000): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let after = Buffer.alloc(0);
    let done = false;
    const finish = (ended: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const code = serverCloseCode(after);
      resolve({ upgraded, closeCode: code === 'none' ? null : code, ended });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('data', (d: Buffer) => {
      if (!upgraded) {
        buf = Buffer.concat([buf, d]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = /^HTTP\/1\.1 101/.test(buf.toString('latin1'));
        after = buf.subarray(end + 4);
        if (!upgraded) return finish(true);
        if (bytes) socket.write(bytes);
        else socket.destroy();
        return;
      }
      // Keep only the tail for the close frame: preview frames are large.
      after = Buffer.concat([after, d]);
      if (after.length > 4_000_000) after = after.subarray(after.length - 1_000_000);
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${token}\r\n\r\n`,
    );
  });
}

/** Starts a capture download, reads its first bytes and hangs up; resolves with the status it saw. */
function abortedDownload(port: number, path: string, token: string, range: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let status = 0;
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.once('data', (d: Buffer) => {
      status = Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0);
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(status);
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${range ? `Range: ${range}\r\n` : ''}\r\n`,
    );
  });
}

// ---------------------------------------------------------------- process measurements

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function fdKinds(pid: number): string {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`)
        .replace(/\[\d+\]$/, '')
        .replace(/^\/.*/, 'file');
    } catch {
      continue;
    }
    kinds[target] = (kinds[target] ?? 0) + 1;
  }
  return JSON.stringify(kinds);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** The lowest RSS seen over a few seconds of quiet: the garbage collector's timing is noise, a leak is not. */
async function settledRss(pid: number, ms = 4_000): Promise<number> {
  let low = rssMb(pid);
  for (let t = 0; t < ms; t += 250) {
    await new Promise((r) => setTimeout(r, 250));
    low = Math.min(low, rssMb(pid));
  }
  return low;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every file under the data folder except the journal's database files and the logs, with a hash. */
const snapshotFiles = (dir: string): Record<string, string> =>
  snapshotUnder(dir, (name, isDir) => (isDir ? name === 'logs' : /journal\.sqlite/.test(name)));

const BUNDLE: DeploymentBundle = {
  profile_id: 'agent_fuzz',
  version: '1.0.0',
  settings: { base: { metering_mode: 1, ev_compensation: 0.3, awb_mode: 1 } },
};

describe('fuzzing the agent over HTTP and raw WebSocket frames', () => {
  let dir: string;
  let dataDir: string;
  let agent: Agent;
  let pid: number;
  let stationToken: string;
  let captureId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-agent-fuzz-'));
    dataDir = join(dir, 'agent');
    // Full-size simulated captures (1920x1080), so a download is still streaming when its client hangs up.
    agent = await startAgentProcess(dataDir);
    pid = agent.child.pid!;
    const base = `http://127.0.0.1:${agent.port}`;
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { ...agent.auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await post('/profile/deploy', BUNDLE);
    captureId = ((await post('/capture', { iso: 100, shutter_speed: '1/1000' })) as { capture_id: string }).capture_id;
    const code = (JSON.parse(readFileSync(join(dataDir, 'auth', 'pairing.json'), 'utf8')) as { code: string }).code;
    const paired = await fetch(`${base}/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, station_id: 'fuzz-station', station_name: 'Fuzz' }),
    });
    stationToken = PairResponse.parse(await paired.json()).token;
    // Warm up what loads on first use (ws, the preview producer) so it is not counted as growth.
    for (const path of ['/events', '/preview']) {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.port}${path}`, { headers: agent.auth });
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('error', reject);
      });
      ws.close();
      await new Promise((r) => ws.once('close', r));
    }
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function state(): Promise<unknown> {
    const get = async (path: string): Promise<unknown> =>
      (await fetch(`http://127.0.0.1:${agent.port}${path}`, { headers: agent.auth })).json();
    const status = (await get('/status')) as { captures: { total: number }; deployed_profile: unknown };
    const tokens = (await get('/pair/tokens')) as { tokens: { id: string }[] };
    const session = (await get('/api/session')) as { master_session_id: unknown; forced: unknown };
    return {
      captures: status.captures.total,
      deployed: status.deployed_profile,
      tokens: tokens.tokens.map((t) => t.id),
      master: session.master_session_id,
      forced: session.forced,
      files: snapshotFiles(dataDir),
    };
  }

  const connections = async (): Promise<number> =>
    (
      (await (await fetch(`http://127.0.0.1:${agent.port}/api/session`, { headers: agent.auth })).json()) as {
        connections: number;
      }
    ).connections;

  it('survives malformed HTTP and raw WebSocket frames: no 5xx, no change, descriptors and memory back', async () => {
    const before = await state();
    const logLinesBefore = agent.stdout.length;
    const fdStart = fdCount(pid);
    const fdKindsStart = fdKinds(pid);
    const rssStart = rssMb(pid);
    const port = agent.port;
    const rand = prng(12_062_026);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const started = Date.now();

    // ---- 1. HTTP: seeded mutations. Authenticated requests only ever carry malformed input.
    const paths = [
      '/status',
      '/capture',
      '/captures',
      '/captures/ack',
      '/captures/x/file',
      '/profile/deploy',
      '/pair',
      '/pair/tokens',
      '/pair/tokens/tok_000000000000',
      '/api/session',
      '/api/force-master/%00%00',
      '/api/connect',
      '/api/config',
      '/api/config/backups/..%2F..%2Fagent.yaml/restore',
      '/api/captures/..%2Fjournal.sqlite',
      '/api/capture/start',
      '/api/camera/settings',
      '/api/logs?limit=-1',
      '/clock',
      '/plan',
      '/events',
      '/preview',
      '//',
      '/%ff%fe',
      '/status/../../etc/passwd',
      `/${'a/'.repeat(2000)}`,
      `/captures?after=${'9'.repeat(400)}&limit=1e9`,
      '*',
      'http://attacker.example/status',
    ];
    const methods = [
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'HEAD',
      'OPTIONS',
      'PATCH',
      'get',
      'BREW',
      'G\tET',
      'M'.repeat(300),
    ];
    const auths: [string, string][][] = [
      [],
      [['authorization', `Bearer ${agent.token}`]],
      [['authorization', `Bearer ${stationToken}`]],
      [['authorization', `Bearer ${'A'.repeat(43)}`]],
      [['authorization', `Bearer ${'x'.repeat(9000)}`]],
      [['authorization', 'Basic YWRtaW46YWRtaW4=']],
    ];
    const deep = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const bodies: Buffer[] = [
      Buffer.from('{'),
      Buffer.from('null'),
      Buffer.from('[]'),
      Buffer.from('"x"'),
      Buffer.from('1e999'),
      Buffer.from('{"iso":"many","shutter_speed":[]}'),
      Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
      Buffer.from('{"code":"00000a","station_id":"","station_name":""}'),
      Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from(deep(5000)),
      Buffer.from(`[${'['.repeat(20_000)}`),
      Buffer.from(`{"a":"${'z'.repeat(70 * 1024)}"}`),
      randomBytes(512),
    ];
    const framings: ((body: Buffer) => [[string, string][], Buffer | null, boolean])[] = [
      (b) => [[['content-length', String(b.length)]], b, false],
      (b) => [
        [['transfer-encoding', 'chunked']],
        Buffer.from(`${b.length.toString(16)}\r\n${b.toString('latin1')}\r\n0\r\n\r\n`, 'latin1'),
        false,
      ],
      (b) => [
        [['transfer-encoding', 'chunked']],
        Buffer.from(`zz\r\n${b.toString('latin1')}\r\n0\r\n\r\n`, 'latin1'),
        false,
      ],
      (b) => [
        [
          ['content-length', String(b.length)],
          ['transfer-encoding', 'chunked'],
        ],
        b,
        false,
      ],
      (b) => [
        [
          ['content-length', String(b.length)],
          ['content-length', String(b.length + 1)],
        ],
        b,
        false,
      ],
      (b) => [[['content-length', '-1']], b, false],
      (b) => [[['content-length', '1000000000']], b, true],
      (b) => [[['content-length', String(b.length + 10)]], b, true],
    ];
    const results: { label: string; res: RawAnswer; incomplete: boolean }[] = [];
    let checked = 0;
    const rssAfterRound: number[] = [];
    const ROUNDS = 3;
    let wsCases = 0;
    // Rounds of the same mix: a leak grows with each one, a warm-up cost does not.
    for (let round = 0; round < ROUNDS; round++) {
      // Every path and body method, with valid credentials, gets a 5,000-level nested body (a RangeError was a 500).
      for (const path of paths) {
        for (const method of ['POST', 'PUT', 'DELETE']) {
          const body = Buffer.from(deep(5000));
          const headers: [string, string][] = [
            ['host', '127.0.0.1'],
            ['connection', 'close'],
            ['authorization', `Bearer ${agent.token}`],
            ['content-type', 'application/json'],
            ['content-length', String(body.length)],
          ];
          results.push({
            label: `r${round} deep ${method} ${path.slice(0, 50)}`,
            res: await rawHttp(port, httpBytes(method, path, headers, body)),
            incomplete: false,
          });
        }
      }
      for (let i = 0; i < 400; i++) {
        const auth = pick(auths);
        const authed = auth.length > 0 && auth[0]![1] === `Bearer ${agent.token}`;
        let method = pick(methods);
        const path = pick(paths);
        let body: Buffer | null = rand() < 0.2 && !authed ? null : pick(bodies);
        // Valid credentials never come with an empty or harmless body that a route could act on.
        if (authed && body === null) body = bodies[0]!;
        if (authed && method === 'GET' && rand() < 0.5) method = 'POST';
        const [framingHeaders, payload, incomplete] = body ? pick(framings)(body) : [[], null, false];
        const headers: [string, string][] = [
          ['host', pick(['127.0.0.1', 'attacker.example', '', 'x'.repeat(300)])],
          ['connection', 'close'],
          ...auth,
          ['content-type', pick(['application/json', 'text/plain', 'application/json; charset=latin1', ''])],
          ...(rand() < 0.1
            ? ([['x-skystation-session', pick(['', 'bad id!', 'x'.repeat(65)])]] as [string, string][])
            : []),
          ...framingHeaders,
        ];
        const label = `r${round}#${i} ${method.slice(0, 12)} ${path.slice(0, 50)} auth=${auths.indexOf(auth)} body=${body ? bodies.indexOf(body) : '-'}`;
        results.push({
          label,
          res: await rawHttp(port, httpBytes(method, path, headers, payload), incomplete ? 1_500 : 3_000),
          incomplete,
        });
      }
      // Broken request lines and headers.
      // Blank lines before a request line are skipped by HTTP parsers (RFC 9112 2.2): no answer is due yet.
      const incompleteRaw = new Set(['\r\n\r\n\r\n']);
      for (const bytes of [
        'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nbad header\r\n\r\n',
        'GET /status HTTP/9.9\r\n\r\n',
        'GET /status\r\n\r\n',
        '\r\n\r\n\r\n',
        'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX: \u0000\r\n\r\n',
        `GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
        'POST /pair HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n',
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${agent.token}\r\n\r\n`,
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 12\r\nAuthorization: Bearer ${agent.token}\r\n\r\n`,
        `POST /preview HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${agent.token}\r\n\r\n`,
        `GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${agent.token}\r\n\r\n`,
      ]) {
        results.push({
          label: `raw ${JSON.stringify(bytes.slice(0, 40))}`,
          res: await rawHttp(port, Buffer.from(bytes, 'latin1')),
          incomplete: incompleteRaw.has(bytes),
        });
      }
      for (const { label, res, incomplete } of results.slice(checked)) {
        if (res.status >= 500) problems.push(`${label}: ${res.status} ${res.body.slice(0, 160)}`);
        if (res.status === 101) problems.push(`${label}: upgraded`);
        if (res.closedWithoutAnswer && !incomplete) problems.push(`${label}: no answer`);
        for (const secret of [agent.token, stationToken]) {
          if (res.body.includes(secret)) problems.push(`${label}: the answer contains a secret`);
        }
      }

      checked = results.length;

      // Aborted downloads: the client reads the first bytes of a capture file and hangs up (finding 4).
      for (let i = 0; i < 40; i++) {
        const range = pick([
          '',
          '',
          'bytes=0-',
          'bytes=100-',
          'bytes=999999999-',
          'bytes=5-1',
          'bytes=-5',
          'bytes=0-0',
        ]);
        const status = await abortedDownload(port, `/captures/${captureId}/file`, stationToken, range);
        if (status === 0 || status >= 500) problems.push(`r${round} download range=${range}: status ${status}`);
      }

      // ---- 2. Raw WebSocket frames after a valid handshake, on both WebSocket paths.
      const text = (s: string): Buffer => Buffer.from(s, 'utf8');
      const cases: { name: string; bytes: Buffer | null; codes: (number | null)[] }[] = [
        {
          name: 'unmasked text frame',
          bytes: wsFrame({ opcode: 0x1, payload: text('hi'), masked: false }),
          codes: [1002],
        },
        {
          name: 'RSV1 without an extension',
          bytes: wsFrame({ opcode: 0x1, rsv: 0b100, payload: text('hi') }),
          codes: [1002],
        },
        { name: 'RSV2', bytes: wsFrame({ opcode: 0x2, rsv: 0b010, payload: text('hi') }), codes: [1002] },
        { name: 'RSV3', bytes: wsFrame({ opcode: 0x1, rsv: 0b001, payload: text('hi') }), codes: [1002] },
        ...[0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => ({
          name: `reserved opcode 0x${op.toString(16)}`,
          bytes: wsFrame({ opcode: op, payload: text('x') }),
          codes: [1002],
        })),
        {
          name: 'invalid UTF-8 text',
          bytes: wsFrame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28, 0xa0, 0xa1]) }),
          codes: [1007],
        },
        {
          name: 'overlong UTF-8 text',
          bytes: wsFrame({ opcode: 0x1, payload: Buffer.from([0xc0, 0xaf]) }),
          codes: [1007],
        },
        {
          name: 'UTF-16 surrogate in text',
          bytes: wsFrame({ opcode: 0x1, payload: Buffer.from([0xed, 0xa0, 0x80]) }),
          codes: [1007],
        },
        {
          name: 'payload over the limit',
          bytes: wsFrame({ opcode: 0x2, payload: randomBytes(70_000) }),
          codes: [1009],
        },
        { name: 'declared 2^62 bytes', bytes: wsFrame({ opcode: 0x2, declaredLength: 1n << 62n }), codes: [1009] },
        {
          name: '64-bit length with the top bit set',
          bytes: wsFrame({ opcode: 0x2, declaredLength: 1n << 63n }),
          codes: [1009, 1002],
        },
        { name: 'fragmented ping', bytes: wsFrame({ opcode: 0x9, fin: false, payload: text('p') }), codes: [1002] },
        { name: 'ping over 125 bytes', bytes: wsFrame({ opcode: 0x9, payload: randomBytes(200) }), codes: [1002] },
        { name: 'continuation without a start', bytes: wsFrame({ opcode: 0x0, payload: text('x') }), codes: [1002] },
        {
          name: 'new message inside a fragmented one',
          bytes: Buffer.concat([
            wsFrame({ opcode: 0x1, fin: false, payload: text('a') }),
            wsFrame({ opcode: 0x1, payload: text('b') }),
          ]),
          codes: [1002],
        },
        {
          name: 'close with a one-byte payload',
          bytes: wsFrame({ opcode: 0x8, payload: Buffer.from([0x03]) }),
          codes: [1002],
        },
        { name: 'close with code 999', bytes: wsFrame({ opcode: 0x8, payload: closePayload(999) }), codes: [1002] },
        { name: 'close with code 1005', bytes: wsFrame({ opcode: 0x8, payload: closePayload(1005) }), codes: [1002] },
        {
          name: 'close with invalid UTF-8 reason',
          bytes: wsFrame({ opcode: 0x8, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) }),
          codes: [1007],
        },
        { name: 'garbage after the handshake', bytes: randomBytes(64), codes: [1002, 1007, 1009, null] },
        {
          name: 'half a frame, then the client vanishes',
          bytes: wsFrame({ opcode: 0x1, payload: text('hello') }).subarray(0, 3),
          codes: [],
        },
        { name: 'client vanishes right after the handshake', bytes: null, codes: [] },
      ];
      for (const path of ['/events', '/preview']) {
        for (const c of cases) {
          const vanish = c.codes.length === 0;
          const out = await rawWs(port, path, stationToken, c.bytes, vanish ? 300 : 5_000);
          const label = `r${round} ws ${path} ${c.name}`;
          wsCases++;
          if (!out.upgraded) {
            problems.push(`${label}: the handshake was refused`);
            continue;
          }
          if (vanish) continue;
          if (!out.ended) problems.push(`${label}: the agent kept the connection open`);
          if (out.closeCode !== null && !c.codes.includes(out.closeCode))
            problems.push(`${label}: close code ${out.closeCode}, expected ${c.codes.join(' or ')}`);
          if (out.closeCode === null && !c.codes.includes(null)) problems.push(`${label}: ended without a close frame`);
          // Slots come back before the next case (at most 5 at once).
          await expect.poll(connections, { timeout: 5_000 }).toBe(0);
        }
      }
      // Descriptors return to where they were after every round (a leak grows with every request).
      await expect
        .poll(() => fdCount(pid), {
          timeout: 20_000,
          interval: 250,
          message: `fds: ${fdKindsStart} -> ${fdKinds(pid)}`,
        })
        .toBeLessThanOrEqual(fdStart + 2);
      rssAfterRound.push(await settledRss(pid));
    }

    // ---- the checks
    expect(alive(pid)).toBe(true);
    expect(problems).toEqual([]);
    // Nothing a client sent is an agent error: no error-level log line (a flood would fill the log).
    const errors = agent.stdout.slice(logLinesBefore).filter((l) => /"level":(50|60)/.test(l));
    expect(errors.map((l) => l.slice(0, 300))).toEqual([]);
    expect(results.length).toBeGreaterThan(ROUNDS * 480);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await expect.poll(connections, { timeout: 10_000 }).toBe(0);
    expect(await state()).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(fdCount(pid)).toBeLessThanOrEqual(fdStart + 2);
    // Memory: the later rounds add (almost) nothing to the first (a leak grows with each), and it stays
    // near its start (the first round's growth is the heap and malloc arenas warming up, ~50 MB here).
    expect(rssAfterRound[ROUNDS - 1]!, `RSS after each round: ${rssAfterRound.join(', ')} MB`).toBeLessThan(
      rssAfterRound[0]! + 40,
    );
    await expect.poll(() => rssMb(pid), { timeout: 30_000, interval: 500 }).toBeLessThan(rssStart * 1.5 + 40);
    console.log(
      `agent fuzz: ${results.length} HTTP requests, ${wsCases} WebSocket cases in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `fds ${fdStart} -> ${fdCount(pid)}, RSS ${rssStart.toFixed(1)} -> ${rssAfterRound.map((r) => r.toFixed(1)).join(' -> ')} MB`,
    );
  }, 180_000);
});
