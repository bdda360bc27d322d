/**
 * The live preview relay (issue 14): the station opens ONE upstream WebSocket
 * to an agent's /preview and fans its frames out to any number of viewers
 * (browser pages on WS /api/preview/<agentId>, desktop windows over IPC), so UI
 * windows never spend the agent's five connections.
 *
 * - Frames are forwarded unchanged: the agent's header (sequence, capture
 *   time, exposure and, version 2, ISO/gain; agent/src/protocol) followed by
 *   the JPEG. The upstream asks for header version 2; an older agent answers
 *   with version 1, which the page decodes as well.
 * - Size and JPEG quality are the agent's stream's (a camera runs one): the
 *   relay keeps them per agent (for as long as the station runs), any viewer
 *   may change them, which reopens the upstream, and every viewer of that
 *   camera gets the new frames and a status with the new settings.
 * - Newest frame wins: a viewer whose socket still holds unsent bytes, or
 *   (when it acknowledges frames) already has two frames in flight, skips the
 *   frame; nothing is queued, so on a slow link the frame rate drops instead of
 *   latency growing.
 * - The upstream asks the agent for the highest frame rate any viewer wants;
 *   each viewer gets at most its own rate. It closes a second after the last
 *   viewer leaves (so moving from the wall to a preview keeps the camera's
 *   stream) and reconnects with backoff while viewers remain.
 * - Viewers also get JSON text messages: {type:'status', state, message?,
 *   upstreamFps, viewers} when the upstream changes state, and
 *   {type:'error', code, message} before the relay closes them.
 * - A viewer may send JSON text: {ack: seq} after painting a frame,
 *   {fps: N} to change its rate, and {settings: {width?, quality?}} to change
 *   the camera's preview size (PREVIEW_WIDTH_PRESETS or any even width
 *   160–1920) and JPEG quality (30–95); a bad message is ignored, as is any
 *   malformed text.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import {
  PREVIEW_DEFAULT_QUALITY,
  PREVIEW_MAX_QUALITY,
  PREVIEW_MAX_WIDTH,
  PREVIEW_MIN_QUALITY,
  PREVIEW_MIN_WIDTH,
} from '../../agent/src/protocol/index.js';
import type { AgentClient } from '../agents/agent-client.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { wsText } from '../util/ws-text.js';
import { Backoff } from '../../agent/src/util/backoff.js';

export const PREVIEW_MAX_FPS = 30;
/** The browser route: WS /api/preview/<agentId>[?fps=N]. */
export const PREVIEW_PATH_PREFIX = '/api/preview/';
/** Frames a viewer that acknowledges may have sent but not yet painted. */
export const PREVIEW_FRAMES_IN_FLIGHT = 2;

export type UpstreamState = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

/** The camera's preview size and JPEG quality, as the station asks the agent for them. */
export interface PreviewSettings {
  width: number;
  quality: number;
}
export const DEFAULT_PREVIEW_SETTINGS: PreviewSettings = { width: 1280, quality: PREVIEW_DEFAULT_QUALITY };

export type PreviewStatusMessage = {
  type: 'status';
  state: UpstreamState;
  message?: string;
  upstreamFps: number;
  viewers: number;
  settings: PreviewSettings;
};
export type PreviewErrorMessage = { type: 'error'; code: string; message: string };
export type PreviewTextMessage = PreviewStatusMessage | PreviewErrorMessage;

export const PreviewSettingsChange = z
  .strictObject({
    width: z
      .number()
      .int()
      .min(PREVIEW_MIN_WIDTH)
      .max(PREVIEW_MAX_WIDTH)
      .refine((w) => w % 2 === 0, 'width must be even')
      .optional(),
    quality: z.number().int().min(PREVIEW_MIN_QUALITY).max(PREVIEW_MAX_QUALITY).optional(),
  })
  .refine((s) => s.width !== undefined || s.quality !== undefined, 'give a width or a quality');

