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
import { APERTURE_F, DEFAULT_MAX_STEP_EV, rampExposure, settingsEv } from '../../agent/src/exposure.js';
import { StationError } from '../util/errors.js';

/** EV100 of settings: the one exposure engine's (agent/src/exposure.ts), argument order (iso, shutter, aperture). */
export { settingsEv };

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
  /** Lens f-number (fixed on Pi cameras); default the agent cameras' f/2.8 (APERTURE_F). */
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
  const step = options.maxStepEv ?? DEFAULT_MAX_STEP_EV;
  const isoMin = options.isoMin ?? 100;
  const isoMax = options.isoMax ?? 3200;
  const tMin = options.shutterMinSeconds ?? 1 / 8000;
  const n = options.aperture ?? APERTURE_F;
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

/** One frame through the exposure engine's ramp, with the station's checks and wire-format names. */
function step(previous: PreviousFrame | null, target: number, o: Resolved): RampFrame {
  if (!Number.isFinite(target))
    throw new StationError('RAMP_TARGET_INVALID', 'Every metered target must be a finite EV value.');
  const choice = rampExposure(
    previous === null ? null : { iso: previous.iso, shutter: previous.shutter_speed },
    target,
    o.step,
    { isoMin: o.isoMin, isoMax: o.isoMax, shutterMin: o.tMin, shutterMax: o.tMax },
    o.n,
  );
  return {
    target_ev: target,
    ev: choice.ev,
    iso: choice.iso,
    shutter_seconds: choice.shutterSeconds,
    shutter_speed: choice.shutter,
    limited: choice.limited,
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
