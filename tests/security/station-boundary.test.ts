/**
 * Issue 12, the station's HTTP and WebSocket boundary (findings 1 and 3-6)
 * and a bounded fuzz run, against a real station in a process of its own so
 * that a crash, a leaked descriptor or retained memory shows. Requests are
 * raw bytes (node:net), WebSocket frames too: the ws client would refuse to
 * send most of them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ROOT, run, until, waitForLine, type RunningProcess } from '../helpers/processes.js';
import { parseHttpAnswer, snapshotFiles as snapshotUnder, wsFrame } from './wire.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Bytes of the request that were written before the station closed the connection. */
  sent: number;
}

let dir: string;
let dataDir: string;
let station: RunningProcess;
let port: number;
let pid: number;

const fdCount = (): number => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
};
const alive = (): boolean => station.child.exitCode === null && station.child.signalCode === null;

/**
 * Send `head`, then (optionally) `bodyBytes` of filler as fast as the station
 * takes it, and read one answer. Resolves once the answer is complete and
 * the connection is closed (or after `timeoutMs`).
 */
function raw(
  head: Buffer | string,
  opts: { bodyBytes?: number; chunked?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseHttpAnswer(Buffer.concat(chunks));
      resolve({ ...(parsed ?? { status: 0, headers: {}, body: Buffer.concat(chunks) }), sent });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // Without a body to push, one complete answer is enough.
      if (!opts.bodyBytes && parseHttpAnswer(Buffer.concat(chunks)) !== null) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.write(head);
    if (!opts.bodyBytes) return;
    const block = Buffer.alloc(1 << 20, 0x61);
    const piece = opts.chunked ? Buffer.concat([Buffer.from('100000\r\n'), block, Buffer.from('\r\n')]) : block;
    const pump = (): void => {
      while (!socket.destroyed && sent < opts.bodyBytes!) {
        sent += block.length;
        if (!socket.write(piece)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** The `error.code` of a JSON error answer. */
function errorCode(r: RawResponse): string | undefined {
  return (JSON.parse(r.body.toString('utf8')) as { error?: { code?: string } }).error?.code;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): string {
  const h = { host: `127.0.0.1:${port}`, connection: 'close', ...headers };
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

function upgradeHead(path = '/api/ws', headers: Record<string, string> = {}): string {
  return get(path, {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-version': '13',
    ...headers,
  });
}

/**
 * Upgrade `path` (/api/ws by default) by hand, write `frames`, and report how the station closed
 * the socket: its close code (null when it just dropped it) or 'open' when
 * it kept the socket after `waitMs`.
 */
function wsRaw(
  frames: Buffer[],
  waitMs = 10_000,
  path = '/api/ws',
): Promise<{ upgraded: boolean; close: number | null | 'open' }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let settled = false;
    const settle = (close: number | null | 'open'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ upgraded, close });
    };
    const timer = setTimeout(() => settle('open'), waitMs);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, 12).toString('latin1').includes(' 101')) return settle(null);
        upgraded = true;
        buf = buf.subarray(end + 4);
        for (const f of frames) socket.write(f);
      }
      // A close frame from the server: 0x88, length, 2-byte code.
      const i = buf.indexOf(0x88);
      if (i >= 0 && buf.length >= i + 4) settle(buf.readUInt16BE(i + 2));
    });
    socket.on('close', () => settle(null));
    socket.write(upgradeHead(path));
  });
}

/** A real client's call on /api/ws. */
function rpc(method: string, params: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { maxPayload: 64 << 20 });
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`closed with ${code}`)));
    ws.on('open', () => ws.send(JSON.stringify({ id: 7, method, params })));
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; ok: boolean };
      if (msg.id !== 7) return;
      ws.removeAllListeners('close');
      ws.close();
      resolve(msg);
    });
  });
}

/** Every file in the data folder except logs and the SQLite files, with a hash. */
const snapshotFiles = (): Record<string, string> =>
  snapshotUnder(dataDir, (name, isDir) => !isDir && /\.sqlite|\.log$/.test(name));

async function state(): Promise<unknown> {
  return {
    files: snapshotFiles(),
    agents: (await rpc('listAgents', {})).result,
    captures: (await rpc('listCaptures', {})).result,
    exports: (await rpc('exports.list', {})).result,
  };
}

let ui: string;