/** What a viewer may send: an acknowledgement of a painted frame, a new frame rate, or new camera settings. */
export const PreviewViewerMessage = z.union([
  z.strictObject({ ack: z.number().int().nonnegative() }),
  z.strictObject({ fps: z.number().int().min(1).max(PREVIEW_MAX_FPS) }),
  z.strictObject({ settings: PreviewSettingsChange }),
]);

/**
 * Applies one text message from a viewer (WebSocket or IPC) to its handle;
 * anything malformed or invalid is ignored.
 */
export function applyViewerText(handle: ViewerHandle, text: string): void {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return;
  }
  const r = PreviewViewerMessage.safeParse(raw);
  if (!r.success) return;
  const msg = r.data;
  if ('ack' in msg) handle.ack();
  else if ('fps' in msg) handle.setFps(msg.fps);
  else handle.setSettings(msg.settings);
}

/** One viewer, whatever carries its frames (a WebSocket, Electron IPC, a test). */
export interface PreviewSink {
  /** True while the transport still holds unsent data: the frame is skipped for this viewer. */
  busy(): boolean;
  sendFrame(frame: Buffer): void;
  sendText(message: PreviewTextMessage): void;
  close(code: number, reason: string): void;
}

export interface ViewerHandle {
  /** The viewer painted a frame (enables flow control by acknowledgement). */
  ack(): void;
  setFps(fps: number): void;
  /** Changes the camera's preview size or quality for every viewer of it (reopens the upstream). */
  setSettings(change: Partial<PreviewSettings>): void;
  /** Leave; the upstream closes when the last viewer has left. */
  leave(): void;
}

export interface PreviewRelayOptions {
  /** The agent client (token, TLS pin) for an agent id; undefined when the station does not know it. */
  client: (agentId: string) => AgentClient | undefined;
  log: Logger;
  /** Registers relay metrics (frames, upstreams, viewers) on the station's registry. */
  registry?: Registry;
  /**
   * How long the upstream stays open after the last viewer left (default 1 s),
   * so going from the wall to a camera's preview does not restart the camera's stream.
   */
  lingerMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Viewer {
  sink: PreviewSink;
  fps: number;
  minIntervalMs: number;
  lastSentAt: number;
  acking: boolean;
  inFlight: number;
  sent: number;
  skipped: number;
}

export interface UpstreamStats {
  agentId: string;
  state: UpstreamState;
  upstreamFps: number;
  settings: PreviewSettings;
  /** Upstream WebSockets opened to the agent since the relay started watching it. */
  connects: number;
  framesIn: number;
  bytesIn: number;
  viewers: { fps: number; sent: number; skipped: number }[];
}

const fpsOf = (n: number): number => Math.max(1, Math.min(PREVIEW_MAX_FPS, Math.round(n)));

class Upstream {
  readonly viewers = new Set<Viewer>();
  state: UpstreamState = 'connecting';
  message: string | undefined;
  fps = 0;
  /** The settings the open upstream was asked for. */
  openedWith: PreviewSettings | null = null;
  connects = 0;
  framesIn = 0;
  bytesIn = 0;
  private ws: WebSocket | null = null;
  private retry: NodeJS.Timeout | null = null;
  private refps: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private closed = false;

  constructor(
    readonly agentId: string,
    private readonly relay: PreviewRelay,
    private readonly opts: Required<Pick<PreviewRelayOptions, 'minBackoffMs' | 'maxBackoffMs'>> & PreviewRelayOptions,
  ) {
    this.backoff = new Backoff(opts.minBackoffMs, opts.maxBackoffMs);
  }

  wantedFps(): number {
    let fps = 1;
    for (const v of this.viewers) fps = Math.max(fps, v.fps);
    return fps;
  }

  private settled(): boolean {
    const s = this.relay.settingsOf(this.agentId);
    const o = this.openedWith;
    return this.wantedFps() === this.fps && o !== null && o.width === s.width && o.quality === s.quality;
  }

