/**
 * Sun and moon from astronomy-engine, as lists of intervals. Altitudes here are
 * geometric (body centre, no refraction), the same convention as
 * astronomy-engine's SearchAltitude; rise and set use SearchRiseSet (upper limb,
 * standard refraction), the same as almanacs.
 */
import {
  Body,
  Equator,
  Horizon,
  Illumination,
  MoonPhase,
  Observer,
  SearchAltitude,
  SearchRiseSet,
} from 'astronomy-engine';
import { complement, type Interval } from './intervals.js';
import type { Location } from './location.js';
import { DAY_MS } from './time.js';

export function observerOf(location: Location): Observer {
  return new Observer(location.latitude, location.longitude, location.elevation_m ?? 0);
}

/** Geometric altitude of the body's centre, in degrees. */
export function altitudeDeg(body: Body, instant: number, location: Location): number {
  const obs = observerOf(location);
  const date = new Date(instant);
  const eq = Equator(body, date, obs, true, true);
  return Horizon(date, obs, eq.ra, eq.dec).altitude;
}

/** Sun's geometric altitude in degrees. */
export const sunAltitudeDeg = (instant: number, location: Location): number => altitudeDeg(Body.Sun, instant, location);

/** True when the sun is climbing (morning side of the day). */
export function sunRising(instant: number, location: Location): boolean {
  return sunAltitudeDeg(instant + 60_000, location) > sunAltitudeDeg(instant - 60_000, location);
}

/** Intervals within [from, to) when the body's centre is above `altitude` degrees. */
export function aboveAltitude(body: Body, location: Location, from: number, to: number, altitude: number): Interval[] {
  const obs = observerOf(location);
  const out: Interval[] = [];
  let inside = altitudeDeg(body, from, location) > altitude;
  let openedAt = from;
  let t = from;
  while (t < to) {
    const found = SearchAltitude(body, obs, inside ? -1 : +1, new Date(t), (to - t) / DAY_MS, altitude);
    if (!found || found.date.getTime() >= to) break;
    const at = found.date.getTime();
    if (inside) out.push({ start: openedAt, end: at });
    else openedAt = at;
    inside = !inside;
    t = at + 1000;
  }
  if (inside) out.push({ start: openedAt, end: to });
  return out.filter((i) => i.end > i.start);
}

/** Intervals within [from, to) when the body's centre is below `altitude` degrees. */
export function belowAltitude(body: Body, location: Location, from: number, to: number, altitude: number): Interval[] {
  return complement(aboveAltitude(body, location, from, to, altitude), from, to);
}

/** Intervals within [from, to) between rise and set (SearchRiseSet) of the body. */
export function upIntervals(body: Body, location: Location, from: number, to: number): Interval[] {
  const obs = observerOf(location);
  const days = (to - from) / DAY_MS;
  const firstRise = SearchRiseSet(body, obs, +1, new Date(from), days);
  const firstSet = SearchRiseSet(body, obs, -1, new Date(from), days);
  let up: boolean;
  if (firstSet && (!firstRise || firstSet.date < firstRise.date)) up = true;
  else if (firstRise) up = false;
  else {
    // Neither rises nor sets in the whole span: circumpolar or never up.
    const date = new Date(from);
    const eq = Equator(body, date, obs, true, true);
    up = Horizon(date, obs, eq.ra, eq.dec, 'normal').altitude > 0;
  }
  const out: Interval[] = [];
  let openedAt = from;
  let t = from;
  while (t < to) {
    const found = SearchRiseSet(body, obs, up ? -1 : +1, new Date(t), (to - t) / DAY_MS);
    if (!found || found.date.getTime() >= to) break;
    const at = found.date.getTime();
    if (up) out.push({ start: openedAt, end: at });
    else openedAt = at;
    up = !up;
    t = at + 1000;
  }
  if (up) out.push({ start: openedAt, end: to });
  return out.filter((i) => i.end > i.start);
}

/** The first rise (+1) or set (-1) of the body in [from, to), or null. */
export function riseSetBetween(
  body: Body,
  location: Location,
  direction: 1 | -1,
  from: number,
  to: number,
): number | null {
  const found = SearchRiseSet(body, observerOf(location), direction, new Date(from), (to - from) / DAY_MS);
  const at = found?.date.getTime();
  return at !== undefined && at < to ? at : null;
}

export type MoonPhaseName =
  | 'new'
  | 'waxing_crescent'
  | 'first_quarter'
  | 'waxing_gibbous'
  | 'full'
  | 'waning_gibbous'
  | 'last_quarter'
  | 'waning_crescent';

export interface MoonInfo {
  /** Geometric altitude of the centre, degrees. */
  readonly altitude_deg: number;
  readonly above_horizon: boolean;
  /** Ecliptic phase angle 0 = new, 90 = first quarter, 180 = full, 270 = last quarter. */
  readonly phase_deg: number;
  readonly phase_name: MoonPhaseName;
  /** Illuminated fraction of the disc, 0–1. */
  readonly illumination: number;
  /** Next rise and set within 2 days, ISO UTC, or null (high latitudes). */
  readonly next_rise: string | null;
  readonly next_set: string | null;
}

function phaseName(deg: number): MoonPhaseName {
  const names: MoonPhaseName[] = [
    'new',
    'waxing_crescent',
    'first_quarter',
    'waxing_gibbous',
    'full',
    'waning_gibbous',
    'last_quarter',
    'waning_crescent',
  ];
  return names[Math.round(deg / 45) % 8] ?? 'new';
}

/** Moon illuminated fraction (0–1) at an instant. */
export const moonIllumination = (instant: number): number => Illumination(Body.Moon, new Date(instant)).phase_fraction;

/** Moon altitude, phase, illumination and next rise/set for a place and instant. */
export function moonInfo(instant: number, location: Location): MoonInfo {
  const altitude = altitudeDeg(Body.Moon, instant, location);
  const phase = MoonPhase(new Date(instant));
  const rise = riseSetBetween(Body.Moon, location, 1, instant, instant + 2 * DAY_MS);
  const set = riseSetBetween(Body.Moon, location, -1, instant, instant + 2 * DAY_MS);
  const up = set !== null && (rise === null || set < rise) ? true : rise !== null ? false : altitude > 0;
  return {
    altitude_deg: altitude,
    above_horizon: up,
    phase_deg: phase,
    phase_name: phaseName(phase),
    illumination: moonIllumination(instant),
    next_rise: rise === null ? null : new Date(rise).toISOString(),
    next_set: set === null ? null : new Date(set).toISOString(),
  };
}
