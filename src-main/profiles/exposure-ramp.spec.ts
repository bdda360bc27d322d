import { describe, expect, it } from 'vitest';
import { shutterToSeconds } from '../agents/protocol.js';
import { APERTURE_F, DEFAULT_MAX_STEP_EV, rampExposure } from '../../agent/src/exposure.js';
import { rampStep, settingsEv, smoothExposure } from './exposure-ramp.js';

/** A sunset-to-night metering curve with a sudden jump (a cloud) and noise. */
function sunsetTargets(frames: number): number[] {
  return Array.from({ length: frames }, (_, i) => {
    const x = i / frames;
    const base = 14 - 22 * Math.min(1, Math.max(0, (x - 0.2) / 0.6)); // 14 EV → -8 EV
    return base + (i === Math.floor(frames / 2) ? 4 : 0) + Math.sin(i * 1.7) * 0.4;
  });
}

describe('smoothExposure', () => {
  for (const step of [1 / 3, 0.1, 1]) {
    it(`never steps more than ${step.toFixed(2)} EV between frames, within ISO and shutter limits and the interval`, () => {
      const frames = smoothExposure(sunsetTargets(900), {
        intervalSeconds: 15,
        maxStepEv: step,
        isoMin: 100,
        isoMax: 1600,
        shutterMaxSeconds: 20,
      });
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]!;
        expect(f.iso).toBeGreaterThanOrEqual(100);
        expect(f.iso).toBeLessThanOrEqual(1600);
        expect(Number.isInteger(f.iso)).toBe(true);
        expect(f.shutter_seconds).toBeLessThanOrEqual(14);
        expect(f.shutter_seconds).toBeGreaterThanOrEqual(1 / 8000);
        expect(shutterToSeconds(f.shutter_speed)).toBeCloseTo(f.shutter_seconds, 9);
        expect(settingsEv(f.iso, f.shutter_seconds)).toBeCloseTo(f.ev, 9);
        if (i > 0) expect(Math.abs(f.ev - frames[i - 1]!.ev)).toBeLessThanOrEqual(step + 1e-9);
      }
    });
  }

  it('follows slow changes closely and reaches the night limit (longest shutter, then ISO)', () => {
    const frames = smoothExposure(sunsetTargets(900), { intervalSeconds: 15 });
    expect(Math.abs(frames[100]!.ev - frames[100]!.target_ev)).toBeLessThan(0.35);
    expect(frames[0]!.iso).toBe(100); // daylight: base ISO, short shutter
    const last = frames.at(-1)!;
    expect(last.shutter_seconds).toBe(14);
    expect(last.iso).toBe(3200);
    expect(last.limited).toBe('range');
    expect(frames.some((f) => f.limited === 'step')).toBe(true);
  });

  it('rejects an interval with no time for an exposure', () => {
    expect(() => smoothExposure([10], { intervalSeconds: 1, gapSeconds: 1 })).toThrow(/interval/);
  });

  it('obeys limits that tightened under the ramp at once (a stormy rule capping the shutter)', () => {
    // The previous frame was a 30 s night exposure; the new limits allow at most 1/125 s and ISO 100.
    const previous = { ev: settingsEv(100, 30), iso: 100, shutter_seconds: 30, shutter_speed: '30' };
    const f = rampStep(previous, previous.ev, {
      intervalSeconds: 60,
      isoMin: 100,
      isoMax: 100,
      shutterMaxSeconds: 1 / 125,
    });
    expect(f.shutter_seconds).toBeLessThanOrEqual(1 / 125 + 1e-12);
    expect(f.iso).toBe(100);
    expect(f.limited).toBe('range');
    // Within the new range the ramp goes on from there, a step at a time.
    const next = rampStep(f, f.ev + 3, { intervalSeconds: 60, isoMin: 100, isoMax: 3200, shutterMaxSeconds: 1 / 125 });
    expect(Math.abs(next.ev - f.ev)).toBeLessThanOrEqual(1 / 3 + 1e-9);
  });

  it("is the agent's exposure engine: the plan runner's frames, at the same default aperture", () => {
    const limits = { isoMin: 100, isoMax: 3200, shutterMin: 1 / 8000, shutterMax: 29 };
    let agentPrev: { iso: number; shutter: string } | null = null;
    const targets = [12, 9, 6, 3, 0, -3, -6, -6, 5];
    const station = smoothExposure(targets, { intervalSeconds: 30 });
    targets.forEach((t, i) => {
      const a = rampExposure(agentPrev, t, DEFAULT_MAX_STEP_EV, limits);
      expect(station[i]).toMatchObject({ iso: a.iso, shutter_speed: a.shutter, limited: a.limited });
      expect(station[i]!.ev).toBeCloseTo(a.ev, 12);
      agentPrev = { iso: a.iso, shutter: a.shutter };
    });
    expect(settingsEv(100, 1)).toBeCloseTo(Math.log2(APERTURE_F * APERTURE_F), 12);
  });
});
