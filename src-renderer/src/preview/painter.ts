/**
 * Turns preview frames into pixels: decodes the JPEG off the main thread
 * (createImageBitmap), hands the newest decoded frame to a 'bitmaprenderer'
 * canvas (a transfer, no copy and no 2D raster pass), stamps the
 * canvas with data-frame-seq and data-frame-captured-at, acknowledges the frame
 * to the relay, and keeps rolling figures (frame rate, paint latency,
 * bandwidth). A frame that arrives while another decodes replaces any frame
 * still waiting: the newest wins.
 */
import { nowMs, type PreviewFrame } from './stream';

export interface PaintStats {
  fps: number;
  latencyMs: number | null;
  latencyP95Ms: number | null;
  /** Bytes per second received over the last two seconds. */
  bytesPerSecond: number;
  width: number;
  height: number;
  exposureUs: number | null;
  /** ISO or gain of the newest painted frame, from its header (null when it carries none). */
  iso: number | null;
  gain: number | null;
  seq: number | null;
  painted: number;
}

const WINDOW_MS = 2000;

export class FramePainter {
  private pending: PreviewFrame | null = null;
  private decoding = false;
  private disposed = false;
  private readonly paints: { at: number; latency: number; bytes: number }[] = [];
  private last: {
    seq: number;
    exposureUs: number;
    iso: number | null;
    gain: number | null;
    width: number;
    height: number;
  } | null = null;
  private painted = 0;
  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Called after the paint, in a task of its own so it never delays the next frame's paint; the canvas holds the frame. */
    private readonly onPainted: (frame: PreviewFrame, canvas: HTMLCanvasElement) => void,
    private readonly ack: (seq: number) => void,
  ) {}

  push(frame: PreviewFrame): void {
    if (this.disposed) return;
    if (this.pending) this.ack(this.pending.seq); // dropped unpainted: free its slot at the relay
    this.pending = frame;
    if (!this.decoding) void this.next();
  }

  private async next(): Promise<void> {
    const frame = this.pending;
    if (!frame || this.disposed) return;
    this.pending = null;
    this.decoding = true;
    try {
      const bitmap = await createImageBitmap(frame.jpeg);
      if (this.disposed) {
        bitmap.close();
        return;
      }
      this.paint(frame, bitmap);
    } catch {
      // A frame that does not decode is skipped; the next one follows.
    } finally {
      this.decoding = false;
      this.ack(frame.seq);
      if (this.pending && !this.disposed) void this.next();
    }
  }

  private paint(frame: PreviewFrame, bitmap: ImageBitmap): void {
    const c = this.canvas;
    const width = bitmap.width;
    const height = bitmap.height;
    if (c.width !== width || c.height !== height) {
      c.width = width;
      c.height = height;
    }
    const ctx = c.getContext('bitmaprenderer');
    if (!ctx) {
      bitmap.close();
      return;
    }
    ctx.transferFromImageBitmap(bitmap); // the bitmap is the canvas's now
    const at = nowMs();
    c.dataset['frameSeq'] = String(frame.seq);
    c.dataset['frameCapturedAt'] = String(frame.capturedAtMs);
    c.dataset['framePaintedAt'] = String(at);
    this.painted++;
    this.paints.push({ at, latency: at - frame.capturedAtMs, bytes: frame.bytes });
    while (this.paints.length > 0 && this.paints[0]!.at < at - WINDOW_MS) this.paints.shift();
    this.last = { seq: frame.seq, exposureUs: frame.exposureUs, iso: frame.iso, gain: frame.gain, width, height };
    setTimeout(() => {
      if (!this.disposed) this.onPainted(frame, c);
    }, 0);
  }

  stats(): PaintStats {
    const now = nowMs();
    const recent = this.paints.filter((p) => p.at >= now - WINDOW_MS);
    const span = recent.length > 1 ? (recent.at(-1)!.at - recent[0]!.at) / 1000 : 0;
    const lat = recent.map((p) => p.latency).sort((a, b) => a - b);
    return {
      fps: span > 0 ? (recent.length - 1) / span : 0,
      latencyMs: lat.length > 0 ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
      latencyP95Ms: lat.length > 0 ? lat[Math.min(lat.length - 1, Math.ceil(0.95 * lat.length) - 1)]! : null,
      bytesPerSecond: recent.reduce((a, p) => a + p.bytes, 0) / (WINDOW_MS / 1000),
      width: this.last?.width ?? 0,
      height: this.last?.height ?? 0,
      exposureUs: this.last?.exposureUs ?? null,
      iso: this.last?.iso ?? null,
      gain: this.last?.gain ?? null,
      seq: this.last?.seq ?? null,
      painted: this.painted,
    };
  }

  dispose(): void {
    this.disposed = true;
    this.pending = null;
  }
}
