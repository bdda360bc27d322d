/**
 * The preview relay against a real simulated agent (in process, on loopback):
 * one upstream for many viewers, newest-frame-wins for slow ones, the upstream
 * closed with the last viewer, reconnection after the agent restarts, and the
 * browser route (WS /api/preview/<agentId>) on a real HTTP server, and the
 * camera's preview size and quality chosen by a viewer for all of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startAgent, type RunningAgent } from '../../agent/src/index.js';
import { decodePreviewFrame } from '../../agent/src/protocol/index.js';
import { AgentClient } from '../agents/agent-client.js';
import { PreviewRelay, type PreviewSink, type PreviewTextMessage } from './relay.js';

const NOON = new Date('2025-06-21T18:00:00Z');
const log = pino({ level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function agent(port = 0, dataDir?: string): Promise<RunningAgent> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'skys-relay-'));
  if (dataDir === undefined) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const a = await startAgent({
    dataDir: dir,
    host: '127.0.0.1',
    port,
    name: 'relay-cam',
    mdns: false,
    simTime: NOON,
    simWidth: 320,
    simHeight: 180,
    timeScale: 0.01,
    logLevel: 'silent',
  });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await a.close();
  });
  const close = a.close.bind(a);
  return {
    ...a,
    close: async () => {
      closed = true;
      await close();
    },
  };
}

function relayFor(a: { port: number; token: string; id: string }): PreviewRelay {
  const client = new AgentClient({ host: '127.0.0.1', port: a.port }, { token: a.token });
  const relay = new PreviewRelay({
    client: (id) => (id === a.id ? client : undefined),
    log,
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
  cleanups.push(() => relay.close());
  return relay;
}

/** The agent's own count of preview viewers, from its Prometheus metrics. */
async function agentPreviewClients(a: RunningAgent): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const m = /^skystation_preview_clients (\d+)/m.exec(text);
  if (!m?.[1]) throw new Error(`the agent's /metrics has no skystation_preview_clients:\n${text.slice(0, 400)}`);
  return Number(m[1]);
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface TestSink extends PreviewSink {
  frames: Buffer[];
  texts: PreviewTextMessage[];
  closedWith: number | null;
  busyNow: boolean;
}

function sink(): TestSink {
  const s: TestSink = {
    frames: [],
    texts: [],
    closedWith: null,
    busyNow: false,
    busy: () => s.busyNow,
    sendFrame: (f) => s.frames.push(f),
    sendText: (m) => s.texts.push(m),
    close: (code) => {
      s.closedWith = code;
    },
  };
  return s;
}