  /** (Re)opens the upstream at the rate viewers want and the camera's settings, if either differs from the current one. */
  fpsChanged(): void {
    if (this.closed || this.ws === null || this.settled()) return;
    // Debounced: five pages opening at once reopen the upstream once.
    if (this.refps) clearTimeout(this.refps);
    this.refps = setTimeout(() => {
      this.refps = null;
      if (this.closed || this.settled()) return;
      this.disconnect();
      this.connect();
    }, 150);
    this.refps.unref();
  }

  connect(): void {
    if (this.closed || this.ws !== null) return;
    const client = this.opts.client(this.agentId);
    if (!client) {
      this.fail('agent_not_found', `The station knows no camera with the id ${this.agentId}.`);
      return;
    }
    this.fps = this.wantedFps();
    const settings = this.relay.settingsOf(this.agentId);
    this.openedWith = settings;
    const url = `${client.baseUrl.replace(/^http/, 'ws')}/preview?fps=${this.fps}&width=${settings.width}&quality=${settings.quality}&header=2`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { handshakeTimeout: 5_000, perMessageDeflate: false, ...client.wsOptions() });
    } catch (err) {
      this.scheduleRetry(`Cannot open the live preview: ${errorMessage(err)}`);
      return;
    }
    this.ws = ws;
    this.connects++;
    this.relay.metricConnects?.inc();
    ws.binaryType = 'nodebuffer';
    let refused: string | null = null;
    ws.on('unexpected-response', (_req, res) => {
      refused =
        res.statusCode === 409
          ? 'This camera has no live preview.'
          : res.statusCode === 401 || res.statusCode === 403
            ? 'The camera refused the station (pair it again).'
            : res.statusCode === 503
              ? 'The camera has no free connection for the live preview.'
              : `The camera answered HTTP ${res.statusCode ?? '?'} to the live preview.`;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      this.backoff.reset();
      this.setState('live');
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return;
      const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (frame.length < 18) return;
      this.deliver(frame);
    });
    ws.on('error', (err) => {
      this.message = errorMessage(err);
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      this.scheduleRetry(refused ?? 'The live preview from the camera stopped; reconnecting…');
    });
    this.setState(this.connects === 1 ? 'connecting' : 'reconnecting');
  }

  private deliver(frame: Buffer): void {
    this.framesIn++;
    this.bytesIn += frame.length;
    this.relay.metricFramesIn?.inc();
    const now = performance.now();
    for (const v of this.viewers) {
      if (
        now - v.lastSentAt < v.minIntervalMs ||
        (v.acking && v.inFlight >= PREVIEW_FRAMES_IN_FLIGHT) ||
        v.sink.busy()
      ) {
        v.skipped++;
        continue;
      }
      v.lastSentAt = now;
      v.sent++;
      if (v.acking) v.inFlight++;
      this.relay.metricFramesOut?.inc();
      try {
        v.sink.sendFrame(frame);
      } catch (err) {
        this.opts.log.debug({ err }, 'a preview viewer could not take a frame');
      }
    }
  }

  private scheduleRetry(message: string): void {
    if (this.closed || this.retry) return;
    this.setState('reconnecting', message);
    const delay = this.backoff.next();
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, delay);
    this.retry.unref();
  }

  private fail(code: string, message: string): void {
    for (const v of [...this.viewers]) {
      v.sink.sendText({ type: 'error', code, message });
      v.sink.close(4404, code);
    }
    this.viewers.clear();
    this.close();
  }

  setState(state: UpstreamState, message?: string): void {
    this.state = state;
    this.message = message;
    this.broadcastStatus();
  }

  broadcastStatus(): void {
    const status: PreviewStatusMessage = {
      type: 'status',
      state: this.state,
      upstreamFps: this.fps,
      viewers: this.viewers.size,
      settings: this.relay.settingsOf(this.agentId),
      ...(this.message !== undefined && this.state !== 'live' ? { message: this.message } : {}),
    };
    for (const v of this.viewers) v.sink.sendText(status);
  }

  private disconnect(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('close');
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'no more viewers');
    }
  }

  /** The last viewer left: close after `ms` unless a viewer comes back. */
  idle(ms: number): void {
    if (ms <= 0) {
      this.close();
      return;
    }
    if (this.linger) clearTimeout(this.linger);
    this.linger = setTimeout(() => {
      this.linger = null;
      if (this.viewers.size === 0) this.close();
    }, ms);
    this.linger.unref();
  }

  /** A viewer arrived: keep the upstream (open it if needed) at the rate viewers want. */
  wanted(): void {
    if (this.linger) {
      clearTimeout(this.linger);
      this.linger = null;
    }
    this.connect();
    this.fpsChanged();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.linger) clearTimeout(this.linger);
    if (this.retry) clearTimeout(this.retry);
    if (this.refps) clearTimeout(this.refps);
    this.disconnect();
    this.relay.forget(this);
  }
}

