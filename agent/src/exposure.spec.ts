import { describe, expect, it } from 'vitest';
import {
  autoExposure,
  ev100FromLux,
  interpolateLuxTable,
  rampExposure,
  settingsEv,
  type FrameSettings,
  type RampChoice,
  type RampLimits,
} from './exposure.js';
import { ShutterSpeed, shutterToSeconds } from './protocol/index.js';
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

describe('rampExposure (holy-grail step)', () => {
  const limits: RampLimits = { isoMin: 100, isoMax: 1600, shutterMin: 1 / 32000, shutterMax: 14 };
  const evOf = (f: FrameSettings): number => settingsEv(f.iso, shutterToSeconds(f.shutter));

  /** Runs the ramp frame by frame over metered targets, from no previous frame. */
  function run(targets: readonly number[], step: number, l: RampLimits = limits): RampChoice[] {
    const out: RampChoice[] = [];
    for (const t of targets) out.push(rampExposure(out.at(-1) ?? null, t, step, l));
    return out;
  }

  /** A sunset: 20 frames of daylight (EV 13), then a 17-stop fall within 40 frames, then night (EV -4). */
  const sunset = Array.from({ length: 400 }, (_, i) => 13 - 17 * Math.min(1, Math.max(0, (i - 20) / 40)));

  for (const step of [1 / 3, 0.05, 1, 2]) {
    it(`never changes by more than ${step.toFixed(2)} EV between frames, and reaches the metered value`, () => {
      const frames = run(sunset, step);
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        expect(ShutterSpeed.safeParse(f.shutter).success).toBe(true);
        expect(shutterToSeconds(f.shutter)).toBeCloseTo(f.shutterSeconds, 12);
        expect(evOf(f)).toBeCloseTo(f.ev, 9);
        expect(Number.isInteger(f.iso)).toBe(true);
        expect(f.iso).toBeGreaterThanOrEqual(100);
        expect(f.iso).toBeLessThanOrEqual(1600);
        expect(f.shutterSeconds).toBeLessThanOrEqual(14);
        if (i > 0) expect(Math.abs(f.ev - frames[i - 1]!.ev)).toBeLessThanOrEqual(step + 1e-9);
      }
      // The fall outruns small steps, so the ramp lags ...
      if (step < 1) expect(frames.some((f) => f.limited === 'step')).toBe(true);
      // ... and catches up: the last frames sit on the metered EV.
      expect(frames[0]!.ev).toBeCloseTo(13, 1);
      expect(frames.at(-1)!.ev).toBeCloseTo(-4, 1);
      expect(frames.at(-1)!.limited).toBe('none');
    });
  }

  it('moves the shutter first and raises ISO only once the shutter is at its longest', () => {
    const frames = run(sunset, 1 / 3);
    // ISO may fine-tune a quantised shutter by a few percent; beyond that the shutter must be at its longest.
    for (const f of frames) if (f.iso > 105) expect(f.shutterSeconds).toBeGreaterThan(14 * 0.999);
    const night = frames.at(-1)!;
    expect(night.shutterSeconds).toBeCloseTo(14, 2);
    expect(night.iso).toBeGreaterThan(100);
    expect(frames[0]!.iso).toBe(100);
  });

  it('starts a new window on the meter (no previous frame) and continues from a journalled previous frame', () => {
    expect(rampExposure(null, -2, 1 / 3, limits).ev).toBeCloseTo(-2, 1);
    const previous = { iso: 100, shutter: '1/1000' }; // EV ~12.9
    const next = rampExposure(previous, -2, 1 / 3, limits);
    expect(next.ev).toBeCloseTo(evOf(previous) - 1 / 3, 2);
    expect(evOf(previous) - next.ev).toBeLessThanOrEqual(1 / 3 + 1e-9);
    expect(next.limited).toBe('step');
    // Within the step it goes straight to the meter.
    const close = rampExposure(previous, evOf(previous) - 0.2, 1 / 3, limits);
    expect(close.ev).toBeCloseTo(evOf(previous) - 0.2, 1);
    expect(close.limited).toBe('none');
  });

  it('stops at the limits (range) when the scene is darker than the longest shutter at the highest ISO', () => {
    const tight: RampLimits = { ...limits, shutterMax: 0.5 };
    const frames = run(sunset, 1 / 3, tight);
    const night = frames.at(-1)!;
    expect(night.limited).toBe('range');
    expect(night.iso).toBe(1600);
    expect(night.shutterSeconds).toBeCloseTo(0.5, 6);
    expect(night.ev).toBeCloseTo(settingsEv(1600, 0.5), 9);
  });

  it('obeys limits that tightened since the previous frame at once, then ramps within them', () => {
    const previous = { iso: 1600, shutter: '20' };
    const capped = { isoMin: 100, isoMax: 400, shutterMin: 1 / 8000, shutterMax: 1 / 125 };
    const first = rampExposure(previous, settingsEv(1600, 20), 1 / 3, capped);
    expect(first.shutterSeconds).toBeLessThanOrEqual(1 / 125 + 1e-12);
    expect(first.iso).toBeLessThanOrEqual(400);
    expect(first.limited).toBe('range');
    const next = rampExposure({ iso: first.iso, shutter: first.shutter }, first.ev + 3, 1 / 3, capped);
    expect(Math.abs(next.ev - first.ev)).toBeLessThanOrEqual(1 / 3 + 1e-9);
  });
});
