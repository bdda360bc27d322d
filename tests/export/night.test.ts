import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseExposures, makeKeogram, makeStartrails, subtractDark } from '../../src-main/export/index.js';
import { makeFrames, type FixtureFrame } from './fixtures.js';

let root: string;
let frames: FixtureFrame[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skystation-night-test-'));
  // PNG so pixel values are exact; 10-minute intervals so the keogram crosses hours.
  frames = await makeFrames(join(root, 'frames'), {
    count: 40,
    width: 160,
    height: 90,
    format: 'png',
    at: (i) => i * 600,
    start: '2025-01-10T20:05:00Z',
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const raw = async (p: string): Promise<Buffer> => sharp(p).removeAlpha().raw().toBuffer();

describe('night products', () => {
  it('keogram: one column per frame, frame height, centre columns in time order, hour ticks', async () => {
    const out = join(root, 'keogram.png');
    const r = await makeKeogram([...frames].reverse(), out, { minWidth: 1 });
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([40, 90]);
    expect(r).toMatchObject({ width: 40, height: 90, frames: 40 });
    const k = await raw(out);
    // Column 3 (no tick: 20:35) equals frame 3's centre column, in the middle rows.
    const f3 = await raw(frames[3]!.path);
    for (let y = 10; y < 80; y += 7) {
      expect(k[(y * 40 + 3) * 3 + 2]).toBe(f3[(y * 160 + 80) * 3 + 2]);
    }
    // 21:05 is frame 6: a white tick at the bottom of column 6, none at column 5.
    expect(k[(89 * 40 + 6) * 3]).toBe(255);
    expect(k[(89 * 40 + 5) * 3]).toBeLessThan(255);
    expect((await readdir(root)).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('keogram of a short night is widened to a viewable width, each frame a strip of equal columns', async () => {
    const out = join(root, 'keogram-7.png');
    const seven = frames.slice(0, 7);
    const r = await makeKeogram(seven, out);
    expect(r).toMatchObject({ width: 7 * 103, height: 90, frames: 7 }); // ceil(720 / 7) = 103 columns each
    const meta = await sharp(out).metadata();
    expect(meta.width).toBeGreaterThanOrEqual(720);
    const k = await raw(out);
    const w = r.width;
    for (const i of [0, 3, 6]) {
      const f = await raw(seven[i]!.path);
      for (let y = 10; y < 80; y += 7) {
        const want = f[(y * 160 + 80) * 3 + 2];
        // Every column of strip i is frame i's centre column (nearest neighbour, no blending).
        for (const x of [i * 103 + 2, i * 103 + 50, i * 103 + 102]) expect(k[(y * w + x) * 3 + 2]).toBe(want);
      }
    }
    // 21:05 is frame 6: its hour tick sits at the strip's left edge, two columns wide.
    expect(k[(89 * w + 6 * 103) * 3]).toBe(255);
    expect(k[(89 * w + 6 * 103 + 1) * 3]).toBe(255);
    expect(k[(89 * w + 6 * 103 + 2) * 3]).toBeLessThan(255);
  });

  it('startrails: every output pixel is the maximum of the frames at that pixel', async () => {
    const out = join(root, 'trails.png');
    const subset = frames.slice(0, 15);
    await makeStartrails(subset, out);
    const got = await raw(out);
    const expected = Buffer.alloc(got.length);
    for (const f of subset) {
      const b = await raw(f.path);
      for (let i = 0; i < b.length; i++) if (b[i]! > expected[i]!) expected[i] = b[i]!;
    }
    expect(got.equals(expected)).toBe(true);
    // The stars moved: more bright pixels than in any single frame.
    const bright = (b: Buffer): number => b.filter((v, i) => i % 3 === 0 && v === 250).length;
    expect(bright(got)).toBeGreaterThan(bright(await raw(subset[0]!.path)) * 3);
  });
});

describe('frame processing', () => {
  it('subtractDark picks the closest dark (exposure, gain, temperature) and subtracts it', async () => {
    const dir = join(root, 'darks');
    const [light] = await makeFrames(dir, { count: 1, width: 64, height: 36, format: 'png', prefix: 'light' });
    const dark = async (name: string, level: number): Promise<string> => {
      const p = join(dir, `${name}.png`);
      await sharp({ create: { width: 64, height: 36, channels: 3, background: { r: level, g: level, b: level } } })
        .png()
        .toFile(p);
      return p;
    };
    const darks = [
      { path: await dark('short', 50), exposureSeconds: 2, gain: 4, temperatureC: 5 },
      { path: await dark('warm', 40), exposureSeconds: 15, gain: 4, temperatureC: 25 },
      { path: await dark('match', 10), exposureSeconds: 15, gain: 4, temperatureC: 6 },
      { path: await dark('gain', 30), exposureSeconds: 15, gain: 16, temperatureC: 5 },
    ];
    const out = join(dir, 'calibrated.png');
    const r = await subtractDark({ path: light!.path, exposureSeconds: 15, gain: 4, temperatureC: 4 }, darks, out);
    expect(r.dark.path).toBe(darks[2]!.path);
    const l = await raw(light!.path);
    const o = await raw(out);
    // In linear light: sRGB(max(0, linear(light) − linear(10))).
    const lin = (c: number): number => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    const enc = (v: number): number => Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
    for (let i = 0; i < l.length; i += 97) {
      expect(Math.abs(o[i]! - enc(Math.max(0, lin(l[i]!) - lin(10))))).toBeLessThanOrEqual(1);
      expect(o[i]).toBeLessThanOrEqual(l[i]!);
    }
  });

  it('fuseExposures blends a bracket towards well-exposed values', async () => {
    const dir = join(root, 'bracket');
    const gains = [0.3, 1, 2.2];
    const paths: string[] = [];
    for (const [i, g] of gains.entries()) {
      const [f] = await makeFrames(dir, {
        count: 1,
        width: 96,
        height: 54,
        format: 'png',
        prefix: `ev${i}`,
        gain: () => g,
      });
      paths.push(f!.path);
    }
    const out = join(dir, 'fused.png');
    const r = await fuseExposures(paths, out);
    expect([r.width, r.height]).toEqual([96, 54]);
    const stats = async (p: string): Promise<{ mean: number; clipped: number }> => {
      const b = await sharp(p).removeAlpha().raw().toBuffer();
      let sum = 0;
      let clipped = 0;
      for (let i = 2; i < b.length; i += 3) {
        sum += b[i]!;
        if (b[i]! >= 250) clipped++;
      }
      return { mean: sum / (b.length / 3), clipped: clipped / (b.length / 3) };
    };
    const [dark, , bright] = await Promise.all(paths.map(stats));
    const fused = await stats(out);
    expect(bright!.clipped).toBeGreaterThan(0.3);
    expect(fused.mean).toBeGreaterThan(dark!.mean);
    expect(fused.mean).toBeLessThan(bright!.mean);
    expect(fused.clipped).toBeLessThan(bright!.clipped * 0.5);
  });
});
