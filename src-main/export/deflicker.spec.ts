import { describe, expect, it } from 'vitest';
import { deflickerGains, flickerIndex, smoothCurve } from './deflicker.js';

describe('deflicker curve', () => {
  it('removes alternating ±20 % flicker almost entirely', () => {
    const measured = Array.from({ length: 80 }, (_, i) => 100 * (i % 2 ? 0.8 : 1.2));
    const gains = deflickerGains(measured, 15);
    const corrected = measured.map((m, i) => m * gains[i]!);
    expect(flickerIndex(measured)).toBeGreaterThan(30);
    expect(flickerIndex(corrected)).toBeLessThan(flickerIndex(measured) * 0.05);
  });

  it('follows a slow sunset ramp and ignores a single flash', () => {
    const ramp = Array.from({ length: 100 }, (_, i) => 200 * Math.exp(-i / 40));
    ramp[50] = 250;
    const s = smoothCurve(ramp, 15);
    for (const i of [10, 30, 70, 90]) expect(s[i]! / ramp[i]!).toBeGreaterThan(0.97);
    expect(s[50]! / (200 * Math.exp(-50 / 40))).toBeLessThan(1.05);
  });

  it('clamps gains to ±2 stops', () => {
    const g = deflickerGains([100, 100, 1, 100, 100], 5);
    expect(Math.max(...g)).toBeLessThanOrEqual(4);
  });
});
