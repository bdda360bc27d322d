/**
 * Time-zone arithmetic with Intl only (no date library). Instants are epoch
 * milliseconds in UTC; "local" means the wall clock of an IANA time zone.
 */
import { StationError } from '../util/errors.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A calendar day in some time zone (month 1–12). */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** Intl options for a wall clock read back from formatToParts: the year, then two digits each, 24-hour. */
export const WALL_CLOCK_PARTS: Intl.DateTimeFormatOptions = {
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, ...WALL_CLOCK_PARTS });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows this IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface WallClock extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: number, timeZone: string): WallClock {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** Offset of the zone from UTC at an instant, in minutes (Denver in winter: -420). */
export function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const w = wallClock(whole, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - whole) / MINUTE_MS);
}

/** The local calendar day an instant falls on. */
export function localDateOf(instant: number, timeZone: string): LocalDate {
  const w = wallClock(instant, timeZone);
  return { year: w.year, month: w.month, day: w.day };
}

/** The calendar day `n` days after `date` (n may be negative). */
export function addDays(date: LocalDate, n: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * The UTC instant of a local wall-clock time. In a spring-forward gap the time
 * moves forward by the gap (02:30 that does not exist becomes 03:30); in a
 * fall-back overlap the earlier of the two instants is chosen.
 */
export function zonedTimeToUtc(date: LocalDate, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const before = zoneOffsetMinutes(wall - 36 * HOUR_MS, timeZone);
  const after = zoneOffsetMinutes(wall + 36 * HOUR_MS, timeZone);
  const candidates = [...new Set([before, after])]
    .map((off) => wall - off * MINUTE_MS)
    .filter((t) => wall - zoneOffsetMinutes(t, timeZone) * MINUTE_MS === t)
    .sort((a, b) => a - b);
  return candidates[0] ?? wall - before * MINUTE_MS;
}

/** Local midnight at the start of a calendar day, as a UTC instant. */
export function localMidnight(date: LocalDate, timeZone: string): number {
  return zonedTimeToUtc(date, 0, 0, timeZone);
}

/** "HH:MM" (24 h) to hours and minutes; throws StationError on a bad clock time. */
export function parseClockTime(text: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m)
    throw new StationError('CLOCK_TIME_INVALID', `"${text}" is not a clock time; write it as HH:MM, like "07:30".`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

/** ISO 8601 with the zone's offset, whole seconds: "2025-06-21T05:30:00-06:00". */
export function formatInstant(instant: number, timeZone: string): string {
  const t = Math.round(instant / 1000) * 1000;
  const off = zoneOffsetMinutes(t, timeZone);
  const w = wallClock(t, timeZone);
  const sign = off < 0 ? '-' : '+';
  return (
    `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}
