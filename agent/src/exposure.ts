/**
 * The one exposure engine: the arithmetic shared by the agent's meter, its
 * deployed-plan runner and simulated sensor, and by the station's live
 * orchestration and profile ramp previews (src-main imports it from here).
 * Fixed aperture f/2.8 (the Pi camera modules have no iris) unless a caller
 * names another.
 */
import { secondsToShutter, shutterToSeconds } from './protocol/index.js';

export const APERTURE_F = 2.8;
/** Incident-light meter calibration constant: EV100 = log2(lux / 2.5). */
export const METER_C = 2.5;

/** The largest exposure change between consecutive frames of a ramp, in stops, unless a profile says otherwise. */
export const DEFAULT_MAX_STEP_EV = 1 / 3;
/** A gap longer than this many intervals starts a new ramp from the meter... */
export const RESET_INTERVALS = 3;
/** ...but never sooner than this, so a short restart does not cause a jump. */
export const RESET_MIN_GAP_MS = 60_000;

/** How long after the previous frame a ramp starts afresh from the meter. */
export function resetGapMs(intervalMs: number): number {
  return Math.max(RESET_INTERVALS * intervalMs, RESET_MIN_GAP_MS);
}

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

// ---------------------------------------------------------------- holy-grail ramp

/** Limits a ramped frame must respect; `shutterMax` already includes "fits in the interval". */
export interface RampLimits {
  isoMin: number;
  isoMax: number;
  shutterMin: number;
  shutterMax: number;
}

/** The settings a frame was (or will be) taken with. */
export interface FrameSettings {
  iso: number;
  shutter: string;
}

export interface RampChoice extends ExposureChoice {
  /** EV100 the settings realise (at the ramp's aperture, APERTURE_F unless given). */
  ev: number;
  /** The metered EV100 the ramp follows. */
  targetEv: number;
  /** Why ev differs from the target: not at all, the step limit, or the ISO/shutter range. */
  limited: 'none' | 'step' | 'range';
}

/** Shutter texts next to `t` that the wire format carries exactly: milliseconds from 1/20 s up, 1/N below. */
export function shutterCandidates(t: number, tMin: number, tMax: number): { seconds: number; text: string }[] {
  const out: { seconds: number; text: string }[] = [];
  if (t >= 0.05) {
    const ms = Math.round(t * 1000);
    for (const m of [ms - 1, ms, ms + 1])
      if (m > 0 && m < 10_000_000) out.push({ seconds: m / 1000, text: String(m / 1000) });
  } else {
    const n = Math.round(1 / t);
    for (const k of [n - 1, n, n + 1]) if (k >= 1 && k <= 999_999) out.push({ seconds: 1 / k, text: `1/${k}` });
  }
  const inRange = out.filter((c) => c.seconds >= tMin * (1 - 1e-9) && c.seconds <= tMax * (1 + 1e-9));
  return inRange.length > 0 ? inRange : [{ seconds: tMin, text: secondsToShutter(tMin) }];
}

/**
 * One frame of a smooth day/night ramp: the settings closest to the metered
 * `targetEv` whose EV differs from the previous frame's by at most
 * `maxStepEv`. The shutter moves first (ISO stays at its minimum) and ISO
 * rises only once the shutter is at `limits.shutterMax`. With no previous
 * frame (a new window) it goes straight to the target. If no quantised
 * setting lands within the step, the previous frame's settings are kept.
 */
export function rampExposure(
  previous: FrameSettings | null,
  targetEv: number,
  maxStepEv: number,
  limits: RampLimits,
  aperture = APERTURE_F,
): RampChoice {
  const n2 = aperture * aperture;
  const ev = (iso: number, seconds: number): number => settingsEv(iso, seconds, aperture);
  const { isoMin, isoMax, shutterMin } = limits;
  const shutterMax = Math.max(shutterMin, limits.shutterMax);
  const evLow = ev(isoMax, shutterMax);
  const evHigh = ev(isoMin, shutterMin);
  // Limits that changed under the ramp (the next window's schedule override, a redeploy) win at once: the
  // ramp continues from the nearest exposure they allow.
  const prevEv = previous
    ? Math.min(evHigh, Math.max(evLow, ev(previous.iso, shutterToSeconds(previous.shutter))))
    : null;
  let desired = Math.min(evHigh, Math.max(evLow, targetEv));
  let limited: RampChoice['limited'] = desired === targetEv ? 'none' : 'range';
  if (prevEv !== null && Math.abs(desired - prevEv) > maxStepEv) {
    desired = prevEv + Math.sign(desired - prevEv) * maxStepEv;
    limited = 'step';
  }
  const product = (n2 * 100) / 2 ** desired; // shutter seconds × ISO
  const t = Math.min(shutterMax, Math.max(shutterMin, product / isoMin));
  let best: RampChoice | undefined;
  for (const c of shutterCandidates(t, shutterMin, shutterMax)) {
    const ideal = product / c.seconds;
    for (const iso of new Set(
      [Math.floor(ideal), Math.ceil(ideal)].map((i) => Math.min(isoMax, Math.max(isoMin, i))),
    )) {
      const e = ev(iso, c.seconds);
      if (prevEv !== null && Math.abs(e - prevEv) > maxStepEv + 1e-9) continue;
      if (!best || Math.abs(e - desired) < Math.abs(best.ev - desired))
        best = { iso, shutterSeconds: c.seconds, shutter: c.text, ev: e, targetEv, limited };
    }
  }
  if (best) return best;
  const prev = previous!;
  const prevSeconds = shutterToSeconds(prev.shutter);
  if (
    prev.iso >= isoMin &&
    prev.iso <= isoMax &&
    prevSeconds >= shutterMin - 1e-12 &&
    prevSeconds <= shutterMax + 1e-12
  ) {
    // Quantisation left nothing inside the step (only with very small steps): hold the previous frame.
    return {
      iso: prev.iso,
      shutterSeconds: prevSeconds,
      shutter: prev.shutter,
      ev: prevEv!,
      targetEv,
      limited: 'step',
    };
  }
  // The previous settings are outside the limits now: the nearest settings the limits allow.
  for (const c of shutterCandidates(t, shutterMin, shutterMax)) {
    const iso = Math.min(isoMax, Math.max(isoMin, Math.round(product / c.seconds)));
    const e = ev(iso, c.seconds);
    if (!best || Math.abs(e - desired) < Math.abs(best.ev - desired))
      best = { iso, shutterSeconds: c.seconds, shutter: c.text, ev: e, targetEv, limited: 'range' };
  }
  return (
    best ?? {
      iso: isoMin,
      shutterSeconds: shutterMin,
      shutter: secondsToShutter(shutterMin),
      ev: evHigh,
      targetEv,
      limited: 'range',
    }
  );
}
