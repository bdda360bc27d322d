/**
 * The live preview (WS /preview): one producer shared by every viewer, started
 * by the first viewer and stopped when the last one leaves. Frames go out as
 * binary messages (layout in ../protocol/index.ts). A viewer whose socket still
 * holds unsent data skips frames, so a slow client always gets the newest
 * frame and nothing queues up. Stills pause the producer while the camera
 * takes them (ObsCam's dual mode) and resume it afterwards.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { CameraDriver, PreviewFrame, PreviewOptions } from '../camera/driver.js';
import { encodePreviewHeader } from '../protocol/index.js';
import type { Logger } from '../util/log.js';
import { LazyWebSocketServer } from '../util/ws.js';

export type PreviewSource = (options: PreviewOptions, signal: AbortSignal) => AsyncIterable<PreviewFrame>;

export interface PreviewHubOptions {
  source: PreviewSource;
  log: Logger;
  width?: number;
  height?: number;
  fps?: number;
  /** Bytes a viewer may have unsent before frames are skipped for it. */
  maxBufferedBytes?: number;
}

interface Viewer {
  ws: WebSocket;
  minIntervalMs: number;
  lastSentAt: number;
  sent: number;
  skipped: number;
  maxBuffered: number;
}

export const PREVIEW_MAX_FPS = 30;

export class PreviewHub {
  private readonly wss = new LazyWebSocketServer({ noServer: true, maxPayload: 1024 });
  private readonly viewers = new Set<Viewer>();
  private producer: { abort: AbortController; done: Promise<void> } | null = null;
  private pauses = 0;
  private sequence = 0;
  private closed = false;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly maxBuffered: number;

  constructor(private readonly opts: PreviewHubOptions) {
    this.width = opts.width ?? 1280;
    this.height = opts.height ?? 720;
    this.fps = Math.min(PREVIEW_MAX_FPS, opts.fps ?? PREVIEW_MAX_FPS);
    this.maxBuffered = opts.maxBufferedBytes ?? 1;
  }

  viewerCount(): number {
    return this.viewers.size;
  }

  running(): boolean {
    return this.producer !== null;
  }

  /** Per-viewer counters: frames sent and skipped, and the most bytes ever left unsent. */
  stats(): { sent: number; skipped: number; maxBuffered: number }[] {
    return [...this.viewers].map((v) => ({ sent: v.sent, skipped: v.skipped, maxBuffered: v.maxBuffered }));
  }

  /** Completes an already-authorised upgrade; `?fps=N` (1–30) limits this viewer's rate. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const asked = Number(url.searchParams.get('fps') ?? this.fps);
    const fps = Number.isFinite(asked) ? Math.max(1, Math.min(this.fps, asked)) : this.fps;
    this.wss.get().handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.close(1001, 'agent shutting down');
        return;
      }
      // A viewer at the producer's rate takes every frame; a slower one gets a quarter frame of slack for jitter.
      const viewer: Viewer = {
        ws,
        minIntervalMs: fps >= this.fps ? 0 : (1000 / fps) * 0.75,
        lastSentAt: 0,
        sent: 0,
        skipped: 0,
        maxBuffered: 0,
      };
      this.viewers.add(viewer);
      ws.on('error', () => undefined);
      ws.on('message', () => undefined);
      ws.once('close', () => {
        this.viewers.delete(viewer);
        if (this.viewers.size === 0) void this.stop();
      });
      this.start();
    });
  }

  /**
   * Runs `fn` (a still capture) with the preview paused: the producer is
   * stopped before and restarted after, if anyone is still watching.
   */
  async pauseDuring<T>(fn: () => Promise<T>): Promise<T> {
    this.pauses++;
    try {
      await this.stop();
      return await fn();
    } finally {
      this.pauses--;
      this.start();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const v of this.viewers) v.ws.terminate();
    this.viewers.clear();
    await this.stop();
    this.wss.made?.close();
  }

  private start(): void {
    if (this.closed || this.producer !== null || this.pauses > 0 || this.viewers.size === 0) return;
    const abort = new AbortController();
    const done = this.produce(abort.signal).catch((err: unknown) => {
      this.opts.log.warn({ err }, 'live preview stopped after an error');
    });
    this.producer = { abort, done };
    void done.then(() => {
      if (this.producer?.abort === abort) this.producer = null;
      // The source ended on its own (not stopped by us): try again if people still watch.
      if (!abort.signal.aborted && this.viewers.size > 0 && !this.closed) {
        setTimeout(() => this.start(), 1000).unref();
      }
    });
  }

  private async stop(): Promise<void> {
    const p = this.producer;
    if (!p) return;
    this.producer = null;
    p.abort.abort();
    await p.done;
  }

  private async produce(signal: AbortSignal): Promise<void> {
    const frames = this.opts.source({ width: this.width, height: this.height, fps: this.fps }, signal);
    for await (const frame of frames) {
      if (signal.aborted) break;
      this.deliver(frame);
    }
  }

  private deliver(frame: PreviewFrame): void {
    const header = encodePreviewHeader({
      sequence: this.sequence++,
      capturedAtMs: performance.timeOrigin + frame.capturedAtMs,
      exposureUs: frame.exposureUs,
    });
    const message = Buffer.concat([header, frame.jpeg]);
    const now = performance.now();
    for (const v of this.viewers) {
      if (v.ws.readyState !== v.ws.OPEN) continue;
      v.maxBuffered = Math.max(v.maxBuffered, v.ws.bufferedAmount);
      if (now - v.lastSentAt < v.minIntervalMs || v.ws.bufferedAmount >= this.maxBuffered) {
        v.skipped++;
        continue;
      }
      v.lastSentAt = now;
      v.sent++;
      v.ws.send(message, { binary: true });
    }
  }
}

/** The preview source for a camera: its own previewFrames(), or the simulated one; null when it has none. */
export function previewSourceFor(camera: CameraDriver, simulated: PreviewSource | null): PreviewSource | null {
  if (camera.previewFrames) return (options, signal) => camera.previewFrames!(options, signal);
  if (camera.driver === 'simulated') return simulated;
  return null;
}

/** Wraps a camera so every still capture pauses the live preview (dual mode). */
export function pausingPreview(camera: CameraDriver, hub: PreviewHub): CameraDriver {
  return new Proxy(camera, {
    get(target, prop) {
      if (prop === 'capture') {
        const capture: CameraDriver['capture'] = (settings, signal) =>
          hub.pauseDuring(() => target.capture(settings, signal));
        return capture;
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
