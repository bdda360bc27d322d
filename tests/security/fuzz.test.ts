/**
 * Fuzzing a real agent process (issue 4): hundreds of malformed or
 * unauthenticated requests, sent as raw bytes so nothing normalises them.
 * Every answer must be below 500, every error must have the JSON error shape,
 * and nothing may change: journal counts, the deployed profile, the files in
 * the data folder and the paired tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorResponse, PairResponse, type DeploymentBundle } from '../../agent/src/protocol/index.js';
import { runToExit, ROOT, startAgentProcess } from '../helpers/processes.js';
import { parseHttpAnswer, snapshotFiles as snapshotUnder, type HttpAnswer } from './wire.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;

/** The ObsCam-compatible API under /api/ answers errors in ObsCam's shape (seed 004). */
const ObscamError = z.object({ success: z.literal(false), error: z.string(), code: z.string() });
const obscamPath = (label: string): boolean => / \/api\/|^(api capture|restore) /.test(label);

type RawResponse = HttpAnswer;

/** Sends raw bytes and reads one answer (complete by content-length, chunked end, or close). */
function raw(port: number, request: Buffer | string): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      const parsed = parseHttpAnswer(Buffer.concat(chunks));
      if (!timedOut && parsed === null) return;
      done = true;
      socket.destroy();
      resolve(parsed ?? { status: 0, headers: {}, body: Buffer.concat(chunks) });
    };
    socket.setTimeout(5_000, () => finish(true));
    setTimeout(() => finish(true), 10_000).unref();
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      finish(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.write(request);
  });
}