describe('PreviewRelay', () => {
  it('serves many viewers over ONE upstream connection and closes it with the last viewer', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const sinks = [sink(), sink(), sink(), sink(), sink()];
    const handles = sinks.map((s) => relay.subscribe(a.id, s));
    await until('every viewer to get 5 frames', () => sinks.every((s) => s.frames.length >= 5));
    expect(await agentPreviewClients(a)).toBe(1);
    expect(relay.stats()).toHaveLength(1);
    expect(relay.stats()[0]?.connects).toBe(1);
    // Frames are the agent's own: header then a JPEG, in sequence order.
    const f = decodePreviewFrame(sinks[0]!.frames.at(-1)!);
    expect(f.jpeg[0]).toBe(0xff);
    expect(f.jpeg[1]).toBe(0xd8);
    expect(Math.abs(f.capturedAtMs - Date.now())).toBeLessThan(60_000);
    const seqs = sinks[0]!.frames.map((b) => decodePreviewFrame(b).sequence);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(sinks[0]!.texts.some((t) => t.type === 'status' && t.state === 'live')).toBe(true);

    for (const h of handles.slice(1)) h.leave();
    const before = sinks[0]!.frames.length;
    await until('frames to keep coming for the remaining viewer', () => sinks[0]!.frames.length > before + 3);
    expect(await agentPreviewClients(a)).toBe(1);
    handles[0]!.leave();
    await until('the agent to see no viewer', async () => (await agentPreviewClients(a)) === 0);
    expect(relay.stats()).toHaveLength(0);
  });

  it('keeps the upstream for a moment after the last viewer, so a viewer coming straight back reuses it', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const first = sink();
    const leaveFirst = relay.subscribe(a.id, first);
    await until('a frame for the first page', () => first.frames.length > 0);
    leaveFirst.leave(); // e.g. one view unmounts as the next one mounts
    const next = sink();
    relay.subscribe(a.id, next);
    await until('frames for the next page', () => next.frames.length >= 5);
    expect(relay.stats()[0]?.connects).toBe(1);
    expect(await agentPreviewClients(a)).toBe(1);
  });

  it('skips frames for a busy viewer (newest wins) and for one with two unacknowledged frames', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const fast = sink();
    const slow = sink();
    const acking = sink();
    slow.busyNow = true;
    relay.subscribe(a.id, fast);
    relay.subscribe(a.id, slow);
    const ackHandle = relay.subscribe(a.id, acking);
    ackHandle.ack(); // opts in to acknowledgements (nothing in flight yet)
    await until('the fast viewer to get 10 frames', () => fast.frames.length >= 10);
    expect(slow.frames).toHaveLength(0);
    expect(acking.frames).toHaveLength(2);
    // The slow viewer frees up: it gets the newest frame, not the ones it missed.
    slow.busyNow = false;
    const newest = (): number => decodePreviewFrame(fast.frames.at(-1)!).sequence;
    const fastSeqBefore = newest();
    await until('the slow viewer to get a frame', () => slow.frames.length > 0);
    expect(decodePreviewFrame(slow.frames[0]!).sequence).toBeGreaterThan(fastSeqBefore);
    // Acknowledging one painted frame lets exactly one more through.
    ackHandle.ack();
    await until('one more frame for the acking viewer', () => acking.frames.length === 3);
    const stats = relay.stats()[0]!;
    expect(stats.viewers[1]!.skipped).toBeGreaterThan(0);
    expect(stats.viewers[2]!.skipped).toBeGreaterThan(0);
  });

  it('gives a viewer at a low frame rate fewer frames from the same upstream', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const full = sink();
    const wall = sink();
    relay.subscribe(a.id, full, 30);
    relay.subscribe(a.id, wall, 2);
    await until('20 frames at full rate', () => full.frames.length >= 20);
    expect(wall.frames.length).toBeGreaterThan(0);
    expect(wall.frames.length).toBeLessThan(full.frames.length);
    expect(relay.stats()[0]!.upstreamFps).toBe(30);
  });

  it('reconnects with backoff while viewers remain when the agent goes away and comes back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skys-relay-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await agent(0, dir);
    const relay = relayFor(first);
    const s = sink();
    relay.subscribe(first.id, s);
    await until('frames from the first agent', () => s.frames.length >= 3);
    await first.close();
    await until('a reconnecting status', () => s.texts.some((t) => t.type === 'status' && t.state === 'reconnecting'));
    const count = s.frames.length;
    const second = await agent(first.port, dir); // same data folder: same id and token
    await until('frames from the restarted agent', () => s.frames.length > count + 3);
    expect(relay.stats()[0]!.connects).toBeGreaterThan(1);
    expect(await agentPreviewClients(second)).toBe(1);
  });

  it('tells a viewer of an unknown camera why and closes it', () => {
    const relay = new PreviewRelay({ client: () => undefined, log });
    cleanups.push(() => relay.close());
    const s = sink();
    relay.subscribe('nope', s);
    expect(s.texts).toContainEqual(expect.objectContaining({ type: 'error', code: 'agent_not_found' }));
    expect(s.closedWith).toBe(4404);
    expect(relay.stats()).toHaveLength(0);
  });

  it('serves browsers on WS /api/preview/<agentId>: frames, acknowledgements, and a clear error for a bad id', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const server: Server = createServer((_req, res) => res.end());
    server.on('upgrade', (req, socket, head) => relay.accept(req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const port = (server.address() as AddressInfo).port;

    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/preview/${encodeURIComponent(a.id)}?fps=10`);
    const frames: Buffer[] = [];
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const frame = data as Buffer;
      frames.push(frame);
      ws.send(JSON.stringify({ ack: decodePreviewFrame(frame).sequence }));
    });
    await until('5 frames in the browser socket', () => frames.length >= 5);
    expect(relay.stats()[0]!.upstreamFps).toBe(10);
    ws.send(JSON.stringify({ fps: 20 }));
    await until('the upstream to follow the new rate', () => relay.stats()[0]?.upstreamFps === 20);
    ws.send('not json'); // ignored, the viewer stays
    ws.send(JSON.stringify({ fps: 999 })); // out of range: ignored
    const n = frames.length;
    await until('more frames', () => frames.length > n + 3);
    ws.close();
    await until(
      'the upstream to close',
      async () => relay.stats().length === 0 && (await agentPreviewClients(a)) === 0,
    );

    const bad = new WebSocket(`ws://127.0.0.1:${port}/api/preview/no-such-camera`);
    const texts: string[] = [];
    bad.on('message', (d: Buffer) => texts.push(d.toString('utf8')));
    const closeCode = await new Promise<number>((r) => bad.on('close', (code) => r(code)));
    expect(closeCode).toBe(4404);
    expect(JSON.parse(texts[0] ?? '{}')).toMatchObject({ type: 'error', code: 'agent_not_found' });
  });

  it('changes the camera preview size and quality for every viewer, with ISO in each frame header', async () => {
    const a = await agent();
    const relay = relayFor(a);
    const one = sink();
    const two = sink();
    const handle = relay.subscribe(a.id, one);
    relay.subscribe(a.id, two);
    await until('frames for both viewers', () => one.frames.length >= 3 && two.frames.length >= 3);
    const widthOf = async (b: Buffer): Promise<number> => (await sharp(decodePreviewFrame(b).jpeg).metadata()).width;
    expect(await widthOf(one.frames.at(-1)!)).toBe(1280);
    // The station asks for header version 2: the simulated camera's ISO rides along.
    expect(decodePreviewFrame(one.frames.at(-1)!).iso).toBeGreaterThanOrEqual(100);
    expect(relay.settingsOf(a.id)).toEqual({ width: 1280, quality: 70 });

    // Bad settings change nothing.
    expect(() => relay.setSettings(a.id, { width: 641 })).toThrow(/even/);
    expect(() => relay.setSettings(a.id, { quality: 20 })).toThrow(/quality|30/);
    expect(relay.settingsOf(a.id)).toEqual({ width: 1280, quality: 70 });

    handle.setSettings({ width: 640, quality: 40 });
    await until('640-wide frames for the OTHER viewer', async () => {
      const last = two.frames.at(-1);
      return last !== undefined && (await widthOf(last)) === 640;
    });
    expect(two.texts).toContainEqual(
      expect.objectContaining({ type: 'status', settings: { width: 640, quality: 40 } }),
    );
    const stats = relay.stats()[0]!;
    expect(stats.settings).toEqual({ width: 640, quality: 40 });
    expect(stats.connects).toBe(2);
    expect(await agentPreviewClients(a)).toBe(1);
    // The camera keeps them for the next viewer.
    expect(relay.settingsOf(a.id)).toEqual({ width: 640, quality: 40 });
  });
});
