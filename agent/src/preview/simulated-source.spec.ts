import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../sky/clock.js';
import { DEFAULT_LOCATION } from '../sky/model.js';
import { simulatedPreviewFrames } from './simulated-source.js';

const WIDTH = 320;
const HEIGHT = 180;

/** The first frame of a stream at `at`, with its header fields and decoded grey pixels. */
async function firstFrame(
  at: string,
  extra: { starSigmaPx?: number } = {},
  size = { width: 1280, height: 720, quality: 90 },
): Promise<{ iso: number | undefined; exposureUs: number; grey: Buffer; jpegBytes: number }> {
  const abort = new AbortController();
  const deps = { clock: simulatedClock(new Date(at)), location: DEFAULT_LOCATION, baseIntervalMs: 3_600_000, ...extra };
  for await (const f of simulatedPreviewFrames(deps, { ...size, fps: 30 }, abort.signal)) {
    abort.abort();
    const grey = await sharp(f.jpeg).greyscale().raw().toBuffer();
    return { iso: f.iso, exposureUs: f.exposureUs, grey, jpegBytes: f.jpeg.length };
  }
  throw new Error('no frame');
}

/** Star spots: local maxima 60 levels above the median, with their flux-weighted radius (within 6 px). */
function spots(grey: Buffer, width: number, height: number): { count: number; meanRadius: number } {
  const sorted = [...grey].sort((a, b) => a - b);
  const bg = sorted[sorted.length >> 1]!;
  const radii: number[] = [];
  const R = 6;
  for (let y = R; y < height - R; y++) {
    for (let x = R; x < width - R; x++) {
      const v = grey[y * width + x]!;
      if (v < bg + 60) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++)
        for (let dx = -1; dx <= 1; dx++) if ((dx || dy) && grey[(y + dy) * width + x + dx]! > v) peak = false;
      if (!peak) continue;
      let flux = 0;
      let weighted = 0;
      for (let dy = -R; dy <= R; dy++)
        for (let dx = -R; dx <= R; dx++) {
          const f = grey[(y + dy) * width + x + dx]! - bg - 20;
          if (f <= 0) continue;
          flux += f;
          weighted += f * Math.hypot(dx, dy);
        }
      if (flux > 0) radii.push(weighted / flux);
    }
  }
  return { count: radii.length, meanRadius: radii.reduce((a, b) => a + b, 0) / Math.max(1, radii.length) };
}

/** The first `n` frames, decoded to raw RGB. */
async function frames(n: number, baseIntervalMs = 3_600_000, width = WIDTH, height = HEIGHT): Promise<Buffer[]> {
  const abort = new AbortController();
  const out: Buffer[] = [];
  const deps = { clock: simulatedClock(new Date('2026-06-21T12:00:00Z')), location: DEFAULT_LOCATION };
  for await (const f of simulatedPreviewFrames({ ...deps, baseIntervalMs }, { width, height, fps: 60 }, abort.signal)) {
    expect([f.width, f.height]).toEqual([width, height]);
    out.push(await sharp(f.jpeg).raw().toBuffer());
    if (out.length === n) abort.abort();
  }
  return out;
}

/** Mean level of a rectangle of a raw RGB image. */
function mean(rgb: Buffer, width: number, x0: number, y0: number, w: number, h: number): number {
  let sum = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0 * 3; x < (x0 + w) * 3; x++) sum += rgb[y * width * 3 + x]!;
  return sum / (w * h * 3);
}

/** The frame counter from the bar at the bottom left (32 cells, least significant first). */
function counter(rgb: Buffer, width: number, height: number): number {
  const cell = Math.max(2, Math.floor(width / 160));
  let n = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (mean(rgb, width, bit * cell, height - cell, cell, cell) > 125) n |= 1 << bit;
  }
  return n >>> 0;
}

describe('simulatedPreviewFrames', () => {
  it('numbers every frame in its counter bar', async () => {
    const got = await frames(6);
    expect(got.map((f) => counter(f, WIDTH, HEIGHT))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('draws each frame on a clean base: the noise patch does not build up from frame to frame', async () => {
    const got = await frames(40);
    const patch = (f: Buffer): number => mean(f, WIDTH, WIDTH - 64, HEIGHT - 64, 64, 64);
    // Each frame adds 0..15 to the patch; without the undo the 40th would be ~300 levels brighter (clipped at 255).
    expect(Math.abs(patch(got[39]!) - patch(got[0]!))).toBeLessThan(6);
    // Away from the marks the frames are the same picture.
    expect(Math.abs(mean(got[39]!, WIDTH, 0, 0, 200, 100) - mean(got[0]!, WIDTH, 0, 0, 200, 100))).toBeLessThan(1);
  });

  it('takes each newly rendered base between frames, still numbered and clean', async () => {
    // A new base is rendered all the time: each is copied into the frame buffer between two encodes.
    const got = await frames(30, 0);
    expect(got.map((f) => counter(f, WIDTH, HEIGHT))).toEqual([...Array(30).keys()]);
    const patch = (f: Buffer): number => mean(f, WIDTH, WIDTH - 64, HEIGHT - 64, 64, 64);
    expect(Math.abs(patch(got[29]!) - patch(got[0]!))).toBeLessThan(6);
  });

  it('shows at night the stars a high-gain preview would, sharp or soft with the simulated focus', async () => {
    const night = '2026-01-15T03:00:00Z';
    const sharp1 = await firstFrame(night);
    expect(sharp1.iso).toBe(6400);
    expect(sharp1.exposureUs).toBeLessThanOrEqual(1_000_000 / 30 + 1);
    const inFocus = spots(sharp1.grey, 1280, 720);
    expect(inFocus.count).toBeGreaterThan(20);
    const soft = spots((await firstFrame(night, { starSigmaPx: 3 })).grey, 1280, 720);
    expect(soft.count).toBeGreaterThan(5);
    expect(soft.meanRadius).toBeGreaterThan(inFocus.meanRadius * 1.3);
    // By day there are none, and the ISO is the meter's.
    const day = await firstFrame('2026-06-21T18:00:00Z');
    expect(spots(day.grey, 1280, 720).count).toBe(0);
    expect(day.iso).toBeLessThan(6400);
  });

  it('encodes at the size and JPEG quality asked', async () => {
    const at = '2026-06-21T18:00:00Z';
    const low = await firstFrame(at, {}, { width: 640, height: 360, quality: 30 });
    const high = await firstFrame(at, {}, { width: 640, height: 360, quality: 95 });
    expect(low.grey.length).toBe(640 * 360);
    expect(high.jpegBytes).toBeGreaterThan(low.jpegBytes * 1.5);
  });
});
