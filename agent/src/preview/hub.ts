/**
 * The live preview (WS /preview): one producer shared by every viewer, started
 * by the first viewer and stopped when the last one leaves. Frames go out as
 * binary messages (layout in ../protocol/index.ts). A viewer whose socket still
 * holds unsent data skips frames, so a slow client always gets the newest
 * frame and nothing queues up. Stills pause the producer while the camera
 * takes them (ObsCam's dual mode) and resume it afterwards.
 *
 * Size and JPEG quality belong to the producer (a camera runs one preview
 * stream): a viewer asking `?width=&quality=` other than the current ones
 * restarts the producer with them, and every viewer gets the new frames.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { CameraDriver, PreviewFrame, PreviewOptions } from '../camera/driver.js';
import {
  encodePreviewHeader,
  PREVIEW_DEFAULT_QUALITY,
  PreviewQuery,
  type PreviewQuery as PreviewQueryT,
} from '../protocol/index.js';
import { AgentSecurity } from '../auth/security.js';
import { ValidationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { LazyWebSocketServer } from '../util/ws.js';

export type PreviewSource = (options: PreviewOptions, signal: AbortSignal) => AsyncIterable<PreviewFrame>;

export interface PreviewHubOptions {
  source: PreviewSource;
  log: Logger;
  /** The size the producer starts with; viewers may change the width (the aspect ratio stays). */
  width?: number;
  height?: number;
  fps?: number;
  /** JPEG quality the producer starts with (30–95). */
  quality?: number;
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
  /** Header version this viewer asked for (1: 16 bytes, 2: with ISO/gain). */
  header: 1 | 2;
}

export interface PreviewSettings {
  width: number;
  height: number;
  quality: number;
}

export const PREVIEW_MAX_FPS = 30;

/**
 * Parses the /preview query; throws a ValidationError (HTTP 400) naming the
 * first bad parameter.
 */
export function parsePreviewQuery(url: URL): PreviewQueryT {
  const raw: Record<string, string> = {};
  for (const key of ['fps', 'width', 'quality', 'header'] as const) {
    const v = url.searchParams.get(key);
    if (v !== null) raw[key] = v;
  }
  const parsed = PreviewQuery.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    throw new ValidationError(`Bad live preview parameter: ${issue.message}.`, field);
  }
  return parsed.data;
}

export class PreviewHub {
  private readonly wss = new LazyWebSocketServer({ noServer: true, maxPayload: 1024 });
  private readonly viewers = new Set<Viewer>();
  private producer: { abort: AbortController; done: Promise<void> } | null = null;
  private pauses = 0;
  /** The producer being stopped, while it finishes. */
  private stopping: Promise<void> | null = null;
  private sequence = 0;
  private closed = false;
  private settingsNow: PreviewSettings;
  private readonly aspect: number;
  readonly fps: number;
  private readonly maxBuffered: number;

  constructor(private readonly opts: PreviewHubOptions) {
    const width = opts.width ?? 1280;
    const height = opts.height ?? 720;
    this.aspect = height / width;
    this.settingsNow = { width, height, quality: opts.quality ?? PREVIEW_DEFAULT_QUALITY };
    this.fps = Math.min(PREVIEW_MAX_FPS, opts.fps ?? PREVIEW_MAX_FPS);
    this.maxBuffered = opts.maxBufferedBytes ?? 1;
  }

  /** The producer's size and quality now. */
  settings(): PreviewSettings {
    return { ...this.settingsNow };
  }

  get width(): number {
    return this.settingsNow.width;
  }

  get height(): number {
    return this.settingsNow.height;
  }

  /**
   * Changes the producer's size or quality; a running producer restarts with
   * them (its viewers stay and get the new frames). Returns whether anything changed.
   */
  configure(asked: { width?: number | undefined; quality?: number | undefined }): boolean {
    const width = asked.width ?? this.settingsNow.width;
    // Even heights: JPEG 4:2:0 and the camera programs want them.
    const height =
      asked.width === undefined ? this.settingsNow.height : Math.max(2, Math.round((width * this.aspect) / 2) * 2);
    const quality = asked.quality ?? this.settingsNow.quality;
    const now = this.settingsNow;
    if (width === now.width && height === now.height && quality === now.quality) return false;
    this.settingsNow = { width, height, quality };
    // stop() starts the new producer once the old one has finished.
    if (this.producer !== null) void this.stop();
    return true;
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

  /**
   * Completes an already-authorised upgrade: `?fps=N` (1–30) limits this
   * viewer's rate, `width` and `quality` set the producer's (see configure()),
   * `header=2` asks for the header with ISO/gain. A bad value is answered
   * with HTTP 400 before the upgrade.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    let query: PreviewQueryT;
    try {
      query = parsePreviewQuery(url);
    } catch (err) {
      AgentSecurity.rejectUpgrade(socket, err as ValidationError);
      return;
    }
    const fps = Math.min(this.fps, query.fps ?? this.fps);
    this.wss.get().handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.close(1001, 'agent shutting down');
        return;
      }
      this.configure({ width: query.width, quality: query.quality });
      // A viewer at the producer's rate takes every frame; a slower one gets a quarter frame of slack for jitter.
      const viewer: Viewer = {
        ws,
        minIntervalMs: fps >= this.fps ? 0 : (1000 / fps) * 0.75,
        lastSentAt: 0,
        sent: 0,
        skipped: 0,
        maxBuffered: 0,
        header: query.header === 2 ? 2 : 1,
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
    if (this.closed || this.producer !== null || this.stopping || this.pauses > 0 || this.viewers.size === 0) return;
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

  /**
   * Stops the producer. Until it has finished no new one starts (a camera runs
   * one stream: rpicam-vid would find the camera busy); afterwards one starts
   * again if anyone still watches and nothing holds it paused.
   */
  private async stop(): Promise<void> {
    const p = this.producer;
    if (!p) return this.stopping ?? undefined;
    this.producer = null;
    p.abort.abort();
    const stopping = p.done.then(() => {
      if (this.stopping === stopping) this.stopping = null;
      this.start();
    });
    this.stopping = stopping;
    await stopping;
  }

  private async produce(signal: AbortSignal): Promise<void> {
    const { width, height, quality } = this.settingsNow;
    const frames = this.opts.source({ width, height, fps: this.fps, quality }, signal);
    for await (const frame of frames) {
      if (signal.aborted) break;
      this.deliver(frame);
    }
  }

  private deliver(frame: PreviewFrame): void {
    const header = {
      sequence: this.sequence++,
      capturedAtMs: performance.timeOrigin + frame.capturedAtMs,
      exposureUs: frame.exposureUs,
      iso: frame.iso ?? null,
      gain: frame.gain ?? null,
    };
    // Each header version's message is built once, when a viewer first needs it.
    const messages: Partial<Record<1 | 2, Buffer>> = {};
    const messageFor = (version: 1 | 2): Buffer =>
      (messages[version] ??= Buffer.concat([encodePreviewHeader(header, version), frame.jpeg]));
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
      v.ws.send(messageFor(v.header), { binary: true });
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
