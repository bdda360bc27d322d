import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AgentView, CaptureView, StationEvent } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { wsText } from '../../src-main/util/ws-text.js';
import { startAgentProcess, until } from '../helpers/processes.js';

describe('a real brain with real agent processes', () => {
  /** The embedded agent's admin token, which the station also uses (issue 4). */
  const embeddedToken = (): string =>
    readFileSync(join(dir, 'station', 'embedded-agent', 'auth', 'admin.token'), 'utf8').trim();
  let dir: string;
  let station: Station;
  let server: StationServer;
  const events: StationEvent[] = [];
  let second: Awaited<ReturnType<typeof startAgentProcess>> | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-int-'));
    process.env['SKYSTATION_SIM_TIME_SCALE'] = '0.01';
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: 'auto', pollIntervalMs: 500 });
    station.onEvent((e) => events.push(e));
    server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await station?.close();
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts and pairs an embedded simulated agent when none is configured', async () => {
    const agents = await until(
      () => station.call('listAgents'),
      (a) => a.length === 1 && a[0]?.state === 'online',
    );
    expect(agents[0]?.embedded).toBe(true);
    expect(agents[0]?.host).toBe('127.0.0.1');
    expect(agents[0]?.cameraModel).toMatch(/simulat/i);
  });

  it('captures through the agent, copies the verified image, thumbnails and indexes it, and acknowledges it', async () => {
    const [agent] = await station.call('listAgents');
    const capture: CaptureView = await station.call('captureNow', { agentId: agent!.id });

    const image = readFileSync(join(station.mediaDir, capture.imagePath));
    expect(createHash('sha256').update(image).digest('hex')).toBe(capture.sha256);
    expect(image.length).toBe(capture.sizeBytes);
    const meta = await sharp(join(station.mediaDir, capture.imagePath)).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(capture.width);
    const thumb = await sharp(join(station.mediaDir, capture.thumbPath)).metadata();
    expect(thumb.width).toBe(320);

    const page = await station.call('listCaptures', { agentId: agent!.id });
    expect(page.items.map((c) => c.id)).toContain(capture.id);
    expect(events.some((e) => e.event === 'capture.added' && e.data.id === capture.id)).toBe(true);
    // The UI heard the exposure start, with its length, before the image arrived (its countdown).
    const started = events.findIndex((e) => e.event === 'capture.started' && e.data.agentId === agent!.id);
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(events.findIndex((e) => e.event === 'capture.added' && e.data.id === capture.id));
    const s = events[started];
    expect(s?.event === 'capture.started' ? s.data.exposureSeconds : null).toBeCloseTo(
      Number(capture.shutterSpeed?.startsWith('1/') ? 1 / Number(capture.shutterSpeed.slice(2)) : capture.shutterSpeed),
      3,
    );

    const client = new AgentClient({ host: agent!.host, port: agent!.port }, { token: embeddedToken() });
    const status = await client.status();
    expect(status.captures.unsynced).toBe(0);
  });

  it('imports a capture made behind its back (event stream) exactly once', async () => {
    const [agent] = await station.call('listAgents');
    const client = new AgentClient({ host: agent!.host, port: agent!.port }, { token: embeddedToken() });
    const before = (await station.call('health')).captures;
    const r = await client.capture({ iso: 200, shutter_speed: '1/250' });
    await until(
      () => station.call('listCaptures', { agentId: agent!.id }),
      (p) => p.items.some((c) => c.id.endsWith(`/${r.capture_id}`)),
    );
    await station.call('syncAgent', { agentId: agent!.id });
    expect((await station.call('health')).captures).toBe(before + 1);
  });

  it('adds a second agent by host and port and sees it go offline when it stops', async () => {
    second = await startAgentProcess(join(dir, 'agent2'), ['--name', 'valley']);
    const view: AgentView = await station.call('addAgent', {
      host: '127.0.0.1',
      port: second.port,
      token: second.token,
    });
    expect(view.name).toBe('valley');
    expect(view.state).toBe('online');
    const c = await station.call('captureNow', { agentId: view.id });
    expect(c.agentName).toBe('valley');
    await second.stop();
    await until(
      () => station.call('listAgents'),
      (a) => a.find((x) => x.id === view.id)?.state === 'offline',
    );
  });

  it('rejects bad parameters with a message naming the field, and unknown methods', async () => {
    const bad = await station.dispatch('captureNow', { agentId: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(!bad.ok && bad.error.message).toMatch(/agentId/);
    const extra = await station.dispatch('listCaptures', { limit: 10, color: 'red' });
    expect(extra.ok).toBe(false);
    expect(await station.dispatch('rm -rf', {})).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    const unknown = await station.dispatch('captureNow', { agentId: 'no-such-agent' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'agent_unknown' } });
  });

  it('serves /api/health and the API over WebSocket with pushed events', async () => {
    const res = await fetch(`${server.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, result: { status: 'ok' } });

    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const messages: unknown[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(wsText(d))));
    ws.send(JSON.stringify({ id: 7, method: 'listAgents', params: {} }));
    const reply = await until(
      () => messages.find((m) => (m as { id?: number }).id === 7) as { ok: boolean; result: AgentView[] } | undefined,
      (m) => m !== undefined,
    );
    expect(reply!.ok).toBe(true);
    const agentId = reply!.result.find((a) => a.embedded)!.id;
    ws.send(JSON.stringify({ id: 8, method: 'captureNow', params: { agentId } }));
    await until(
      () => messages.some((m) => (m as { event?: string }).event === 'capture.added'),
      (v) => v,
      20_000,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^skystation_station_captures_imported_total [1-9]/m);
    expect(metrics).toMatch(/^skystation_station_agents\{state="online"\} [1-9]/m);
    const media = await fetch(`${server.url}/media/../gallery.sqlite`);
    expect(media.status).not.toBe(200);
    ws.close();
  });
});
