/**
 * The capture windows of one schedule over a span of time, before overlaps
 * between schedules are resolved (plan.ts does that).
 *
 * Days are the location's local calendar days. Polar cases:
 * - polar day (sun never sets): sunrise/sunset windows exist only on days with
 *   that event, so none; night has no window because the sun never reaches the
 *   twilight altitude; golden/blue hour exist only if the sun crosses those
 *   bands.
 * - polar night (sun never rises): no sunrise/sunset windows; night windows
 *   follow the twilight altitude as everywhere else (a night can last days).
 */
import { Body } from 'astronomy-engine';
import { aboveAltitude, belowAltitude, moonIllumination, riseSetBetween, sunRising, upIntervals } from './astro.js';
import { clip, intersect, normalize, subtract, type Interval } from './intervals.js';
import type { Location } from './location.js';
import { BLUE_HOUR_DEG, GOLDEN_HOUR_DEG, TWILIGHT_ALTITUDE_DEG, type Schedule } from './schedules.js';
import {
  addDays,
  localDateOf,
  localMidnight,
  MINUTE_MS,
  parseClockTime,
  zonedTimeToUtc,
  type LocalDate,
} from './time.js';

/** Local days touching [from, to), plus the day before (its windows may run past midnight). */
function daysCovering(from: number, to: number, timeZone: string): LocalDate[] {
  const days: LocalDate[] = [];
  let d = addDays(localDateOf(from, timeZone), -1);
  while (localMidnight(d, timeZone) < to) {
    days.push(d);
    d = addDays(d, 1);
  }
  return days;
}

const roundSecond = (i: Interval): Interval => ({
  start: Math.round(i.start / 1000) * 1000,
  end: Math.round(i.end / 1000) * 1000,
});

/** A daily window between clock times; an end at or before the start ends on the next day. */
function dailyClockWindows(
  startTime: string,
  endTime: string,
  location: Location,
  from: number,
  to: number,
): Interval[] {
  const s = parseClockTime(startTime);
  const e = parseClockTime(endTime);
  const crosses = e.hour * 60 + e.minute <= s.hour * 60 + s.minute;
  const tz = location.timezone;
  // zonedTimeToUtc: a clock time in a DST gap moves forward, in an overlap takes the first.
  return daysCovering(from, to, tz).map((day) => ({
    start: zonedTimeToUtc(day, s.hour, s.minute, tz),
    end: zonedTimeToUtc(crosses ? addDays(day, 1) : day, e.hour, e.minute, tz),
  }));
}

function sunEventWindows(
  direction: 1 | -1,
  offsetMinutes: number,
  durationMinutes: number,
  location: Location,
  from: number,
  to: number,
): Interval[] {
  const out: Interval[] = [];
  for (const day of daysCovering(from, to, location.timezone)) {
    const dayStart = localMidnight(day, location.timezone);
    const dayEnd = localMidnight(addDays(day, 1), location.timezone);
    const event = riseSetBetween(Body.Sun, location, direction, dayStart, dayEnd);
    if (event === null) continue; // polar day or night: no such event on this local day
    const start = event + offsetMinutes * MINUTE_MS;
    out.push({ start, end: start + durationMinutes * MINUTE_MS });
  }
  return out;
}

/** Sun between two altitudes, optionally only the morning or evening passage. */
function sunBandWindows(
  low: number,
  high: number,
  period: 'morning' | 'evening' | 'both',
  location: Location,
  from: number,
  to: number,
): Interval[] {
  const band = intersect(
    aboveAltitude(Body.Sun, location, from, to, low),
    belowAltitude(Body.Sun, location, from, to, high),
  );
  if (period === 'both') return band;
  return band.filter((i) => sunRising((i.start + i.end) / 2, location) === (period === 'morning'));
}

/** Moon-up intervals whose illuminated fraction (at their middle) is above `minIllumination`. */
function moonUp(location: Location, from: number, to: number, above: number): Interval[] {
  return upIntervals(Body.Moon, location, from, to).filter((i) => moonIllumination((i.start + i.end) / 2) > above);
}

/**
 * Windows of one schedule inside [from, to), sorted, whole seconds. Sun and
 * moon intervals are searched from one day before `from` to one day after `to`
 * so that windows already open at `from` keep their true start before clipping.
 */
export function scheduleWindows(schedule: Schedule, location: Location, from: number, to: number): Interval[] {
  const pad = 86_400_000;
  const a = from - pad;
  const b = to + pad;
  let raw: Interval[];
  switch (schedule.type) {
    case 'sunrise':
      raw = sunEventWindows(+1, schedule.offset_minutes, schedule.duration_minutes, location, from, to);
      break;
    case 'sunset':
      raw = sunEventWindows(-1, schedule.offset_minutes, schedule.duration_minutes, location, from, to);
      break;
    case 'daytime':
      raw = dailyClockWindows(schedule.start_time, schedule.end_time, location, from, to);
      break;
    case 'night': {
      raw = belowAltitude(Body.Sun, location, a, b, TWILIGHT_ALTITUDE_DEG[schedule.twilight ?? 'astronomical']);
      if (schedule.moon_down_only === true || schedule.max_moon_illumination !== undefined) {
        raw = subtract(raw, moonUp(location, a, b, schedule.max_moon_illumination ?? -1));
      }
      break;
    }
    case 'golden_hour':
      raw = sunBandWindows(GOLDEN_HOUR_DEG.low, GOLDEN_HOUR_DEG.high, schedule.period ?? 'both', location, a, b);
      break;
    case 'blue_hour':
      raw = sunBandWindows(BLUE_HOUR_DEG.low, BLUE_HOUR_DEG.high, schedule.period ?? 'both', location, a, b);
      break;
    case 'custom':
      raw = schedule.windows
        ? schedule.windows.map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end) }))
        : dailyClockWindows(schedule.start_time ?? '00:00', schedule.end_time ?? '00:00', location, from, to);
      break;
    case 'moon':
      raw = moonUp(location, a, b, schedule.min_illumination === undefined ? -1 : schedule.min_illumination - 1e-12);
      break;
  }
  return normalize(clip(raw.map(roundSecond), from, to));
}
