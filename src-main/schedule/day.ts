/**
 * One local day at a place, for the planning timeline (issue #17): the sun's
 * and the moon's altitude sampled every few minutes, the twilight bands, golden
 * and blue hour, and the capture windows of each schedule and of the camera's
 * resolved plan. Altitudes are geometric (body centre, no refraction), the
 * same convention as the schedules' windows (astro.ts); band edges come from
 * astronomy-engine's SearchAltitude, so a band on the chart starts where the
 * plan compiler would start a window.
 */
import { Body } from 'astronomy-engine';
import type { PlanningBand, PlanningDayView, PlanningScheduleView } from '../api/orchestration.js';
import { StationError } from '../util/errors.js';
import { aboveAltitude, altitudeDeg, belowAltitude, moonIllumination, moonInfo, riseSetBetween } from './astro.js';
import { clip, intersect, normalize, type Interval } from './intervals.js';
import { Location } from './location.js';
import { compilePlan } from './plan.js';
import { BLUE_HOUR_DEG, GOLDEN_HOUR_DEG, isEnabled, TWILIGHT_ALTITUDE_DEG, type Schedule } from './schedules.js';
import { addDays, formatInstant, localMidnight, MINUTE_MS, type LocalDate } from './time.js';
import { scheduleWindows } from './windows.js';

/** Sun altitude (geometric, degrees) that separates day from civil twilight: sunrise/sunset of the upper limb with refraction. */
export const DAY_ALTITUDE_DEG = -0.833;

/** Lower edges of each band, from the top: day, civil, nautical, astronomical; below the last is night. */
export const BAND_EDGES: readonly { kind: PlanningBand['kind']; low: number }[] = [
  { kind: 'day', low: DAY_ALTITUDE_DEG },
  { kind: 'civil', low: TWILIGHT_ALTITUDE_DEG.civil },
  { kind: 'nautical', low: TWILIGHT_ALTITUDE_DEG.nautical },
  { kind: 'astronomical', low: TWILIGHT_ALTITUDE_DEG.astronomical },
];

export interface PlanningDayRequest {
  readonly location: Location;
  /** Local calendar day, "YYYY-MM-DD", in the location's zone. */
  readonly date: string;
  /** All schedules by name. */
  readonly schedules: Readonly<Record<string, Schedule>>;
  /** The camera's schedules in priority order (its resolved plan is returned for these); empty without a camera. */
  readonly assigned: readonly string[];
  /** Sampling step of the altitude curves (default 5). */
  readonly stepMinutes?: number;
}

/** "2025-06-21" → {year, month, day}; throws DATE_INVALID for anything else. */
export function parseLocalDate(text: string): LocalDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
  const check = date ? new Date(Date.UTC(date.year, date.month - 1, date.day)) : null;
  if (!date || !check || check.getUTCMonth() !== date.month - 1 || check.getUTCDate() !== date.day) {
    throw new StationError(
      'DATE_INVALID',
      `"${text}" is not a calendar day; write it as YYYY-MM-DD, like "2025-06-21".`,
    );
  }
  return date;
}

/** The band the sun is in at a given altitude (same edges as the band intervals). */
export function bandOf(sunDeg: number): PlanningBand['kind'] {
  for (const e of BAND_EDGES) if (sunDeg > e.low) return e.kind;
  return 'night';
}

const iso = (t: number, tz: string): string => formatInstant(t, tz);

/** Sun strictly between two altitudes (its top edge open at the zenith). */
function between(low: number, high: number, location: Location, from: number, to: number): Interval[] {
  const above = aboveAltitude(Body.Sun, location, from, to, low);
  return high >= 90 ? above : intersect(above, belowAltitude(Body.Sun, location, from, to, high));
}

