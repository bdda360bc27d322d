/**
 * Smooth exposure across day and night ("holy grail" timelapse). Input: the
 * metered target exposure per frame as EV100 of the scene (bright daylight
 * ~15, civil twilight ~3, starry night ~-6). Output: ISO and shutter per frame
 * such that the realised exposure never changes by more than `maxStepEv`
 * between consecutive frames (default 1/3 stop), ISO and shutter stay in
 * their limits, and the shutter fits in the frame interval (interval minus
 * `gapSeconds` for readout and writing). Low ISO is preferred: the shutter
 * lengthens first, ISO rises only once the shutter is at its longest.
 */
import { StationError } from '../util/errors.js';

export interface RampOptions {
  readonly intervalSeconds: number;
  /** Largest change between frames, in stops; default 1/3. */
  readonly maxStepEv?: number;
  readonly isoMin?: number;
  readonly isoMax?: number;
  /** Fastest shutter, seconds; default 1/8000. */
  readonly shutterMinSeconds?: number;
  /** Slowest shutter, seconds; default 30 (always capped by the interval). */
  readonly shutterMaxSeconds?: number;
  /** Time each frame needs besides the exposure; default 1 s. */
  readonly gapSeconds?: number;
  /** Lens f-number (fixed on Pi cameras); default 1.8. */
  readonly aperture?: number;
}

export interface RampFrame {
  /** The metered target, EV100. */
  readonly target_ev: number;
  /** The exposure actually set, EV100 equivalent of iso and shutter. */
  readonly ev: number;
  readonly iso: number;
  readonly shutter_seconds: number;
  /** Agent wire form: "1/500" or seconds like "2.5". */
  readonly shutter_speed: string;
  /** Why ev differs from the target: none, the step limit, or the ISO/shutter range. */
  readonly limited: 'none' | 'step' | 'range';
}

/** EV100 that a shutter and ISO realise at an aperture. */
export function settingsEv(aperture: number, shutterSeconds: number, iso: number): number {
  return Math.log2((aperture * aperture * 100) / (shutterSeconds * iso));
}

/** Representable shutter values near t (the wire format quantises them): milliseconds from 1/20 s up, 1/N below. */
function shutterCandidates(t: number, tMin: number, tMax: number): Array<{ seconds: number; text: string }> {
  const out: Array<{ seconds: number; text: string }> = [];
  if (t >= 0.05) {
    const ms = Math.round(t * 1000);
    for (const m of [ms - 1, ms, ms + 1]) if (m > 0) out.push({ seconds: m / 1000, text: String(m / 1000) });
  } else {
    const n = Math.round(1 / t);
    for (const k of [n - 1, n, n + 1]) if (k >= 1) out.push({ seconds: 1 / k, text: `1/${k}` });
  }
  return out.filter((c) => c.seconds >= tMin - 1e-12 && c.seconds <= tMax + 1e-12);
}

/** The frame before: its realised EV and settings (held when quantisation finds nothing inside the step). */
export type PreviousFrame = Pick<RampFrame, 'ev' | 'iso' | 'shutter_seconds' | 'shutter_speed'>;

interface Resolved {
  step: number;
  isoMin: number;
  isoMax: number;
  tMin: number;
  tMax: number;
  n: number;
}

function resolveOptions(options: RampOptions): Resolved {
  const step = options.maxStepEv ?? 1 / 3;
  const isoMin = options.isoMin ?? 100;
  const isoMax = options.isoMax ?? 3200;
  const tMin = options.shutterMinSeconds ?? 1 / 8000;
  const n = options.aperture ?? 1.8;
  const tMax = Math.min(options.shutterMaxSeconds ?? 30, options.intervalSeconds - (options.gapSeconds ?? 1));
  if (!(step > 0))
    throw new StationError('RAMP_STEP_INVALID', 'The largest exposure step must be above 0 stops (1/3 is usual).');
  if (!(isoMin >= 1 && isoMax >= isoMin))
    throw new StationError('RAMP_ISO_INVALID', `ISO limits ${isoMin}–${isoMax} are not a range.`);
  if (!(tMax >= tMin)) {
    throw new StationError(
      'RAMP_INTERVAL_TOO_SHORT',
      `A ${options.intervalSeconds} s interval leaves no time for an exposure; lengthen the interval or shorten the gap.`,
    );
  }
  return { step, isoMin, isoMax, tMin, tMax, n };
}

