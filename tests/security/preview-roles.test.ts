/**
 * Live preview, roles and the connection limit against a real agent process
 * (issue 4, ObsCam seed 004).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  CaptureResponse,
  decodePreviewFrame,
  ErrorResponse,
  SessionResponse,
  type PreviewFrameHeader,
} from '../../agent/src/protocol/index.js';
import { startAgentProcess } from '../helpers/processes.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;
type Frame = PreviewFrameHeader & { jpeg: Buffer };

const SESSION_A = 'session-alpha-0001';
const SESSION_B = 'session-bravo-0002';

describe('live preview, roles and connection limits', () => {
  let dir: string;
  let agent: Agent;
  let base: string;
  const open: WebSocket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-roles-'));
    // Sessions expire after 1.5 s idle here so expiry can be tested (30 minutes by default).
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360'], {
      SKYSTATION_SESSION_IDLE_MS: '1500',
    });
    base = `http://127.0.0.1:${agent.port}`;
  }, 60_000);

  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: string,
    path: string,
    session: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { ...agent.auth };
    if (session) headers['x-skystation-session'] = session;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  const shot = { iso: 100, shutter_speed: '1/1000' };

  /** Opens a WebSocket; resolves with it once open, or with the refusal's status and JSON body. */
  function connect(
    path: string,
    headers: Record<string, string> = agent.auth,
  ): Promise<{ ws: WebSocket; frames: Frame[] } | { status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.port}${path}`, { headers });
      const frames: Frame[] = [];
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) frames.push(decodePreviewFrame(data));
      });
      ws.once('open', () => {
        open.push(ws);
        resolve({ ws, frames });
      });
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      ws.once('error', (err) => {
        if (!('unexpected' in err)) reject(err);
      });
    });
  }

  async function viewer(path = '/preview'): Promise<{ ws: WebSocket; frames: Frame[] }> {
    const r = await connect(path);
    if (!('ws' in r)) throw new Error(`refused: ${JSON.stringify(r.body)}`);
    return r;
  }

  it('streams 1280×720 JPEG frames with the documented header, and keeps streaming across a long still', async () => {
    const unauth = await connect('/preview', {});
    expect(unauth).toMatchObject({ status: 401 });

    const v = await viewer();
    await expect.poll(() => v.frames.length, { timeout: 15_000 }).toBeGreaterThan(5);
    const f = v.frames.at(-1)!;
    const meta = await sharp(f.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1280, height: 720 });
    expect(f.exposureUs).toBeGreaterThan(0);
    expect(Math.abs(f.capturedAtMs - Date.now())).toBeLessThan(60_000);
    for (let i = 1; i < v.frames.length; i++) {
      expect(v.frames[i]!.sequence).toBeGreaterThan(v.frames[i - 1]!.sequence);
      expect(v.frames[i]!.capturedAtMs).toBeGreaterThanOrEqual(v.frames[i - 1]!.capturedAtMs);
    }

    // A 20 s exposure (0.2 s at the tests' time scale) pauses the preview; it resumes afterwards.
    const r = await call('POST', '/capture', null, { iso: 800, shutter_speed: '20' });
    expect(r.status).toBe(200);
    expect(CaptureResponse.parse(r.body).settings_used.shutter_speed).toBe('20');
    const after = v.frames.length;
    await expect.poll(() => v.frames.length, { timeout: 15_000 }).toBeGreaterThan(after + 3);
    v.ws.close();
  });

  it('makes the first session master; observers cannot change anything until they force master', async () => {
    const a = SessionResponse.parse((await call('GET', '/api/session', SESSION_A)).body);
    expect(a).toMatchObject({ session_id: SESSION_A, role: 'master' });
    const b = SessionResponse.parse((await call('GET', '/api/session', SESSION_B)).body);
    expect(b).toMatchObject({ role: 'observer', master_session_id: SESSION_A });

    const denied = await call('POST', '/capture', SESSION_B, shot);
    expect(denied.status).toBe(403);
    expect(ErrorResponse.parse(denied.body).error.code).toBe('not_master');
    expect((await call('GET', '/status', SESSION_B)).status).toBe(200);
    expect((await call('POST', '/capture', SESSION_A, shot)).status).toBe(200);
    // The station (no session) is the agent's owner: roles never apply to it.
    expect((await call('POST', '/capture', null, shot)).status).toBe(200);

    const forced = SessionResponse.parse((await call('POST', `/api/force-master/${SESSION_B}`, SESSION_B)).body);
    expect(forced).toMatchObject({ role: 'master', master_session_id: SESSION_B, forced: true });
    expect((await call('POST', '/capture', SESSION_B, shot)).status).toBe(200);
    const aNow = await call('POST', '/capture', SESSION_A, shot);
    expect(ErrorResponse.parse(aNow.body).error.code).toBe('not_master');
    // Issue 12: a forced master must not lock the station out of live captures and deployments.
    const station = await call('POST', '/capture', null, shot);
    expect(station.status).toBe(200);
    expect(CaptureResponse.parse(station.body).capture_id).toBeTruthy();
    const bad = await call('POST', '/api/force-master/..%2F..%2Fx', SESSION_A);
    expect(bad.status).toBe(400);
    expect((await call('GET', '/status', 'bad session id')).status).toBe(400);

    // Once the forcing session is idle past the timeout, the force is over.
    await expect
      .poll(async () => (await call('GET', '/api/session', null)).body, { timeout: 15_000, interval: 300 })
      .toMatchObject({ role: 'master', forced: false });
    expect((await call('POST', '/capture', null, shot)).status).toBe(200);
  });

  it('allows 5 live connections (preview + events) and refuses the 6th with 503 too_many_connections', async () => {
    const sockets = [
      await viewer('/preview'),
      await viewer('/preview'),
      await viewer('/preview'),
      await viewer('/events'),
      await viewer(`/events?session=${SESSION_A}`),
    ];
    for (const path of ['/preview', '/events']) {
      const sixth = await connect(path);
      expect(sixth).toMatchObject({ status: 503 });
      expect(ErrorResponse.parse((sixth as { body: unknown }).body).error.code).toBe('too_many_connections');
    }
    const session = SessionResponse.parse((await call('GET', '/api/session', null)).body);
    expect(session).toMatchObject({ connections: 5, max_connections: 5 });
    const closed = new Promise((r) => sockets[0]!.ws.once('close', r));
    sockets[0]!.ws.close();
    await closed;
    await expect.poll(async () => 'ws' in (await connect('/events')), { timeout: 5_000 }).toBe(true);
    for (const s of sockets) s.ws.close();
  });

  it('stops cleanly (exit 0, not killed) while preview and event viewers are connected', async () => {
    for (const ws of open.splice(0)) ws.terminate();
    await expect
      .poll(async () => SessionResponse.parse((await call('GET', '/api/session', null)).body).connections)
      .toBe(0);
    await viewer('/preview');
    const events = await viewer('/events');
    expect(events.ws.readyState).toBe(WebSocket.OPEN);
    expect(await agent.stop()).toBe(0);
  });
});
