import { describe, expect, it } from 'vitest';
import { addHotPixels, darkCurrent, fixedPattern, renderDark, sensorTemperatureC } from './sensor-dark.js';

const W = 400;
const H = 300;
const NIGHT = { iso: 3200, shutterSeconds: 20, temperatureC: 10 };

function stats(rgb: Buffer): { mean: number; sd: number } {
  let sum = 0;
  let sq = 0;
  for (const v of rgb) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / rgb.length;
  return { mean, sd: Math.sqrt(sq / rgb.length - mean * mean) };
}

/** Statistics without the hot pixels: the random part of the dark. */
function background(rgb: Buffer, hot: Uint32Array): { mean: number; sd: number } {
  const copy = Buffer.from(rgb);
  const skip = new Set(hot);
  const kept: number[] = [];
  for (let p = 0; p < W * H; p++) if (!skip.has(p)) kept.push(copy[p * 3]!, copy[p * 3 + 1]!, copy[p * 3 + 2]!);
  return stats(Buffer.from(kept));
}

describe('the simulated sensor in the dark', () => {
  it('has a fixed pattern of hot pixels per camera identity', () => {
    const a = fixedPattern('camera-a', W, H);
    expect(a.hot.length).toBe(30);
    expect(fixedPattern('camera-a', W, H)).toBe(a);
    // Computed afresh once the cache has moved on (a restarted agent): the same places.
    for (let i = 0; i < 20; i++) fixedPattern(`other-${i}`, 16, 16);
    const again = fixedPattern('camera-a', W, H);
    expect(again).not.toBe(a);
    expect([...again.hot]).toEqual([...a.hot]);
    const b = fixedPattern('camera-b', W, H);
    const shared = [...b.hot].filter((p) => a.hot.includes(p)).length;
    expect(shared).toBeLessThan(3);
  });

  it('renders a near-black frame whose hot pixels stand out', () => {
    const pattern = fixedPattern('camera-a', W, H);
    const dark = renderDark(pattern, NIGHT, 12345);
    const bg = background(dark, pattern.hot);
    expect(bg.mean).toBeLessThan(15);
    const hotMax = [...pattern.hot].map((p) => Math.max(dark[p * 3]!, dark[p * 3 + 1]!, dark[p * 3 + 2]!));
    expect(hotMax.filter((v) => v > bg.mean + 6 * bg.sd).length).toBeGreaterThan(pattern.hot.length * 0.9);
  });

  it('gets brighter and noisier with exposure time, gain and temperature', () => {
    const pattern = fixedPattern('camera-a', W, H);
    const bg = (e: typeof NIGHT) => background(renderDark(pattern, e, 99), pattern.hot);
    const base = bg({ iso: 800, shutterSeconds: 30, temperatureC: 15 });
    const longer = bg({ iso: 800, shutterSeconds: 300, temperatureC: 15 });
    const higherGain = bg({ iso: 6400, shutterSeconds: 30, temperatureC: 15 });
    const warmer = bg({ iso: 800, shutterSeconds: 30, temperatureC: 45 });
    for (const more of [longer, higherGain, warmer]) {
      expect(more.mean).toBeGreaterThan(base.mean);
      expect(more.sd).toBeGreaterThan(base.sd);
    }
    // Dark current doubles about every 6.3 °C and is linear in time and gain.
    expect(
      darkCurrent({ iso: 800, shutterSeconds: 30, temperatureC: 21.3 }) /
        darkCurrent({ iso: 800, shutterSeconds: 30, temperatureC: 15 }),
    ).toBeCloseTo(2, 5);
    expect(darkCurrent({ ...NIGHT, shutterSeconds: 40 }) / darkCurrent(NIGHT)).toBeCloseTo(2, 5);
    expect(darkCurrent({ ...NIGHT, iso: 6400 }) / darkCurrent(NIGHT)).toBeCloseTo(2, 5);
  });

  it('adds the same hot pixels to a light frame, and nothing elsewhere', () => {
    const pattern = fixedPattern('camera-a', W, H);
    const sky = Buffer.alloc(W * H * 3, 60);
    addHotPixels(sky, pattern, NIGHT);
    const hot = new Set(pattern.hot);
    let brighter = 0;
    for (let p = 0; p < W * H; p++) {
      const max = Math.max(sky[p * 3]!, sky[p * 3 + 1]!, sky[p * 3 + 2]!);
      if (hot.has(p) && max > 100) brighter++;
      if (!hot.has(p)) expect(max).toBe(60);
    }
    expect(brighter).toBe(pattern.hot.length);
    // A daylight exposure is far too short for them to show.
    const day = Buffer.alloc(W * H * 3, 120);
    addHotPixels(day, pattern, { iso: 100, shutterSeconds: 1 / 1000, temperatureC: 26 });
    expect(day.every((v) => v === 120)).toBe(true);
  });

  it('runs warmer by day than at night', () => {
    expect(sensorTemperatureC(-30)).toBeLessThan(sensorTemperatureC(5));
    expect(sensorTemperatureC(5)).toBeLessThan(sensorTemperatureC(50));
  });
});
