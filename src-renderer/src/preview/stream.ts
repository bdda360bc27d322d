/**
 * One viewer's connection to the station's preview relay (src-main/preview).
 * In a browser it is the WebSocket /api/preview/<agentId>?fps=N on the page's
 * own origin (same login cookie as /api/ws). In the desktop app the page is a
 * file:// page with no server behind it, so the preload exposes the same
 * stream over IPC as `window.skystationPreview` (src-preload); both deliver
 * the agent's frame bytes unchanged: a header (16 bytes, or 24 with ISO/gain
 * from a newer agent; agent/src/protocol) then the JPEG.
 *
 * The viewer acknowledges each painted frame ({ack: seq}); the relay keeps at
 * most two frames in flight, so a slow page gets fewer frames, never older ones.
 *
 * Size and JPEG quality are the camera's (every viewer of it shares them): a
 * viewer changes them with setSettings() and hears the current ones in each
 * status message.
 */
import { decodePreviewHeader, PREVIEW_HEADER_BYTES } from '../../../agent/src/protocol/index';
import { Backoff } from '../../../agent/src/util/backoff';

export { PREVIEW_HEADER_BYTES };

/** The camera's preview size (width; the height follows its aspect ratio) and JPEG quality. */
export interface CameraPreviewSettings {
  width: number;
  quality: number;
}

export interface PreviewFrame {
  seq: number;
  /** Capture time, ms since the epoch (the agent's clock). */
  capturedAtMs: number;
  exposureUs: number;
  /** ISO or unitless gain of the frame; null when the agent or camera does not say. */
  iso: number | null;
  gain: number | null;
  jpeg: Blob;
  bytes: number;
  receivedAtMs: number;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unavailable' | 'failed';

export interface StreamStatus {
  state: StreamState;
  message?: string;
  /** The camera's preview settings, from the station's status messages. */
  settings?: CameraPreviewSettings;
}

export interface PreviewStreamHandlers {
  onFrame(frame: PreviewFrame): void;
  onStatus(status: StreamStatus): void;
}

export interface PreviewStream {
  ack(seq: number): void;
  setFps(fps: number): void;
  /** Changes the camera's preview size or quality (for every viewer of it). */
  setSettings(change: Partial<CameraPreviewSettings>): void;
  close(): void;
}

/** The desktop app's IPC bridge (src-preload), when present. */
export interface PreviewBridge {
  open(
    agentId: string,
    fps: number,
    onMessage: (data: ArrayBuffer | string) => void,
    onClose: (code: number, reason: string) => void,
  ): { send(text: string): void; close(): void };
  /** Opens (or brings back) the camera's own window; `alwaysOnTop` changes that option. */
  popOut(agentId: string, alwaysOnTop?: boolean): Promise<unknown>;
}

/** The desktop app's preview bridge, or null in a browser. */
export function previewBridge(): PreviewBridge | null {
  return (window as { skystationPreview?: PreviewBridge }).skystationPreview ?? null;
}

export function decodeFrame(buf: ArrayBuffer): PreviewFrame | null {
  const h = decodePreviewHeader(new Uint8Array(buf));
  if (h === null) return null;
  return {
    seq: h.sequence,
    capturedAtMs: h.capturedAtMs,
    exposureUs: h.exposureUs,
    iso: h.iso ?? null,
    gain: h.gain ?? null,
    jpeg: new Blob([new Uint8Array(buf, h.jpegOffset)], { type: 'image/jpeg' }),
    bytes: buf.byteLength,
    receivedAtMs: performance.timeOrigin + performance.now(),
  };
}

/** Epoch milliseconds with sub-millisecond precision (the agent stamps frames the same way). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

interface Channel {
  send(text: string): void;
  close(): void;
}

function openChannel(
  agentId: string,
  fps: number,
  onMessage: (data: ArrayBuffer | string) => void,
  onClose: (code: number, reason: string) => void,
): Channel {
  const bridge = previewBridge();
  if (bridge) return bridge.open(agentId, fps, onMessage, onClose);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${window.location.host}/api/preview/${encodeURIComponent(agentId)}?fps=${fps}`);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => onMessage(e.data);
  ws.onclose = (e) => onClose(e.code, e.reason);
  return {
    send: (text) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close: () => ws.close(1000, 'viewer left'),
  };
}

/** Opens the stream and keeps it open (reconnecting with backoff) until close(). */
export function openPreviewStream(agentId: string, initialFps: number, h: PreviewStreamHandlers): PreviewStream {
  let fps = initialFps;
  let channel: Channel | null = null;
  let closed = false;
  const backoff = new Backoff(500, 5000);
  let retry: ReturnType<typeof setTimeout> | null = null;
  let failure: string | null = null;

  const connect = (): void => {
    if (closed) return;
    channel = openChannel(
      agentId,
      fps,
      (data) => {
        if (typeof data === 'string') {
          let msg: { type?: unknown; state?: unknown; message?: unknown; code?: unknown; settings?: unknown };
          try {
            msg = JSON.parse(data) as typeof msg;
          } catch {
            return;
          }
          const message = typeof msg.message === 'string' ? msg.message : undefined;
          if (msg.type === 'status' && typeof msg.state === 'string') {
            if (msg.state === 'live') backoff.reset();
            const settings = settingsOf(msg.settings);
            h.onStatus({
              state: msg.state as StreamState,
              ...(message !== undefined ? { message } : {}),
              ...(settings ? { settings } : {}),
            });
          } else if (msg.type === 'error') {
            failure = message ?? 'The live preview failed.';
          }
          return;
        }
        const frame = decodeFrame(data);
        if (frame) h.onFrame(frame);
      },
      (code, reason) => {
        channel = null;
        if (closed) return;
        // 4404: the station knows no such camera; asking again will not help.
        if (code === 4404) {
          h.onStatus({
            state: 'failed',
            message: failure ?? `The station has no live preview for this camera (${reason}).`,
          });
          return;
        }
        h.onStatus({ state: 'reconnecting', message: 'Lost the connection to the station; reconnecting…' });
        retry = setTimeout(connect, backoff.next());
      },
    );
  };
  h.onStatus({ state: 'connecting' });
  connect();
  return {
    ack: (seq) => channel?.send(JSON.stringify({ ack: seq })),
    setFps: (n) => {
      fps = n;
      channel?.send(JSON.stringify({ fps: n }));
    },
    setSettings: (change) => channel?.send(JSON.stringify({ settings: change })),
    close: () => {
      closed = true;
      if (retry) clearTimeout(retry);
      channel?.close();
      channel = null;
    },
  };
}

/** The settings in a status message, when it carries well-formed ones (an older station sends none). */
function settingsOf(raw: unknown): CameraPreviewSettings | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { width, quality } = raw as { width?: unknown; quality?: unknown };
  return typeof width === 'number' && typeof quality === 'number' ? { width, quality } : null;
}
