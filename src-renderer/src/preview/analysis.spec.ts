import { describe, expect, it } from 'vitest';
import {
  clippingWarnings,
  histogram,
  laplacianVariance,
  looksLikeNight,
  p95,
  shutterSeconds,
  starHalfFluxRadius,
  toGray,
} from './analysis';

function rgba(width: number, height: number, at: (x: number, y: number) => number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = at(x, y);
      const i = (y * width + x) * 4;
      out[i] = v;
      out[i + 1] = v;
      out[i + 2] = v;
      out[i + 3] = 255;
    }
  }
  return out;
}

/** A star field: Gaussian stars of width `sigma` on a dark background, with `noise` (peak to peak) added. */
function stars(sigma: number, noise = 0): { gray: Float32Array; w: number; h: number } {
  const w = 128;
  const h = 128;
  const centres = [
    [30, 30],
    [90, 40],
    [50, 95],
    [100, 100],
  ];
  const px = rgba(w, h, (x, y) => {
    let v = 10 + ((x * 7 + y * 13) % 3) + (noise > 0 ? noise * (((x * 7919 + y * 104729) % 101) / 100) : 0);
    for (const [cx, cy] of centres) v += 200 * Math.exp(-((x - cx!) ** 2 + (y - cy!) ** 2) / (2 * sigma * sigma));
    return Math.min(255, v);
  });
  return { gray: toGray(px), w, h };
}

describe('preview analysis', () => {
  it('counts channels and luminance, and reports clipping', () => {
    const half = rgba(10, 10, (x) => (x < 5 ? 255 : 0));
    const h = histogram(half);
    expect(h.pixels).toBe(100);
    expect(h.r[255]).toBe(50);
    expect(h.luma[0]).toBe(50);
    expect(h.clippedHigh).toBeCloseTo(0.5);
    expect(h.clippedLow).toBeCloseTo(0.5);
    expect(clippingWarnings(h, false)).toHaveLength(2);
    expect(clippingWarnings(h, true)).toHaveLength(1);
    const mid = histogram(rgba(10, 10, () => 128));
    expect(clippingWarnings(mid, false)).toEqual([]);
    expect(mid.meanLuma).toBeCloseTo(128, 0);
  });

  it('scores a sharp pattern above a blurred one (Laplacian variance)', () => {
    const sharp = toGray(rgba(64, 64, (x, y) => (((x >> 2) + (y >> 2)) % 2 === 0 ? 220 : 30)));
    const blurred = toGray(rgba(64, 64, (x, y) => 125 + 40 * Math.sin(x / 6) * Math.sin(y / 6)));
    expect(laplacianVariance(sharp, 64, 64)).toBeGreaterThan(laplacianVariance(blurred, 64, 64) * 10);
    expect(laplacianVariance(toGray(rgba(8, 8, () => 100)), 8, 8)).toBe(0);
  });

  it('measures a smaller half-flux radius for focused stars than for defocused ones, and none without stars', () => {
    const focused = stars(1.2);
    const defocused = stars(3);
    const a = starHalfFluxRadius(focused.gray, focused.w, focused.h);
    const b = starHalfFluxRadius(defocused.gray, defocused.w, defocused.h);
    expect(a.stars).toBe(4);
    expect(b.stars).toBe(4);
    expect(a.hfr!).toBeLessThan(b.hfr!);
    const empty = toGray(rgba(64, 64, () => 12));
    expect(starHalfFluxRadius(empty, 64, 64)).toEqual({ hfr: null, stars: 0 });
  });

  it('follows focus through sensor noise: the radius grows with the star width, near the Gaussian 1.25 σ', () => {
    // Noise like a high-gain night preview's (±20 levels around a dark sky): counted all over the aperture it
    // would pull every radius towards the aperture's own and hide focus; only light above 3σ counts.
    const radii = [1, 1.5, 2, 3].map((sigma) => {
      const f = stars(sigma, 40);
      const m = starHalfFluxRadius(f.gray, f.w, f.h);
      expect(m.stars).toBe(4);
      return m.hfr!;
    });
    for (let i = 1; i < radii.length; i++) expect(radii[i]!).toBeGreaterThan(radii[i - 1]! + 0.2);
    expect(radii[0]!).toBeLessThan(1.6);
    expect(radii[3]!).toBeGreaterThan(2.6);
  });

  it('tells night from day, takes a p95 and reads shutter speeds', () => {
    expect(looksLikeNight(20, 1000)).toBe(true);
    expect(looksLikeNight(120, 500_000)).toBe(true);
    expect(looksLikeNight(120, 1000)).toBe(false);
    expect(p95([])).toBeNull();
    expect(p95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(95);
    expect(shutterSeconds('1/250')).toBeCloseTo(0.004);
    expect(shutterSeconds('30s')).toBe(30);
    expect(shutterSeconds('2.5')).toBe(2.5);
    expect(shutterSeconds('fast')).toBeNull();
  });
});