function step(previous: PreviousFrame | null, target: number, o: Resolved): RampFrame {
  const { isoMin, isoMax, tMin, tMax, n } = o;
  if (!Number.isFinite(target))
    throw new StationError('RAMP_TARGET_INVALID', 'Every metered target must be a finite EV value.');
  const evLow = settingsEv(n, tMax, isoMax); // darkest scene we can expose for
  const evHigh = settingsEv(n, tMin, isoMin); // brightest
  // Limits that changed under the ramp (a strategy's shutter cap, a new profile) win at once: the ramp
  // continues from the nearest exposure the new limits allow.
  const prev = previous === null ? undefined : Math.min(evHigh, Math.max(evLow, previous.ev));
  const previousFits =
    previous !== null &&
    previous.iso >= isoMin &&
    previous.iso <= isoMax &&
    previous.shutter_seconds >= tMin - 1e-12 &&
    previous.shutter_seconds <= tMax + 1e-12;
  let desired = Math.min(evHigh, Math.max(evLow, target));
  let limited: RampFrame['limited'] = desired === target ? 'none' : 'range';
  if (prev !== undefined && Math.abs(desired - prev) > o.step) {
    desired = prev + Math.sign(desired - prev) * o.step;
    limited = 'step';
  }
  const product = (n * n * 100) / 2 ** desired; // shutter × ISO
  let t = product / isoMin;
  if (t > tMax) t = tMax;
  if (t < tMin) t = tMin;
  let best: { iso: number; seconds: number; text: string; ev: number } | undefined;
  for (const c of shutterCandidates(t, tMin, tMax)) {
    const ideal = product / c.seconds;
    for (const iso of new Set(
      [Math.floor(ideal), Math.ceil(ideal)].map((i) => Math.min(isoMax, Math.max(isoMin, i))),
    )) {
      const ev = settingsEv(n, c.seconds, iso);
      if (prev !== undefined && Math.abs(ev - prev) > o.step + 1e-12) continue;
      if (!best || Math.abs(ev - desired) < Math.abs(best.ev - desired))
        best = { iso, seconds: c.seconds, text: c.text, ev };
    }
  }
  if (!best && previous && previousFits) {
    // Quantisation found nothing inside the step: hold the previous settings.
    best = { iso: previous.iso, seconds: previous.shutter_seconds, text: previous.shutter_speed, ev: previous.ev };
    limited = 'step';
  }
  if (!best) {
    // The previous settings are outside the limits now: the nearest settings the limits allow.
    for (const c of shutterCandidates(t, tMin, tMax)) {
      const iso = Math.min(isoMax, Math.max(isoMin, Math.round(product / c.seconds)));
      const ev = settingsEv(n, c.seconds, iso);
      if (!best || Math.abs(ev - desired) < Math.abs(best.ev - desired))
        best = { iso, seconds: c.seconds, text: c.text, ev };
    }
    if (!best)
      throw new StationError('RAMP_NO_SETTINGS', 'No ISO and shutter within the limits reach the first target.');
    limited = 'range';
  }
  return {
    target_ev: target,
    ev: best.ev,
    iso: best.iso,
    shutter_seconds: best.seconds,
    shutter_speed: best.text,
    limited,
  };
}

/**
 * One frame of the ramp: the settings nearest `targetEv` whose EV is within
 * `maxStepEv` of the previous frame's (none: straight to the target). For
 * live capture, where frames come one at a time.
 */
export function rampStep(previous: PreviousFrame | null, targetEv: number, options: RampOptions): RampFrame {
  return step(previous, targetEv, resolveOptions(options));
}

/** Per-frame ISO and shutter following the targets with no step above maxStepEv. */
export function smoothExposure(targetsEv: readonly number[], options: RampOptions): RampFrame[] {
  const o = resolveOptions(options);
  const frames: RampFrame[] = [];
  for (const target of targetsEv) frames.push(step(frames[frames.length - 1] ?? null, target, o));
  return frames;
}