async function startStationProcess(): Promise<void> {
  station = run(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/security/station-process.ts'), dataDir, ui]);
  const line = await waitForLine(station, /"event":"listening"/, 60_000);
  port = (JSON.parse(line) as { port: number }).port;
  pid = station.child.pid!;
}

/** Each test starts with a live station: one that a test killed must not fail the next. */
beforeEach(async () => {
  if (!alive()) await startStationProcess();
}, 90_000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skys-sec-boundary-'));
  dataDir = join(dir, 'data');
  ui = join(dir, 'ui');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Skystation</title>');
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
  await startStationProcess();
  // A media file larger than the socket buffers, so a download is still streaming when its client leaves.
  writeFileSync(join(dataDir, 'media', 'big.jpg'), randomBytes(16 << 20));
  writeFileSync(join(dataDir, 'media', 'noext'), 'x');
  mkdirSync(join(dataDir, 'media', 'folder'));
}, 90_000);

afterAll(async () => {
  await station?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the station boundary (issue 12)', () => {
  it('1: malformed WebSocket frames and oversized messages close that socket, never the station', async () => {
    const text = (s: string): Buffer => Buffer.from(s, 'utf8');
    const cases: [string, Buffer[], number[]][] = [
      ['unmasked client frame', [wsFrame({ opcode: 1, masked: false, payload: text('{}') })], [1002]],
      ['RSV bits', [wsFrame({ opcode: 1, rsv: 7, payload: text('{}') })], [1002]],
      ['reserved data opcode', [wsFrame({ opcode: 3, payload: text('{}') })], [1002]],
      ['reserved control opcode', [wsFrame({ opcode: 0xb })], [1002]],
      ['fragmented control frame', [wsFrame({ opcode: 9, fin: false })], [1002]],
      ['invalid UTF-8', [wsFrame({ opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]) })], [1007]],
      ['continuation without a start', [wsFrame({ opcode: 0, payload: text('x') })], [1002]],
      ['declared 1 TB message', [wsFrame({ opcode: 1, declaredLength: 1n << 40n })], [1009]],
      ['13 MB message', [wsFrame({ opcode: 1, payload: Buffer.alloc(13_000_000, 0x20) })], [1009]],
      [
        '13 MB in fragments',
        [
          wsFrame({ opcode: 1, fin: false, payload: Buffer.alloc(7_000_000, 0x20) }),
          wsFrame({ opcode: 0, payload: Buffer.alloc(7_000_000, 0x20) }),
        ],
        [1009],
      ],
    ];
    for (const [label, frames, codes] of cases) {
      const r = await wsRaw(frames);
      expect(r.upgraded, label).toBe(true);
      expect(codes, `${label}: closed with ${String(r.close)}`).toContain(r.close);
      expect(alive(), label).toBe(true);
    }
    // Legitimate config imports are answered (here refused as not a config), not cut off: 1.2 MB, and
    // the largest the schema allows, 4,000,000 characters of 3 bytes each in UTF-8 (12 MB).
    for (const config of [`not yaml or json ${'x'.repeat(1_200_000)}`, '\u20ac'.repeat(4_000_000)]) {
      const reply = await rpc('importConfig', { config });
      expect(reply.ok).toBe(false);
      expect(reply.error?.code).not.toBe('internal');
      expect(alive()).toBe(true);
    }
  }, 120_000);

  it('3: refuses a Host that is not the station (DNS rebinding), on HTTP and on the WebSocket upgrade', async () => {
    for (const host of [
      'attacker.example',
      `attacker.example:${port}`,
      '127.0.0.1.attacker.example',
      'localhost.',
      '',
    ]) {
      const r = await raw(get('/api/health', { host }));
      if (host === 'localhost.') expect(r.status, host).toBe(200);
      else {
        expect(r.status, host).toBe(403);
        expect(errorCode(r)).toBe('host_not_allowed');
      }
    }
    const ws = await raw(
      upgradeHead('/api/ws', { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` }),
    );
    expect(ws.status).toBe(403);
    expect(errorCode(ws)).toBe('host_not_allowed');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) {
      expect((await raw(get('/api/health', { host }))).status, host).toBe(200);
    }
    const ok = await raw(upgradeHead('/api/ws', { host: `localhost:${port}`, origin: `http://localhost:${port}` }));
    expect(ok.status).toBe(101);
  });

  it('4: aborted media downloads release their file descriptors', async () => {
    const before = fdCount();
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from(
          { length: 20 },
          () =>
            new Promise<void>((resolve) => {
              const s = connect(port, '127.0.0.1');
              s.on('error', () => resolve());
              s.once('data', () => {
                s.destroy();
                resolve();
              });
              s.write(get('/media/big.jpg'));
            }),
        ),
      );
    }
    const after = await until(fdCount, (n) => n <= before + 10, 20_000).catch(() => fdCount());
    expect(after, `descriptors ${before} -> ${after} after 200 aborted downloads`).toBeLessThanOrEqual(before + 10);
    expect((await raw(get('/api/health'))).status).toBe(200);
  }, 60_000);

  it('5: odd paths answer a 4xx with a clear code, promptly', async () => {
    const cases: [string, number, string][] = [
      ['//', 400, 'bad_path'],
      ['//etc/passwd', 400, 'bad_path'],
      ['/media/noext-missing', 404, 'not_found'],
      ['/media/folder', 404, 'not_found'],
      ['/media/', 404, 'not_found'],
      ['/x/index.html', 404, 'not_found'],
      ['/nope.js', 404, 'not_found'],
      ['/media/..%2f..%2fetc%2fpasswd', 400, 'bad_path'],
      ['/media/%E0%A4%A', 400, 'bad_path'],
      ['/%00', 400, 'bad_path'],
      ['*', 400, 'bad_path'],
      ['http://attacker.example/', 400, 'bad_path'],
      ['/api/nothing', 404, 'not_found'],
    ];
    const tunnel = await raw(get('127.0.0.1:22', {}, 'CONNECT'), { timeoutMs: 5_000 });
    expect(tunnel.status).toBe(405);
    expect(errorCode(tunnel)).toBe('method_not_allowed');
    for (const [path, status, code] of cases) {
      const r = await raw(get(path), { timeoutMs: 5_000 });
      expect(r.status, path).toBe(status);
      expect(errorCode(r), path).toBe(code);
    }
    expect((await raw(get('/media/noext'))).status).toBe(200);
    expect((await raw(get('/some/ui/route'))).status).toBe(200);
  });

  it('6: a body far over the limit is cut off early on every route', async () => {
    const GB = 1 << 30;
    const cases: [string, string, { chunked?: boolean }][] = [
      ['declared 1 GB to a GET route', get('/api/health', { 'content-length': String(GB) }), {}],
      ['declared 1 GB POST', get('/api/health', { 'content-length': String(GB) }, 'POST'), {}],
      ['declared 1 GB to the login', get('/api/login', { 'content-length': String(GB) }, 'POST'), {}],
      ['chunked 1 GB to /status', get('/status', { 'transfer-encoding': 'chunked' }), { chunked: true }],
      ['chunked 1 GB POST', get('/api/ws', { 'transfer-encoding': 'chunked' }, 'POST'), { chunked: true }],
    ];
    for (const [label, head, o] of cases) {
      const r = await raw(head, { bodyBytes: GB, ...o, timeoutMs: 30_000 });
      expect(r.status, label).toBe(413);
      expect(errorCode(r), label).toBe('payload_too_large');
      // Socket buffers take a few MB before the station closes; reading on would take the whole GB.
      expect(r.sent, label).toBeLessThan(64 << 20);
    }
    expect(alive()).toBe(true);
  }, 120_000);

  it('fuzz: malformed requests and frames leave it alive, answering below 500, unchanged, without leaks', async () => {
    const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
    let x = seed;
    const rnd = (n: number): number => {
      // mulberry32
      x = (x + 0x6d2b79f5) | 0;
      let t = Math.imul(x ^ (x >>> 15), 1 | x);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd(a.length))]!;
    const garbage = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd(256))));

    const before = await state();
    const fdStart = fdCount();
    const rssStart = rssMb();

    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'GE T', 'get', ''];
    const paths = [
      '/',
      '//',
      '/api/health',
      '/api/ws',
      '/api/login',
      '/api/logout',
      '/status',
      '/health',
      '/metrics',
      '/cameras/%ZZ/status',
      '/cameras/../status',
      '/media/big.jpg',
      '/media/../gallery.sqlite',
      '/media/%2e%2e/%2e%2e/etc/passwd',
      '/media/\u00ff\u0000',
      '/assets/app.js',
      '/x/index.html',
      '*',
      'http://127.0.0.1/',
      `/${'a'.repeat(9000)}`,
      '/?' + '&a=1'.repeat(2000),
    ];
    const headerSets: Record<string, string>[] = [
      {},
      { 'content-length': '-1' },
      { 'content-length': '5, 6' },
      { 'content-length': '99999999999999999999' },
      { 'transfer-encoding': 'chunked, identity' },
      { 'transfer-encoding': 'chunked', 'content-length': '3' },
      { host: 'attacker.example' },
      { origin: 'http://attacker.example' },
      { cookie: 'skystation_session=' + 'A'.repeat(43) },
      { 'x-long': 'v'.repeat(20_000) },
      { accept: 'text/html' },
      { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13' },
      { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'short', 'sec-websocket-version': '99' },
    ];
    const httpCase = (): Promise<RawResponse> => {
      const kind = rnd(10);
      if (kind < 1) return raw(garbage(1 + Math.floor(rnd(300))), { timeoutMs: 3_000 });
      const head = get(pick(paths), pick(headerSets), pick(methods));
      if (kind < 2) {
        // Flip a few bytes of a well-formed request.
        const b = Buffer.from(head, 'latin1');
        for (let i = 0; i < 3; i++) b[Math.floor(rnd(b.length))] = Math.floor(rnd(256));
        return raw(b, { timeoutMs: 3_000 });
      }
      if (kind < 3) return raw(head + garbage(Math.floor(rnd(100))).toString('latin1'), { timeoutMs: 3_000 });
      if (kind < 4) {
        return raw(
          `${head.slice(0, -2)}transfer-encoding: chunked\r\n\r\n${pick(['zz\r\n', '5\r\nabc', 'fffffffff\r\n'])}`,
          {
            timeoutMs: 3_000,
          },
        );
      }
      return raw(head, { timeoutMs: 3_000 });
    };
    const wsCase = (): Promise<{ upgraded: boolean; close: number | null | 'open' }> => {
      const frames = Array.from({ length: 1 + Math.floor(rnd(4)) }, () =>
        wsFrame({
          fin: rnd(4) >= 1,
          rsv: rnd(4) < 1 ? Math.floor(rnd(8)) : 0,
          opcode: pick([0, 1, 2, 3, 7, 8, 9, 10, 11, 15]),
          masked: rnd(8) >= 1,
          payload:
            rnd(3) < 1
              ? Buffer.from(
                  JSON.stringify({
                    id: 1,
                    method: pick(['health', 'nope', 'importConfig']),
                    params: pick([{}, null, [], { config: 'x' }]),
                  }),
                )
              : garbage(Math.floor(rnd(200))),
          ...(rnd(10) < 1 ? { declaredLength: BigInt(Math.floor(rnd(2 ** 40))) } : {}),
        }),
      );
      // Every WebSocket route: the API and the live preview (an unknown camera, a malformed id).
      return wsRaw(
        frames,
        2_000,
        pick(['/api/ws', '/api/ws', '/api/preview/nope', '/api/preview/%ZZ', '/api/preview/']),
      );
    };

    const deadline = Date.now() + 90_000;
    const statuses: { label: string; status: number }[] = [];
    let wsRuns = 0;
    for (let i = 0; i < 1200 && Date.now() < deadline; i += 4) {
      const batch = await Promise.all([httpCase(), httpCase(), httpCase(), wsCase()]);
      wsRuns++;
      for (const r of batch.slice(0, 3) as RawResponse[]) statuses.push({ label: `#${i}`, status: r.status });
      expect(alive(), `station died (seed ${seed})`).toBe(true);
    }
    expect(wsRuns).toBeGreaterThan(20);
    process.stdout.write(
      `fuzz seed ${seed}: ${statuses.length} HTTP requests, ${wsRuns} WebSocket sessions; ` +
        `fds ${fdStart} -> ${fdCount()}, RSS ${rssStart.toFixed(0)} -> ${rssMb().toFixed(0)} MB\n`,
    );
    const fivexx = statuses.filter((s) => s.status >= 500);
    expect(fivexx, `5xx answers (seed ${seed})`).toEqual([]);
    expect(statuses.filter((s) => s.status >= 400 && s.status < 500).length).toBeGreaterThan(50);

    expect((await raw(get('/api/health'))).status).toBe(200);
    expect(await state()).toEqual(before);
    const fds = await until(fdCount, (n) => n <= fdStart + 10, 30_000).catch(() => fdCount());
    expect(fds, `descriptors ${fdStart} -> ${fds} (seed ${seed})`).toBeLessThanOrEqual(fdStart + 10);
    const rss = await until(rssMb, (m) => m <= rssStart + 80, 30_000).catch(() => rssMb());
    expect(rss, `RSS ${rssStart.toFixed(0)} -> ${rss.toFixed(0)} MB (seed ${seed})`).toBeLessThanOrEqual(rssStart + 80);
  }, 180_000);
});
