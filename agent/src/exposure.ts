/**
 * Exposure arithmetic shared by the meter, the deployed-profile executor and
 * the simulated sensor. Fixed aperture f/2.8 (the Pi camera modules have no iris).
 */
import { secondsToShutter, shutterToSeconds } from './protocol/index.js';

export const APERTURE_F = 2.8;
/** Incident-light meter calibration constant: EV100 = log2(lux / 2.5). */
export const METER_C = 2.5;

export function ev100FromLux(lux: number): number {
  return Math.log2(Math.max(lux, 1e-6) / METER_C);
}

/** Exposure value of camera settings, referred to ISO 100. Larger = less light reaches the image. */
export function settingsEv(iso: number, shutterSeconds: number, aperture = APERTURE_F): number {
  return Math.log2((aperture * aperture) / shutterSeconds) - Math.log2(iso / 100);
}

export interface ExposureLimits {
  isoMin: number;
  isoMax: number;
  /** Longest hand-holdable-free shutter before ISO is raised (seconds). */
  shutterPreferredMax: number;
  shutterMin: number;
  shutterMax: number;
}

export const DEFAULT_LIMITS: ExposureLimits = {
  isoMin: 100,
  isoMax: 1600,
  shutterPreferredMax: 1 / 30,
  shutterMin: 1 / 32000,
  shutterMax: 30,
};

export interface ExposureChoice {
  iso: number;
  shutterSeconds: number;
  shutter: string;
}

/**
 * Auto-exposure for a middle grey at `ev100`: base ISO and a shutter up to
 * 1/30 s; when that is not enough raise ISO up to the limit, and only then
 * lengthen the shutter up to the longest allowed. Dimmer than that
 * under-exposes at the limits.
 */
export function autoExposure(ev100: number, limits: ExposureLimits = DEFAULT_LIMITS): ExposureChoice {
  const n2 = APERTURE_F * APERTURE_F;
  const preferredMax = Math.min(limits.shutterPreferredMax, limits.shutterMax);
  let iso = limits.isoMin;
  let t = n2 / (2 ** ev100 * (iso / 100));
  if (t > preferredMax) {
    t = preferredMax;
    iso = (100 * n2) / (t * 2 ** ev100);
    if (iso > limits.isoMax) {
      iso = limits.isoMax;
      t = Math.min(limits.shutterMax, n2 / (2 ** ev100 * (iso / 100)));
    }
  }
  t = Math.min(limits.shutterMax, Math.max(limits.shutterMin, t));
  const shutter = secondsToShutter(t);
  return {
    iso: Math.round(Math.min(limits.isoMax, Math.max(limits.isoMin, iso))),
    shutterSeconds: shutterToSeconds(shutter),
    shutter,
  };
}

/** Linear interpolation of a [lux, kelvin] table; clamps outside its range. */
export function interpolateLuxTable(table: readonly (readonly [number, number])[], lux: number): number | undefined {
  if (table.length === 0) return undefined;
  const sorted = [...table].sort((a, b) => a[0] - b[0]);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (lux <= first[0]) return first[1];
  if (lux >= last[0]) return last[1];
  for (let i = 1; i < sorted.length; i++) {
    const [x1, k1] = sorted[i]!;
    const [x0, k0] = sorted[i - 1]!;
    if (lux <= x1) {
      const f = x1 === x0 ? 0 : (lux - x0) / (x1 - x0);
      return Math.round(k0 + f * (k1 - k0));
    }
  }
  return last[1];
}