/** The station's preview relay: one Upstream per watched agent. */
export class PreviewRelay {
  private readonly upstreams = new Map<string, Upstream>();
  /** Per camera: the preview size and quality viewers chose (defaults until one does). */
  private readonly settings = new Map<string, PreviewSettings>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly opts: Required<Pick<PreviewRelayOptions, 'minBackoffMs' | 'maxBackoffMs'>> & PreviewRelayOptions;
  private closed = false;
  readonly metricConnects: Counter | undefined;
  readonly metricFramesIn: Counter | undefined;
  readonly metricFramesOut: Counter | undefined;

  constructor(opts: PreviewRelayOptions) {
    this.opts = { minBackoffMs: 250, maxBackoffMs: 5_000, ...opts };
    if (opts.registry) {
      const registers = [opts.registry];
      this.metricConnects = new Counter({
        name: 'skystation_station_preview_upstream_connects_total',
        help: 'Upstream /preview WebSockets the station opened to agents',
        registers,
      });
      this.metricFramesIn = new Counter({
        name: 'skystation_station_preview_frames_received_total',
        help: 'Live preview frames received from agents',
        registers,
      });
      this.metricFramesOut = new Counter({
        name: 'skystation_station_preview_frames_relayed_total',
        help: 'Live preview frames sent to viewers',
        registers,
      });
      const upstreams = this.upstreams;
      new Gauge({
        name: 'skystation_station_preview_viewers',
        help: 'Live preview viewers connected to the station',
        registers,
        collect() {
          let n = 0;
          for (const u of upstreams.values()) n += u.viewers.size;
          this.set(n);
        },
      });
    }
  }

  /** Adds a viewer of `agentId`'s preview at `fps` frames per second; opens the upstream if needed. */
  subscribe(agentId: string, sink: PreviewSink, fps: number = PREVIEW_MAX_FPS): ViewerHandle {
    if (this.closed) throw new StationError('station_closing', 'The station is shutting down.');
    let up = this.upstreams.get(agentId);
    if (!up) {
      up = new Upstream(agentId, this, this.opts);
      this.upstreams.set(agentId, up);
    }
    const viewer: Viewer = {
      sink,
      fps: fpsOf(fps),
      minIntervalMs: 0,
      lastSentAt: 0,
      acking: false,
      inFlight: 0,
      sent: 0,
      skipped: 0,
    };
    const upstream = up;
    const setRate = (n: number): void => {
      viewer.fps = fpsOf(n);
      // Below the upstream's rate a viewer gets a quarter frame of slack for jitter.
      viewer.minIntervalMs = (1000 / viewer.fps) * 0.75;
    };
    setRate(fps);
    upstream.viewers.add(viewer);
    upstream.wanted();
    upstream.broadcastStatus();
    let left = false;
    return {
      ack: () => {
        viewer.acking = true;
        viewer.inFlight = Math.max(0, viewer.inFlight - 1);
      },
      setFps: (n) => {
        setRate(n);
        upstream.fpsChanged();
      },
      setSettings: (change) => this.setSettings(agentId, change),
      leave: () => {
        if (left) return;
        left = true;
        upstream.viewers.delete(viewer);
        if (upstream.viewers.size === 0) upstream.idle(this.opts.lingerMs ?? 1000);
        else {
          upstream.fpsChanged();
          upstream.broadcastStatus();
        }
      },
    };
  }

