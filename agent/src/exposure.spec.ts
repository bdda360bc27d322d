import { describe, expect, it } from 'vitest';
import { autoExposure, ev100FromLux, interpolateLuxTable, settingsEv } from './exposure.js';
import { shutterToSeconds } from './protocol/index.js';
import { DEFAULT_LOCATION, moonLux, skyState, sunLux } from './sky/model.js';

describe('exposure', () => {
  it('EV100 follows log2(lux / 2.5)', () => {
    expect(ev100FromLux(2.5)).toBeCloseTo(0);
    expect(ev100FromLux(2560)).toBeCloseTo(10);
  });

  it('auto-exposure meters a middle grey: its settings EV equals the scene EV when within limits', () => {
    for (const lux of [100_000, 5000, 400, 3, 0.2]) {
      const ev = ev100FromLux(lux);
      const ae = autoExposure(ev);
      expect(settingsEv(ae.iso, shutterToSeconds(ae.shutter))).toBeCloseTo(ev, 0);
    }
  });

  it('prefers ISO 100, then raises ISO to 1600 at 1/30 s, then lengthens the shutter to 30 s', () => {
    expect(autoExposure(ev100FromLux(100_000))).toMatchObject({ iso: 100 });
    expect(shutterToSeconds(autoExposure(ev100FromLux(100_000)).shutter)).toBeLessThan(1 / 1000);
    const dusk = autoExposure(ev100FromLux(200));
    expect(dusk.shutter).toBe('1/30');
    expect(dusk.iso).toBeGreaterThan(100);
    expect(dusk.iso).toBeLessThanOrEqual(1600);
    const dark = autoExposure(ev100FromLux(1));
    expect(dark.iso).toBe(1600);
    expect(shutterToSeconds(dark.shutter)).toBeGreaterThan(1 / 30);
    expect(autoExposure(ev100FromLux(0.0001))).toMatchObject({ iso: 1600, shutter: '30' });
  });

  it('interpolates the adaptive white-balance lux table', () => {
    const table: [number, number][] = [
      [10000, 5500],
      [100, 3500],
    ];
    expect(interpolateLuxTable(table, 5050)).toBe(4500);
    expect(interpolateLuxTable(table, 1)).toBe(3500);
    expect(interpolateLuxTable(table, 1e6)).toBe(5500);
    expect(interpolateLuxTable([], 10)).toBeUndefined();
  });
});

describe('sky model', () => {
  it('follows the photometric anchors by sun altitude', () => {
    expect(sunLux(60)).toBeCloseTo(100_000, -3);
    expect(sunLux(0)).toBeCloseTo(400);
    expect(sunLux(-6)).toBeCloseTo(3);
    expect(sunLux(-12)).toBeCloseTo(0.008);
    expect(sunLux(-30)).toBeCloseTo(0.001);
    // monotonic
    for (let alt = -20; alt < 80; alt += 1) expect(sunLux(alt + 1)).toBeGreaterThanOrEqual(sunLux(alt));
  });

  it('adds moonlight only when the moon is up', () => {
    expect(moonLux(-5, 1)).toBe(0);
    expect(moonLux(60, 1)).toBeGreaterThan(0.2);
  });

  it('puts the sun high at local noon and below -18 degrees at midnight at the seed site', () => {
    const noon = skyState(DEFAULT_LOCATION, new Date('2025-06-21T19:00:00Z'));
    expect(noon.sunAltitudeDeg).toBeGreaterThan(70);
    const night = skyState(DEFAULT_LOCATION, new Date('2025-06-22T07:00:00Z'));
    expect(night.sunAltitudeDeg).toBeLessThan(-18);
  });
});
