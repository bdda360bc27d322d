import { describe, expect, it } from 'vitest';
import { bracketStep, bracketSteps } from './bracket.js';
import type { DriverSettings } from './camera/driver.js';
import { shutterToSeconds } from './protocol/index.js';

const BASE: DriverSettings = {
  iso: 200,
  shutter_speed: '1/250',
  exposure_compensation: 0.3,
  awb_mode: 1,
  ae_metering_mode: 0,
};
const WIDE = { shutterMinSeconds: 1 / 8000, shutterMaxSeconds: 30, isoMin: 100, isoMax: 6400 };
const stops = (s: DriverSettings): number => Math.log2(shutterToSeconds(s.shutter_speed) * s.iso);

describe('bracket steps', () => {
  it('moves the shutter first and leaves ISO and the rest of the settings alone', () => {
    const steps = bracketSteps(BASE, [-2, 0, 2], WIDE);
    expect(steps.map((s) => s.settings.shutter_speed)).toEqual(['1/1000', '1/250', '1/63']);
    expect(steps.map((s) => s.settings.iso)).toEqual([200, 200, 200]);
    expect(steps.every((s) => s.settings.exposure_compensation === 0.3 && s.settings.awb_mode === 1)).toBe(true);
    for (const s of steps) expect(s.achievedEv).toBeCloseTo(s.ev, 1);
  });

  it('gives ISO what the shutter cannot reach at its limit', () => {
    const night = { ...BASE, shutter_speed: '15' };
    const up = bracketStep(night, 2, WIDE);
    // 60 s is past the 30 s limit: 30 s (one stop) and ISO 400 (the other).
    expect(up.settings).toMatchObject({ shutter_speed: '30', iso: 400 });
    expect(up.achievedEv).toBeCloseTo(2, 5);
    const fast = bracketStep({ ...BASE, shutter_speed: '1/4000' }, -3, WIDE);
    expect(fast.settings).toMatchObject({ shutter_speed: '1/8000', iso: 100 });
    // ISO 50 is below the camera's 100: the set is one stop short, and says so.
    expect(fast.achievedEv).toBeCloseTo(-2, 5);
  });

  it('keeps ISO when the shutter rounding is under a tenth of a stop, and corrects it above', () => {
    // 1/30 s + 0.7 EV is 1/18.5 s, written 1/18: 0.04 EV off, ISO stays.
    expect(bracketStep({ ...BASE, shutter_speed: '1/30' }, 0.7, WIDE).settings).toMatchObject({
      shutter_speed: '1/18',
      iso: 200,
    });
    // 1/2 s + 0.5 EV is 0.71 s, written 1/1 (half a stop too long): ISO takes half a stop back.
    const long = bracketStep({ ...BASE, shutter_speed: '1/2' }, 0.5, WIDE);
    expect(long.settings).toMatchObject({ shutter_speed: '1/1', iso: 141 });
    expect(long.achievedEv).toBeCloseTo(0.5, 2);
    expect(stops(long.settings) - stops({ ...BASE, shutter_speed: '1/2' })).toBeCloseTo(0.5, 2);
  });

  it('leaves the base exposure as it is for 0 EV', () => {
    expect(bracketStep(BASE, 0, WIDE)).toEqual({ ev: 0, settings: BASE, achievedEv: 0 });
  });
});
