/** Synthetic timelapse frames for the export tests: a night-sky gradient with drifting stars. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export interface FixtureFrame {
  path: string;
  capturedAt: string;
  temperatureC: number | null;
}

export interface FrameOptions {
  count: number;
  width?: number;
  height?: number;
  /** Brightness multiplier per frame (default 1): e.g. alternating 1.2 / 0.8 for flicker. */
  gain?: (i: number) => number;
  /** Capture time of frame i, seconds after the start (default i * 30). */
  at?: (i: number) => number;
  start?: string;
  format?: 'jpg' | 'png';
  prefix?: string;
}

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Raw RGB of frame i: vertical gradient (brighter towards the horizon) plus stars that drift right. */
export function skyPixels(i: number, width: number, height: number, gain = 1): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const v = 30 + (90 * y) / height;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      buf[p] = Math.min(255, Math.round(v * 0.6 * gain));
      buf[p + 1] = Math.min(255, Math.round(v * 0.8 * gain));
      buf[p + 2] = Math.min(255, Math.round((v + 40) * gain));
    }
  }
  const r = rng(42);
  for (let s = 0; s < 60; s++) {
    const sx = Math.floor((r() * width + i * 2) % width);
    const sy = Math.floor(r() * height * 0.7);
    for (const [dx, dy] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ] as const) {
      const p = (Math.min(height - 1, sy + dy) * width + Math.min(width - 1, sx + dx)) * 3;
      buf[p] = buf[p + 1] = buf[p + 2] = 250;
    }
  }
  return buf;
}

export async function makeFrames(dir: string, o: FrameOptions): Promise<FixtureFrame[]> {
  const width = o.width ?? 320;
  const height = o.height ?? 180;
  const start = Date.parse(o.start ?? '2025-01-10T20:00:00Z');
  const format = o.format ?? 'jpg';
  await mkdir(dir, { recursive: true });
  const frames: FixtureFrame[] = [];
  for (let i = 0; i < o.count; i++) {
    const path = join(dir, `${o.prefix ?? 'f'}_${String(i).padStart(4, '0')}.${format}`);
    const img = sharp(skyPixels(i, width, height, o.gain?.(i) ?? 1), { raw: { width, height, channels: 3 } });
    await (format === 'jpg' ? img.jpeg({ quality: 90 }) : img.png({ compressionLevel: 1 })).toFile(path);
    frames.push({
      path,
      capturedAt: new Date(start + (o.at?.(i) ?? i * 30) * 1000).toISOString(),
      temperatureC: -2 + i * 0.1,
    });
  }
  return frames;
}