function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body: Buffer | string | null = null,
): Buffer {
  const bytes = body === null ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const h = { host: '127.0.0.1', connection: 'close', ...headers };
  if (bytes && !('content-length' in h) && !('transfer-encoding' in h)) {
    (h as Record<string, string>)['content-length'] = String(bytes.length);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return bytes ? Buffer.concat([Buffer.from(head, 'latin1'), bytes]) : Buffer.from(head, 'latin1');
}

/** Every file under the data folder except the journal's own database files and logs, with a content hash. */
const snapshotFiles = (dir: string): Record<string, string> =>
  snapshotUnder(dir, (name, isDir) => !isDir && (/journal\.sqlite/.test(name) || /\.log$/.test(name)));

const BUNDLE: DeploymentBundle = {
  profile_id: 'fuzz_profile',
  version: '1.0.0',
  settings: { base: { metering_mode: 1, ev_compensation: 0.7, awb_mode: 1 } },
};

describe('fuzzing the agent', () => {
  let dir: string;
  let dataDir: string;
  let agent: Agent;
  let stationToken: string;
  let captureId: string;
  let pairingCode: string;
  const results: { label: string; res: RawResponse }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-fuzz-'));
    dataDir = join(dir, 'agent');
    agent = await startAgentProcess(dataDir, ['--sim-resolution', '320x180']);
    const base = `http://127.0.0.1:${agent.port}`;
    const post = async (path: string, body: unknown): Promise<unknown> => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { ...agent.auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
      return json;
    };
    await post('/profile/deploy', BUNDLE);
    captureId = ((await post('/capture', { iso: 100, shutter_speed: '1/1000' })) as { capture_id: string }).capture_id;
    await post('/capture', { iso: 200, shutter_speed: '1/500' });
    const code = (pairingCode = (
      await runToExit(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/cli.ts'),
        'pair',
        '--data-dir',
        dataDir,
      ])
    ).stdout.trim());
    const paired = await fetch(`${base}/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, station_id: 'fuzz-station', station_name: 'Fuzz' }),
    });
    stationToken = PairResponse.parse(await paired.json()).token;
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function state(): Promise<unknown> {
    const status = (await (await fetch(`http://127.0.0.1:${agent.port}/status`, { headers: agent.auth })).json()) as {
      captures: unknown;
      deployed_profile: unknown;
    };
    const tokens = (await (
      await fetch(`http://127.0.0.1:${agent.port}/pair/tokens`, { headers: agent.auth })
    ).json()) as { tokens: { id: string }[] };
    return {
      captures: status.captures,
      deployed: status.deployed_profile,
      tokens: tokens.tokens.map((t) => t.id),
      files: snapshotFiles(dataDir),
    };
  }

  it('answers hundreds of malformed and unauthenticated requests with 4xx JSON errors and changes nothing', async () => {
    const before = await state();
    const port = agent.port;
    const auth = { authorization: `Bearer ${agent.token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const send = async (label: string, req: Buffer): Promise<void> => {
      const t = Date.now();
      results.push({ label, res: await raw(port, req) });
      if (Date.now() - t > 2_000) slow.push(`${label}: ${Date.now() - t} ms`);
    };
    const slow: string[] = [];

    const paths = [
      '/status',
      '/meter',
      '/capture',
      '/captures',
      '/captures/ack',
      `/captures/${captureId}/file`,
      '/profile/deploy',
      '/pair/tokens',
      '/pair/tokens/tok_000000000000',
      '/api/session',
      '/api/force-master/session-0000001',
      '/plan',
      '/clock',
      '/api/config',
      '/api/captures',
      '/api/capture/snapshot',
      '/api/camera/settings',
      '/api/logs',
    ];
    // 1. No token, a wrong token, malformed Authorization headers: on every path and method.
    const badAuth: Record<string, string>[] = [
      {},
      { authorization: 'Bearer ' },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${'A'.repeat(43)}` },
      { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      { authorization: `Bearer ${agent.token}x` },
      { authorization: `Bearer ${'x'.repeat(4000)}` },
      { authorization: `bearer  ${agent.token.slice(0, 42)}` },
    ];
    for (const p of paths) {
      for (const [i, h] of badAuth.entries()) {
        for (const m of ['GET', 'POST', 'DELETE']) {
          await send(`noauth ${m} ${p} #${i}`, request(m, p, { ...h, 'content-type': 'application/json' }, '{}'));
        }
      }
      await send(`query token on http ${p}`, request('GET', `${p}?access_token=${agent.token}`));
    }

    // 2. Bad JSON, wrong types, unknown fields, deep nesting, invalid UTF-8 (all invalid, so nothing may happen).
    const bodies: (string | Buffer)[] = [
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '1e999',
      'true',
      '{"a":',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"iso":"100","shutter_speed":"1/100"}',
      '{"iso":100,"shutter_speed":1}',
      '{"iso":-5,"shutter_speed":"1/100"}',
      '{"iso":1e308,"shutter_speed":"1/100"}',
      '{"iso":100,"shutter_speed":"1/0"}',
      '{"iso":100,"shutter_speed":"../../etc"}',
      '{"iso":100,"shutter_speed":"1/100","zzz_unknown":1}',
      '{"use_deployed_profile":"yes"}',
      '{"use_deployed_profile":true,"schedule_type":"../../x"}',
      '{"auto":1}',
      '{"captures":"all"}',
      '{"captures":[{"capture_id":"../x","sha256":"nope"}]}',
      '{"captures":[{"capture_id":1}]}',
      '{"profile_id":1}',
      '{"profile_id":"p","version":"1","settings":{"base":{"iso":"high"}}}',
      '{"code":123456,"station_id":"s","station_name":"n"}',
      '{"code":"12345","station_id":"s","station_name":"n"}',
      '{"code":"123456","station_id":"../../etc","station_name":"n"}',
      '{"code":"123456","station_id":"s","station_name":"n","admin":true}',
      '{"zzz_unknown_field":true}',
      `${'['.repeat(50_000)}${']'.repeat(50_000)}`.slice(0, 60_000),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x00]),
    ];
    const posts = [
      '/capture',
      '/captures/ack',
      '/profile/deploy',
      '/pair',
      '/clock',
      '/api/config',
      '/api/camera/settings',
      '/api/capture/start',
      // These two take no parameters: an empty body or {} is a real snapshot or backup, anything else is refused.
      '/api/capture/snapshot',
      '/api/config/backups',
    ];
    const noParameters = new Set(['/api/capture/snapshot', '/api/config/backups']);
    for (const p of posts) {
      for (const [i, b] of bodies.entries()) {
        if (noParameters.has(p) && (b === '' || b === '{}')) continue;
        await send(`body ${p} #${i}`, request('POST', p, json, b));
      }
    }
    // 3. Huge bodies over the limit: declared, chunked, and lying about their length.
    const huge = Buffer.alloc(200 * 1024, 0x61);
    for (const p of ['/capture', '/profile/deploy', '/captures/ack', '/pair']) {
      await send(`huge ${p}`, request('POST', p, json, huge));
      await send(
        `huge chunked ${p}`,
        request(
          'POST',
          p,
          { ...json, 'transfer-encoding': 'chunked' },
          Buffer.concat([Buffer.from(`${huge.length.toString(16)}\r\n`), huge, Buffer.from('\r\n0\r\n\r\n')]),
        ),
      );
      await send(`lying length ${p}`, request('POST', p, { ...json, 'content-length': '999999999' }, '{}'));
      await send(`bad length ${p}`, request('POST', p, { ...json, 'content-length': '-1' }, '{}'));
    }

    // 4. Path traversal in capture ids and file names, with every encoding.
    const ids = [
      '..',
      '.',
      '..%2F..%2Fagent.json',
      '..%2f..%2fauth%2fadmin.token',
      '%2e%2e%2f%2e%2e%2fauth%2ftokens.json',
      '%252e%252e%252fagent.json',
      '..%5c..%5cagent.json',
      '%c0%ae%c0%ae%2fagent.json',
      'a%00b',
      '%00',
      '%ff%fe',
      '%',
      '%E0%A4%A',
      `${'a'.repeat(5000)}`,
      '%F0%9F%93%B7',
      `${captureId}%2F..%2F..%2Fagent.json`,
      `${captureId}%00.jpg`,
      '....%2F%2F....%2F%2Fagent.json',
    ];
    for (const id of ids) {
      await send(`file ${id.slice(0, 40)}`, request('GET', `/captures/${id}/file`, auth));
      await send(`file raw ${id.slice(0, 40)}`, request('GET', `/captures/${id}/../../agent.json/file`, auth));
      await send(`api capture ${id.slice(0, 40)}`, request('DELETE', `/api/captures/${id}`, auth));
      await send(`restore ${id.slice(0, 40)}`, request('POST', `/api/config/backups/${id}/restore`, json, '{}'));
      await send(`revoke ${id.slice(0, 40)}`, request('DELETE', `/pair/tokens/${id}`, auth));
    }
    for (const p of [
      '/../../etc/passwd',
      '//status',
      '/status/..',
      '/./status',
      '/%2e%2e/agent.json',
      '/\\..\\agent.json',
    ]) {
      await send(`path ${p}`, request('GET', p, auth));
    }

    // 5. Bad Range headers on a real file.
    for (const range of [
      'bytes=abc',
      'bytes=-5',
      'bytes=5-1',
      'bytes=99999999999999999999-',
      'bytes=0-1,3-4',
      'items=0-1',
      'bytes=',
      'bytes=-',
      'bytes= 0-1',
      'bytes=0x10-',
      'bytes=1e3-',
      `bytes=${'9'.repeat(400)}-`,
    ]) {
      await send(`range ${range.slice(0, 30)}`, request('GET', `/captures/${captureId}/file`, { ...auth, range }));
    }

    // 6. Bad methods and bad queries.
    for (const m of ['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO', 'G E T']) {
      for (const p of ['/status', '/capture', '/health', `/captures/${captureId}/file`]) {
        await send(`method ${m} ${p}`, request(m, p, json, '{}'));
      }
    }
    for (const q of [
      'after=-1',
      'after=abc',
      'limit=0',
      'limit=1e9',
      'limit=abc',
      'unsynced=maybe',
      'zzz=1',
      'after=1&after=2',
      'limit=%00',
      'after=%',
    ]) {
      await send(`query ${q}`, request('GET', `/captures?${q}`, auth));
    }

    // 7. Headers: huge, broken, bad session ids.
    await send('huge header', request('GET', '/status', { ...auth, 'x-big': 'x'.repeat(20_000) }));
    await send(
      'bad header line',
      Buffer.from('GET /status HTTP/1.1\r\nhost: x\r\nbroken header\r\nconnection: close\r\n\r\n'),
    );
    await send('http/0.9', Buffer.from('GET /status\r\n\r\n'));
    await send('garbage', Buffer.from('\x00\x01\x02\x03 nonsense\r\n\r\n'));
    for (const s of ['short', '../../../etc/passwd', 'x'.repeat(100), 'a b c d e f g h', '%00session00']) {
      await send(
        `session ${s.slice(0, 20)}`,
        request('POST', '/capture', { ...json, 'x-skystation-session': s }, '{}'),
      );
    }

    // 8. WebSocket upgrades: no token, wrong token, bad handshakes, unknown paths.
    const ws = (path: string, extra: Record<string, string>): Buffer =>
      request('GET', path, {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...extra,
      });
    for (const path of ['/events', '/preview']) {
      await send(`ws noauth ${path}`, ws(path, {}));
      await send(`ws bad token ${path}`, ws(path, { authorization: `Bearer ${'B'.repeat(43)}` }));
      await send(`ws bad query token ${path}`, ws(`${path}?access_token=nope`, {}));
      await send(`ws bad key ${path}`, ws(path, { ...auth, 'sec-websocket-key': 'short' }));
      await send(`ws bad version ${path}`, ws(path, { ...auth, 'sec-websocket-version': '12' }));
      await send(`ws bad session ${path}`, ws(`${path}?session=..%2F..`, auth));
      await send(
        `ws post ${path}`,
        request('POST', path, { ...auth, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13' }),
      );
    }
    for (const path of ['/nope', '/status', '/events/..%2Fpreview', '/%2e%2e']) {
      await send(`ws unknown ${path}`, ws(path, auth));
    }
    await send('ws h2c', request('GET', '/status', { ...auth, upgrade: 'h2c', connection: 'Upgrade' }));

    // 9. A paired station token may not administer tokens.
    const st = { authorization: `Bearer ${stationToken}` };
    await send('station lists tokens', request('GET', '/pair/tokens', st));
    await send('station revokes', request('DELETE', '/pair/tokens/tok_000000000000', st));

    // ---- the checks
    expect(results.length).toBeGreaterThan(700);
    const problems: string[] = [];
    for (const { label, res } of results) {
      if (res.status === 0) {
        problems.push(`${label}: no HTTP answer (${res.body.toString('latin1').slice(0, 80)})`);
        continue;
      }
      if (res.status >= 500) problems.push(`${label}: ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
      if (res.status >= 400) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(res.body.toString('utf8'));
        } catch {
          problems.push(`${label}: ${res.status} body is not JSON: ${res.body.toString('latin1').slice(0, 120)}`);
          continue;
        }
        if (!ErrorResponse.safeParse(parsed).success && !(obscamPath(label) && ObscamError.safeParse(parsed).success)) {
          problems.push(`${label}: ${res.status} not the error shape: ${JSON.stringify(parsed).slice(0, 160)}`);
        }
      }
      if (label.startsWith('noauth') && res.status !== 401) problems.push(`${label}: expected 401, got ${res.status}`);
      if (label.startsWith('query token') && res.status !== 401) problems.push(`${label}: token accepted in a URL`);
      if (label.startsWith('ws ') && res.status === 101) problems.push(`${label}: upgraded`);
      if (label.startsWith('station ') && res.status !== 403)
        problems.push(`${label}: expected 403, got ${res.status}`);
      for (const secret of [agent.token, pairingCode, stationToken]) {
        if (res.body.includes(secret)) problems.push(`${label}: the answer contains a secret`);
      }
      if (/^(file|api capture|restore) /.test(label) && res.status < 400) {
        problems.push(`${label}: served ${res.status} (${res.body.length} bytes)`);
      }
    }
    if (slow.length > 0) console.log(`slow answers (not a failure):\n${slow.join('\n')}`);
    expect(problems).toEqual([]);

    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(await state()).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  }, 300_000);
});