  /** The camera's preview settings: what a viewer last chose, or the defaults. */
  settingsOf(agentId: string): PreviewSettings {
    return { ...(this.settings.get(agentId) ?? DEFAULT_PREVIEW_SETTINGS) };
  }

  /**
   * Changes a camera's preview size or quality: kept for the camera, its
   * upstream (if open) reopens with them and its viewers are told.
   */
  setSettings(agentId: string, change: Partial<PreviewSettings>): PreviewSettings {
    const parsed = PreviewSettingsChange.safeParse(change);
    if (!parsed.success) {
      throw new StationError(
        'invalid_request',
        `Bad preview settings: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
      );
    }
    const now = this.settingsOf(agentId);
    const next: PreviewSettings = {
      width: parsed.data.width ?? now.width,
      quality: parsed.data.quality ?? now.quality,
    };
    this.settings.set(agentId, next);
    if (next.width !== now.width || next.quality !== now.quality) {
      const up = this.upstreams.get(agentId);
      if (up) {
        up.fpsChanged();
        up.broadcastStatus();
      }
    }
    return next;
  }

  /**
   * Completes an already-authorised upgrade of /api/preview/<agentId>[?fps=N]
   * (for a server without its own WebSocket routing; the station's HTTP server
   * upgrades itself and calls serveViewer).
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      this.serveViewer(ws, req.url ?? '/');
    });
  }

  /**
   * Serves one browser viewer on an open WebSocket whose request target was
   * `target` (/api/preview/<agentId>[?fps=N]). The caller checked Host, Origin
   * and the login.
   */
  serveViewer(ws: WebSocket, target: string): void {
    const url = new URL(target, 'http://localhost');
    let agentId: string;
    try {
      agentId = decodeURIComponent(url.pathname.slice(PREVIEW_PATH_PREFIX.length));
    } catch {
      agentId = '';
    }
    const asked = Number(url.searchParams.get('fps') ?? PREVIEW_MAX_FPS);
    const fps = Number.isFinite(asked) ? fpsOf(asked) : PREVIEW_MAX_FPS;
    const sink = webSocketSink(ws);
    if (this.closed || !/^[\w.:-]{1,200}$/.test(agentId) || !this.opts.client(agentId)) {
      const code = this.closed ? 'station_closing' : 'agent_not_found';
      sink.sendText({
        type: 'error',
        code,
        message: this.closed
          ? 'The station is shutting down.'
          : `The station knows no camera with the id "${agentId}"; pick one from the camera list.`,
      });
      ws.close(4404, code);
      return;
    }
    const handle = this.subscribe(agentId, sink, fps);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) applyViewerText(handle, wsText(data));
    });
    ws.once('close', () => handle.leave());
  }

  stats(): UpstreamStats[] {
    return [...this.upstreams.values()].map((u) => ({
      agentId: u.agentId,
      state: u.state,
      upstreamFps: u.fps,
      settings: this.settingsOf(u.agentId),
      connects: u.connects,
      framesIn: u.framesIn,
      bytesIn: u.bytesIn,
      viewers: [...u.viewers].map((v) => ({ fps: v.fps, sent: v.sent, skipped: v.skipped })),
    }));
  }

  /** @internal: an upstream that closed itself. */
  forget(up: Upstream): void {
    if (this.upstreams.get(up.agentId) === up) this.upstreams.delete(up.agentId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const up of [...this.upstreams.values()]) {
      for (const v of up.viewers) v.sink.close(1001, 'station shutting down');
      up.viewers.clear();
      up.close();
    }
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}

/** A browser viewer: its WebSocket is busy while it holds unsent bytes. */
export function webSocketSink(ws: WebSocket): PreviewSink {
  return {
    busy: () => ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 0,
    sendFrame: (frame) => ws.send(frame, { binary: true }),
    sendText: (message) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    },
    close: (code, reason) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, reason);
    },
  };
}
