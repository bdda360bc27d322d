/**
 * The exposure ramp over a simulated sunset or sunrise, for the profile
 * editor's chart. Nothing here is a second exposure engine: the light comes
 * from the agent's sky model (the simulated camera's), the limits from the
 * agent's plan runner (rampLimits: the profile's ISO and shutter range, the
 * shutter capped to fit the interval) and every frame from the one ramp
 * (rampExposure), exactly as a deployed plan runs it frame after frame.
 */
import { Body } from 'astronomy-engine';
import {
  ev100FromLux,
  interpolateLuxTable,
  rampExposure,
  settingsEv,
  type FrameSettings,
} from '../../agent/src/exposure.js';
import { maxStepEv, rampLimits } from '../../agent/src/plan/ramp.js';
import { skyState } from '../../agent/src/sky/model.js';
import { shutterToSeconds, type ProfileSnapshot } from '../agents/protocol.js';
import { riseSetBetween } from '../schedule/astro.js';
import type { Location } from '../schedule/location.js';
import { DAY_MS, localMidnight, type LocalDate } from '../schedule/time.js';
import { StationError } from '../util/errors.js';
import type { RampFrameView, RampSimulationView } from './api-types.js';

export interface RampSimulationRequest {
  readonly snapshot: ProfileSnapshot;
  readonly location: Location;
  readonly locationSource: 'station' | 'default';
  readonly date: LocalDate;
  readonly event: 'sunset' | 'sunrise';
  /** Span of the simulation, centred on the event. */
  readonly minutes: number;
  readonly intervalSeconds: number;
  /** The schedule whose override applies (none: the profile's base). */
  readonly schedule?: string | null;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const dayText = (d: LocalDate): string =>
  `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/** Frames every intervalSeconds across `minutes` around the sun's set (or rise) on that local day. */
export function simulateRamp(req: RampSimulationRequest): RampSimulationView {
  const midnight = localMidnight(req.date, req.location.timezone);
  const eventMs = riseSetBetween(Body.Sun, req.location, req.event === 'sunset' ? -1 : 1, midnight, midnight + DAY_MS);
  if (eventMs === null) {
    throw new StationError(
      'NO_SUN_EVENT',
      `The sun does not ${req.event === 'sunset' ? 'set' : 'rise'} at ${req.location.latitude.toFixed(2)}°, ${req.location.longitude.toFixed(2)}° on ${dayText(req.date)} (polar day or night); choose another date.`,
    );
  }
  const intervalMs = req.intervalSeconds * 1000;
  const schedule = req.schedule ?? null;
  const limits = rampLimits(req.snapshot, schedule, intervalMs);
  const step = maxStepEv(req.snapshot);
  const table = req.snapshot.settings.adaptive_wb?.lux_table ?? [];
  const base = {
    ...req.snapshot.settings.base,
    ...(schedule ? req.snapshot.settings.schedule_overrides?.[schedule] : {}),
  };
  const start = eventMs - (req.minutes / 2) * 60_000;
  const count = Math.floor((req.minutes * 60) / req.intervalSeconds) + 1;
  const frames: RampFrameView[] = [];
  let previous: FrameSettings | null = null;
  let largest = 0;
  for (let i = 0; i < count; i++) {
    const t = start + i * intervalMs;
    const sky = skyState(req.location, new Date(t));
    const targetEv = ev100FromLux(sky.lux);
    const kelvin = interpolateLuxTable(table, sky.lux) ?? null;
    let frame: Omit<RampFrameView, 'time' | 'sunDeg' | 'lux' | 'kelvin'>;
    if (limits === null) {
      // A profile that fixes ISO or the shutter is manual: the plan runner does not ramp it.
      const iso = base.iso ?? 100;
      const shutter = base.shutter_speed ?? '1/100';
      const seconds = shutterToSeconds(shutter);
      frame = { targetEv, ev: settingsEv(iso, seconds), iso, shutterSeconds: seconds, shutter, limited: 'manual' };
    } else {
      const choice = rampExposure(previous, targetEv, step, limits);
      previous = { iso: choice.iso, shutter: choice.shutter };
      frame = {
        targetEv,
        ev: choice.ev,
        iso: choice.iso,
        shutterSeconds: choice.shutterSeconds,
        shutter: choice.shutter,
        limited: choice.limited,
      };
    }
    const last = frames[frames.length - 1];
    if (last) largest = Math.max(largest, Math.abs(frame.ev - last.ev));
    frames.push({
      time: new Date(t).toISOString(),
      sunDeg: round(sky.sunAltitudeDeg, 3),
      lux: round(sky.lux, 4),
      kelvin,
      ...frame,
      targetEv: round(frame.targetEv, 4),
      ev: round(frame.ev, 4),
    });
  }
  return {
    event: req.event,
    eventTime: new Date(eventMs).toISOString(),
    timezone: req.location.timezone,
    location: { latitude: req.location.latitude, longitude: req.location.longitude },
    locationSource: req.locationSource,
    intervalSeconds: req.intervalSeconds,
    schedule,
    maxStepEv: step,
    largestStepEv: round(largest, 4),
    frames,
  };
}
