/**
 * Bracketed sets for HDR (issue 6): the settings of each image, shifted from
 * the base exposure by a number of stops. The shutter moves first, within the
 * camera's limits; only what the shutter cannot reach goes to ISO.
 */
import type { CameraCapabilities, DriverSettings } from './camera/driver.js';
import { Iso, secondsToShutter, ShutterSpeed, shutterToSeconds } from './protocol/index.js';
import { ValidationError } from './util/errors.js';

/** Settings for one image of a set, and the offset actually reached when the camera's limits cut it short. */
export interface BracketStep {
  ev: number;
  settings: DriverSettings;
  achievedEv: number;
}

/** The wire contract's bounds (ShutterSpeed: at most 6 digits after "1/"; Iso), intersected with the camera's. */
const WIRE_SHUTTER_MIN = 1 / 999_999;
const WIRE_SHUTTER_MAX = 3600;
const WIRE_ISO_MIN = 25;
const WIRE_ISO_MAX = 102400;
/** A rounding of the shutter smaller than this (stops) leaves ISO alone. */
const ISO_TOLERANCE_EV = 0.1;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

type Limits = Pick<CameraCapabilities, 'shutterMinSeconds' | 'shutterMaxSeconds' | 'isoMin' | 'isoMax'>;

/** The settings `ev` stops away from `base` (positive = brighter). */
export function bracketStep(base: DriverSettings, ev: number, caps: Limits): BracketStep {
  const baseSeconds = shutterToSeconds(base.shutter_speed);
  const tMin = Math.max(caps.shutterMinSeconds, WIRE_SHUTTER_MIN);
  const tMax = Math.min(caps.shutterMaxSeconds, WIRE_SHUTTER_MAX);
  const isoMin = Math.max(caps.isoMin, WIRE_ISO_MIN);
  const isoMax = Math.min(caps.isoMax, WIRE_ISO_MAX);
  if (ev === 0) return { ev, settings: { ...base }, achievedEv: 0 };
  // Shutter first, as written on the wire ("1/500", "2.5").
  let shutter = secondsToShutter(clamp(baseSeconds * 2 ** ev, tMin, tMax));
  if (shutterToSeconds(shutter) > tMax || shutterToSeconds(shutter) < tMin) shutter = base.shutter_speed;
  const seconds = shutterToSeconds(shutter);
  // What the shutter did not reach, in stops, goes to ISO.
  const rest = ev - Math.log2(seconds / baseSeconds);
  let iso = base.iso;
  if (Math.abs(rest) >= ISO_TOLERANCE_EV) iso = Math.round(clamp(base.iso * 2 ** rest, isoMin, isoMax));
  const achievedEv = Math.log2((seconds * iso) / (baseSeconds * base.iso));
  return { ev, settings: { ...base, shutter_speed: shutter, iso }, achievedEv };
}

/** Every image of a set, in the order asked for; settings the wire cannot carry are refused before any exposure. */
export function bracketSteps(base: DriverSettings, evs: readonly number[], caps: Limits): BracketStep[] {
  const steps = evs.map((ev) => bracketStep(base, ev, caps));
  for (const step of steps) {
    const { iso, shutter_speed: shutter } = step.settings;
    if (!Iso.safeParse(iso).success || !ShutterSpeed.safeParse(shutter).success) {
      throw new ValidationError(
        `The bracket offset ${step.ev} from ISO ${base.iso} at ${base.shutter_speed} s gives ISO ${iso} at ${shutter} s, which this camera cannot take; use smaller offsets.`,
        'bracket.evs',
        'bracket_out_of_range',
      );
    }
  }
  return steps;
}
