import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../sky/clock.js';
import { DEFAULT_LOCATION } from '../sky/model.js';
import { simulatedPreviewFrames } from './simulated-source.js';

const WIDTH = 320;
const HEIGHT = 180;

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
});
