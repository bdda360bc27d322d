/**
 * Issue 12 with the station's login on (as off loopback): the login form is
 * the one body the station reads, and it too is cut off early when far too
 * large, declared or chunked; a rebinding Host never gets the login page; a
 * normal login still works and opens the WebSocket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { prepareLogin } from '../../src-main/auth/index.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';

const PASSWORD = 'correct horse battery staple';

let dir: string;
let station: Station;
let server: StationServer;

/** Send `head` and then up to `bodyBytes` of body as fast as accepted; the status line and bytes sent. */
function send(head: string, bodyBytes = 0, chunked = false): Promise<{ status: number; text: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, sent });
    };
    const timer = setTimeout(finish, 30_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (bodyBytes === 0 && /\r\n\r\n/.test(text)) {
        const len = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
        if (text.length - text.indexOf('\r\n\r\n') - 4 >= len) finish();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.write(head);
    const block = Buffer.alloc(1 << 20, 0x61);
    const piece = chunked ? Buffer.concat([Buffer.from('100000\r\n'), block, Buffer.from('\r\n')]) : block;
    const pump = (): void => {
      while (!socket.destroyed && sent < bodyBytes) {
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

const head = (method: string, path: string, headers: Record<string, string>): string =>
  `${method} ${path} HTTP/1.1\r\n${Object.entries({ host: `127.0.0.1:${server.port}`, ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skys-sec-login-'));
  const dataDir = join(dir, 'station');
  station = await startStation({ dataDir, embeddedAgent: false, discovery: false });
  const auth = await prepareLogin(dataDir, { SKYSTATION_PASSWORD: PASSWORD });
  server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui'), auth });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await station?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the login boundary (issue 12)', () => {
  it('cuts off a login body far over its 4 KB limit, declared or chunked', async () => {
    const GB = 1 << 30;
    const declared = await send(head('POST', '/api/login', { 'content-length': String(GB) }), GB);
    const streamed = await send(head('POST', '/api/login', { 'transfer-encoding': 'chunked' }), GB, true);
    for (const r of [declared, streamed]) {
      expect(r.status).toBe(413);
      expect(r.text).toContain('payload_too_large');
      expect(r.sent).toBeLessThan(64 << 20);
    }
  }, 120_000);

  it('refuses a rebinding Host before the login page', async () => {
    const r = await send(head('GET', '/login', { host: 'attacker.example', connection: 'close' }));
    expect(r.status).toBe(403);
    expect(r.text).toContain('host_not_allowed');
  });

  it('still logs in with a normal body, and the session opens the WebSocket', async () => {
    const body = JSON.stringify({ password: PASSWORD });
    const r = await send(
      head('POST', '/api/login', {
        'content-type': 'application/json',
        'content-length': String(body.length),
        connection: 'close',
      }) + body,
    );
    expect(r.status).toBe(200);
    const cookie = /set-cookie: ([^;\r\n]+)/i.exec(r.text)?.[1];
    expect(cookie).toMatch(/^skystation_session=/);
    const refused = await send(
      head('GET', '/api/ws', {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      }),
    );
    expect(refused.status).toBe(401);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { headers: { cookie: cookie! } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
  });
});
