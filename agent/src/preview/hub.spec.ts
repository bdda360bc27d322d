import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { CameraDriver, PreviewFrame, PreviewOptions } from '../camera/driver.js';
import { decodePreviewFrame } from '../protocol/index.js';
import { pausingPreview, PreviewHub } from './hub.js';

interface FakeSource {
  starts: number;
  active: number;
  produced: number;
  /** The options each start was given. */
  options: PreviewOptions[];
  source(options: PreviewOptions, signal: AbortSignal): AsyncIterable<PreviewFrame>;
}

function fakeSource(frameBytes = 1000, everyMs = 5): FakeSource {
  const f: FakeSource = {
    starts: 0,
    active: 0,
    produced: 0,
    options: [],
    async *source(options, signal) {
      f.starts++;
      f.options.push(options);
      f.active++;
      try {
        while (!signal.aborted) {
          await new Promise((r) => setTimeout(r, everyMs));
          if (signal.aborted) return;
          f.produced++;
          const jpeg = Buffer.alloc(frameBytes, f.produced & 0xff);
          jpeg[0] = 0xff;
          jpeg[1] = 0xd8;
          yield { jpeg, width: 8, height: 8, exposureUs: 1234, iso: 800, capturedAtMs: performance.now() };
        }
      } finally {
        f.active--;
      }
    },
  };
  return f;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(hub: PreviewHub): Promise<string> {
  const server: Server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => hub.accept(req, socket, head, new URL(req.url ?? '/', 'http://x')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    await hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/preview`;
}

/** The status and JSON error body an upgrade is refused with. */
async function refusal(
  url: string,
): Promise<{ status: number; body: { error: { code: string; message: string; field?: string } } }> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as never }));
      res.on('error', reject);
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

function viewer(url: string): { ws: WebSocket; frames: ReturnType<typeof decodePreviewFrame>[]; open: Promise<void> } {
  const ws = new WebSocket(url);
  const frames: ReturnType<typeof decodePreviewFrame>[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    expect(isBinary).toBe(true);
    frames.push(decodePreviewFrame(data));
  });
  const open = new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  cleanups.push(() => ws.terminate());
  return { ws, frames, open };
}

const log = pino({ level: 'silent' });

describe('preview hub', () => {
  it('shares one producer between viewers and stops it when the last one leaves', async () => {
    const src = fakeSource();
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log });
    const url = await serve(hub);
    const a = viewer(url);
    const b = viewer(url);
    await Promise.all([a.open, b.open]);
    await expect.poll(() => a.frames.length > 5 && b.frames.length > 5).toBe(true);
    expect(src.starts).toBe(1);
    expect(src.active).toBe(1);
    // Same producer: the two viewers see the same sequence numbers.
    const seqB = new Set(b.frames.map((f) => f.sequence));
    expect(a.frames.filter((f) => seqB.has(f.sequence)).length).toBeGreaterThan(3);
    const f = a.frames[0]!;
    expect(f.exposureUs).toBe(1234);
    expect(f.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(Math.abs(f.capturedAtMs - Date.now())).toBeLessThan(60_000);
    for (let i = 1; i < a.frames.length; i++) expect(a.frames[i]!.sequence).toBeGreaterThan(a.frames[i - 1]!.sequence);

    a.ws.close();
    await expect.poll(() => hub.viewerCount()).toBe(1);
    expect(hub.running()).toBe(true);
    b.ws.close();
    await expect.poll(() => src.active).toBe(0);
    expect(hub.running()).toBe(false);
  });

  it('pauses the preview while a still is taken and resumes afterwards', async () => {
    const src = fakeSource();
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log });
    const url = await serve(hub);
    const v = viewer(url);
    await v.open;
    await expect.poll(() => v.frames.length).toBeGreaterThan(2);
    let release!: () => void;
    let duringCount = -1;
    const camera = {
      driver: 'fake',
      capture: async () => {
        duringCount = src.active;
        const before = v.frames.length;
        await new Promise<void>((r) => (release = r));
        return { framesDuring: v.frames.length - before };
      },
    } as unknown as CameraDriver;
    const wrapped = pausingPreview(camera, hub);
    expect(wrapped.driver).toBe('fake');
    const capture = wrapped.capture({} as never) as unknown as Promise<{ framesDuring: number }>;
    await expect.poll(() => duringCount).toBe(0);
    expect(hub.running()).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect((await capture).framesDuring).toBe(0);
    expect(hub.running()).toBe(true);
    const after = v.frames.length;
    await expect.poll(() => v.frames.length).toBeGreaterThan(after + 2);
    expect(src.starts).toBe(2);
  });

  it('never queues for a slow viewer: it skips frames and gets the newest one when it catches up', async () => {
    const frameBytes = 512 * 1024;
    const src = fakeSource(frameBytes, 2);
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log, fps: 30 });
    const url = await serve(hub);
    const slow = viewer(url);
    await slow.open;
    // Stop reading: the kernel buffers fill and the agent must start skipping.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await expect.poll(() => hub.stats()[0]?.skipped ?? 0, { timeout: 10_000 }).toBeGreaterThan(30);
    const stats = hub.stats()[0]!;
    // At most the frame it was writing when the socket backed up is ever left in memory.
    // (one message: our 16-byte header, the JPEG, and up to 10 bytes of WebSocket framing).
    expect(stats.maxBuffered).toBeLessThanOrEqual(16 + frameBytes + 10);
    expect(src.produced - stats.sent).toBeGreaterThan(30);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const producedAtResume = src.produced;
    await expect.poll(() => slow.frames.at(-1)?.sequence ?? -1, { timeout: 10_000 }).toBeGreaterThan(producedAtResume);
  });

  it('refuses bad size, quality, rate or header values with HTTP 400 before any viewer joins', async () => {
    const src = fakeSource();
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log });
    const url = await serve(hub);
    for (const [query, field] of [
      ['width=100', 'width'],
      ['width=1921', 'width'],
      ['width=641', 'width'],
      ['width=wide', 'width'],
      ['quality=29', 'quality'],
      ['quality=96', 'quality'],
      ['quality=7.5', 'quality'],
      ['fps=0', 'fps'],
      ['fps=31', 'fps'],
      ['header=3', 'header'],
    ] as const) {
      const r = await refusal(`${url}?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.field).toBe(field);
      expect(r.body.error.message).toContain(field);
    }
    expect(hub.viewerCount()).toBe(0);
    expect(src.starts).toBe(0);
    expect(hub.settings()).toEqual({ width: 1280, height: 720, quality: 70 });
  });

  it('restarts the producer at the size and quality a viewer asks for; every viewer gets the new frames', async () => {
    const src = fakeSource();
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log });
    const url = await serve(hub);
    const a = viewer(url);
    await a.open;
    await expect.poll(() => a.frames.length).toBeGreaterThan(2);
    expect(src.options[0]).toMatchObject({ width: 1280, height: 720, quality: 70 });
    // A second viewer asking for 640 wide at quality 40: one producer, restarted with them.
    const b = viewer(`${url}?width=640&quality=40`);
    await b.open;
    await expect.poll(() => src.starts).toBe(2);
    expect(src.options[1]).toMatchObject({ width: 640, height: 360, quality: 40 });
    expect(src.active).toBe(1);
    const before = a.frames.length;
    await expect.poll(() => a.frames.length).toBeGreaterThan(before + 2);
    // A viewer that asks for nothing takes the stream as it is.
    const c = viewer(url);
    await c.open;
    await expect.poll(() => c.frames.length).toBeGreaterThan(2);
    expect(src.starts).toBe(2);
    expect(hub.settings()).toEqual({ width: 640, height: 360, quality: 40 });
    // The same settings again change nothing.
    expect(hub.configure({ width: 640, quality: 40 })).toBe(false);
  });

  it('sends the version-2 header with ISO only to a viewer that asks for it', async () => {
    const src = fakeSource();
    const hub = new PreviewHub({ source: (o, s) => src.source(o, s), log });
    const url = await serve(hub);
    const old = viewer(url);
    const v2 = viewer(`${url}?header=2`);
    const raw: Buffer[] = [];
    v2.ws.on('message', (d: Buffer) => raw.push(d));
    await Promise.all([old.open, v2.open]);
    await expect.poll(() => old.frames.length > 2 && v2.frames.length > 2).toBe(true);
    expect(old.frames[0]!.iso).toBeNull();
    expect(old.frames[0]!.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(v2.frames[0]!).toMatchObject({ iso: 800, gain: null, exposureUs: 1234 });
    expect(v2.frames[0]!.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(raw[0]![16]).toBe(2);
    expect(raw[0]!.length).toBe(24 + 1000);
  });
});
