/**
 * Synthetic bracketed sets and dark frames for the HDR / dark-subtraction tests.
 *
 * - A high-dynamic-range scene (radiance from 0.02 to 8, log-spaced across the
 *   width, with texture) photographed at several exposures: v = 60·L·2^ev,
 *   clipped to 0–255 like a sensor.
 * - Night lights: a dark sky plus a dark-current pedestal plus fixed hot
 *   pixels; darks: the same pedestal and hot pixels with no sky. PNG, so the
 *   hot pixels stay single pixels.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export const W = 192;
export const H = 108;

/** Scene radiance at (x, y). */
function radiance(x: number, y: number, t: number): number {
  const base = 0.02 * Math.pow(400, x / (W - 1));
  const texture = 1 + 0.25 * Math.sin((x + t * 3) / 3) * Math.cos(y / 4);
  return base * texture;
}

export function bracketPixels(ev: number, t = 0): Buffer {
  const buf = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = 60 * radiance(x, y, t) * 2 ** ev;
      const p = (y * W + x) * 3;
      buf[p] = Math.min(255, Math.round(v * 0.9));
      buf[p + 1] = Math.min(255, Math.round(v));
      buf[p + 2] = Math.min(255, Math.round(v * 1.1));
    }
  }
  return buf;
}

export interface Clipping {
  highlights: number;
  shadows: number;
}

/** Fractions of pixels clipped white (every channel ≥ 250) and black (every channel ≤ 3). */
export function clipping(raw: Uint8Array): Clipping {
  let hi = 0;
  let lo = 0;
  const n = raw.length / 3;
  for (let p = 0; p < raw.length; p += 3) {
    if (raw[p]! >= 250 && raw[p + 1]! >= 250 && raw[p + 2]! >= 250) hi++;
    if (raw[p]! <= 3 && raw[p + 1]! <= 3 && raw[p + 2]! <= 3) lo++;
  }
  return { highlights: hi / n, shadows: lo / n };
}

export async function rawOf(path: string): Promise<Buffer> {
  return sharp(path).removeAlpha().raw().toBuffer();
}

async function writePng(buf: Buffer, path: string, width = W, height = H): Promise<void> {
  await sharp(buf, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(path);
}

export interface BracketFrame {
  path: string;
  capturedAt: string;
  temperatureC: number;
  agentId: string;
  bracket: { group: string; index: number; count: number; ev: number };
}

/** `sets` bracketed sets of the given evs, one every 30 s, images 1 s apart. */
export async function makeBrackets(
  dir: string,
  o: { sets: number; evs?: readonly number[]; agentId?: string; start?: string; group?: string },
): Promise<BracketFrame[]> {
  await mkdir(dir, { recursive: true });
  const evs = o.evs ?? [-2, 0, 2];
  const start = Date.parse(o.start ?? '2025-01-10T17:00:00Z');
  const out: BracketFrame[] = [];
  for (let s = 0; s < o.sets; s++) {
    for (const [index, ev] of evs.entries()) {
      const path = join(dir, `${o.group ?? 'set'}${String(s).padStart(3, '0')}_${index}.png`);
      await writePng(bracketPixels(ev, s), path);
      out.push({
        path,
        capturedAt: new Date(start + s * 30_000 + index * 1000).toISOString(),
        temperatureC: 10,
        agentId: o.agentId ?? 'cam',
        bracket: { group: `${o.group ?? 'set'}${s}`, index, count: evs.length, ev },
      });
    }
  }
  return out;
}

/** Deterministic hot-pixel positions (pixel indices), `n` of them, from a seed. */
export function hotPixels(seed: number, n = 40): number[] {
  let s = seed >>> 0;
  const set = new Set<number>();
  while (set.size < n) {
    s = (s * 1664525 + 1013904223) >>> 0;
    set.add(s % (W * H));
  }
  return [...set];
}

export const PEDESTAL = 6;
export const HOT = 190;

const lin = (c: number): number => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const srgb = (v: number): number =>
  Math.min(255, Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.min(1, v) ** (1 / 2.4) - 0.055)));

/**
 * A night light: sky level `sky` (sRGB code, + a gentle gradient) with the
 * sensor's dark signal (the pedestal, or HOT at the hot pixels) added in
 * linear light, as on a sensor before the tone curve.
 */
export async function makeLight(path: string, hot: readonly number[], sky = 30): Promise<void> {
  const buf = Buffer.alloc(W * H * 3);
  const isHot = new Set(hot);
  for (let i = 0; i < W * H; i++) {
    const s = sky + Math.round((10 * Math.floor(i / W)) / H);
    const d = lin(isHot.has(i) ? HOT : PEDESTAL);
    buf[i * 3] = srgb(lin(s) + d);
    buf[i * 3 + 1] = srgb(lin(s) + d);
    buf[i * 3 + 2] = srgb(lin(s + 5) + d);
  }
  await writePng(buf, path);
}

/** A dark: the pedestal with ±1 noise and the hot pixels (sRGB codes). */
export async function makeDark(path: string, hot: readonly number[], seed: number): Promise<void> {
  const buf = Buffer.alloc(W * H * 3);
  let s = seed >>> 0;
  for (let p = 0; p < buf.length; p++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    buf[p] = PEDESTAL - 1 + (s % 3);
  }
  for (const i of hot) buf[i * 3] = buf[i * 3 + 1] = buf[i * 3 + 2] = HOT;
  await writePng(buf, path);
}

/** Mean of channel 0 at the given pixel indices. */
export function meanAt(raw: Uint8Array, pixels: readonly number[]): number {
  return pixels.reduce((a, i) => a + raw[i * 3]!, 0) / pixels.length;
}