/** The sun's bands (day, the three twilights, night) tiling [start, end), in time order. */
function bandsBetween(location: Location, start: number, end: number): PlanningBand[] {
  const tz = location.timezone;
  const bands: PlanningBand[] = [];
  let high = 90;
  for (const e of BAND_EDGES) {
    for (const i of between(e.low, high, location, start, end)) bands.push(toBand(e.kind, i, tz));
    high = e.low;
  }
  for (const i of belowAltitude(Body.Sun, location, start, end, high)) bands.push(toBand('night', i, tz));
  return bands.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/** The sun's bands over `days` local days from `date` (for the 30-day strip's day and night shading). */
export function planningBands(
  locationInput: Location,
  date: string,
  days: number,
): { timezone: string; start: string; end: string; bands: PlanningBand[] } {
  const location = Location.parse(locationInput);
  const tz = location.timezone;
  if (!Number.isInteger(days) || days < 1 || days > 62) {
    throw new StationError('DAYS_INVALID', `Bands cover 1 to 62 days; ${days} was asked for.`);
  }
  const first = parseLocalDate(date);
  const start = localMidnight(first, tz);
  const end = localMidnight(addDays(first, days), tz);
  return { timezone: tz, start: iso(start, tz), end: iso(end, tz), bands: bandsBetween(location, start, end) };
}

/** The day's timeline: samples, bands, golden/blue hour, sun and moon events, and schedule windows. */
export function planningDay(req: PlanningDayRequest): PlanningDayView {
  const location = Location.parse(req.location);
  const tz = location.timezone;
  const date = parseLocalDate(req.date);
  const step = req.stepMinutes ?? 5;
  if (!Number.isInteger(step) || step < 1 || step > 60) {
    throw new StationError('STEP_INVALID', `The sampling step is 1 to 60 minutes; ${step} was asked for.`);
  }
  const start = localMidnight(date, tz);
  const end = localMidnight(addDays(date, 1), tz);

  const samples: PlanningDayView['samples'] = [];
  for (let t = start; t <= end; t += step * MINUTE_MS) {
    samples.push({
      time: iso(t, tz),
      sunDeg: round3(altitudeDeg(Body.Sun, t, location)),
      moonDeg: round3(altitudeDeg(Body.Moon, t, location)),
    });
  }

  const bands = bandsBetween(location, start, end);

  const golden = normalize(between(GOLDEN_HOUR_DEG.low, GOLDEN_HOUR_DEG.high, location, start, end));
  const blue = normalize(between(BLUE_HOUR_DEG.low, BLUE_HOUR_DEG.high, location, start, end));

  const event = (body: Body, dir: 1 | -1): string | null => {
    const at = riseSetBetween(body, location, dir, start, end);
    return at === null ? null : iso(at, tz);
  };
  const noon = (start + end) / 2;
  const moon = moonInfo(noon, location);

  const schedules: PlanningScheduleView[] = Object.entries(req.schedules)
    .filter(([, s]) => isEnabled(s))
    .map(([name, s]) => ({
      name,
      type: s.type,
      interval_seconds: s.interval_seconds,
      assigned: req.assigned.includes(name),
      windows: clip(scheduleWindows(s, location, start, end), start, end).map((w) => ({
        start: iso(w.start, tz),
        end: iso(w.end, tz),
      })),
    }));

  const plan =
    req.assigned.length === 0
      ? []
      : [
          ...compilePlan({
            location,
            schedules: req.schedules,
            assigned: req.assigned,
            from: new Date(start),
            days: 1,
          }).windows,
        ];

  return {
    date: req.date,
    timezone: tz,
    latitude: location.latitude,
    longitude: location.longitude,
    start: iso(start, tz),
    end: iso(end, tz),
    stepMinutes: step,
    samples,
    bands,
    golden: golden.map((i) => ({ start: iso(i.start, tz), end: iso(i.end, tz) })),
    blue: blue.map((i) => ({ start: iso(i.start, tz), end: iso(i.end, tz) })),
    sun: { rise: event(Body.Sun, 1), set: event(Body.Sun, -1) },
    moon: {
      rise: event(Body.Moon, 1),
      set: event(Body.Moon, -1),
      illumination: round3(moonIllumination(noon)),
      phase: moon.phase_name,
    },
    schedules,
    plan,
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function toBand(kind: PlanningBand['kind'], i: Interval, tz: string): PlanningBand {
  return { kind, start: iso(i.start, tz), end: iso(i.end, tz) };
}
