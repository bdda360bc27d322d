/**
 * The planning timeline's curves and bands (planningDay) against
 * astronomy-engine called directly, at a mid-latitude place, in polar summer
 * and in polar winter.
 */
import { Body, Equator, Horizon, Observer, SearchAltitude, SearchRiseSet } from 'astronomy-engine';
import { describe, expect, it } from 'vitest';
import type { PlanningDayView } from '../api/orchestration.js';
import { parseLocalDate, planningBands, planningDay } from './day.js';
import type { Location } from './location.js';
import type { Schedule } from './schedules.js';

const DENVER: Location = { latitude: 39.609573, longitude: -105.314163, timezone: 'America/Denver' };
const TROMSO: Location = { latitude: 69.6496, longitude: 18.956, elevation_m: 10, timezone: 'Europe/Oslo' };
const LONGYEARBYEN: Location = { latitude: 78.2232, longitude: 15.6267, timezone: 'Arctic/Longyearbyen' };

const observer = (l: Location): Observer => new Observer(l.latitude, l.longitude, l.elevation_m ?? 0);

/** Geometric altitude of the body's centre, straight from astronomy-engine. */
function altitude(body: Body, t: number, l: Location): number {
  const date = new Date(t);
  const eq = Equator(body, date, observer(l), true, true);
  return Horizon(date, observer(l), eq.ra, eq.dec).altitude;
}

const ms = (iso: string): number => Date.parse(iso);
/**
 * The definitions, written out here rather than taken from day.ts: day above
 * -0.833° (sunrise and sunset of the upper limb with refraction), then civil,
 * nautical and astronomical twilight down to -6°, -12° and -18°.
 */
const BAND_EDGES = [
  { kind: 'day', low: -0.833 },
  { kind: 'civil', low: -6 },
  { kind: 'nautical', low: -12 },
  { kind: 'astronomical', low: -18 },
] as const;
const DAY_ALTITUDE_DEG = -0.833;
const bandOf = (alt: number): string => BAND_EDGES.find((e) => alt > e.low)?.kind ?? 'night';
const EDGE: Record<string, number> = Object.fromEntries(BAND_EDGES.map((e) => [e.kind, e.low]));
const upper = (kind: string): number => {
  const i = BAND_EDGES.findIndex((e) => e.kind === kind);
  return i <= 0 ? (kind === 'night' ? BAND_EDGES[BAND_EDGES.length - 1]!.low : 90) : BAND_EDGES[i - 1]!.low;
};
const lower = (kind: string): number => EDGE[kind] ?? -90;

const schedules: Record<string, Schedule> = {
  dusk: { type: 'sunset', offset_minutes: -30, duration_minutes: 60, interval_seconds: 15 },
  night: { type: 'night', interval_seconds: 60 },
  golden: { type: 'golden_hour', interval_seconds: 10 },
};

/** What every day must satisfy, wherever it is. */
function checkAgainstEngine(day: PlanningDayView, l: Location): void {
  const start = ms(day.start);
  const end = ms(day.end);
  // Samples: every step from local midnight to the next, equal to astronomy-engine's altitudes.
  expect(day.samples.length).toBe(Math.floor((end - start) / (day.stepMinutes * 60_000)) + 1);
  day.samples.forEach((s, i) => {
    const t = ms(s.time);
    expect(t).toBe(start + i * day.stepMinutes * 60_000);
    expect(Math.abs(s.sunDeg - altitude(Body.Sun, t, l))).toBeLessThan(0.001);
    expect(Math.abs(s.moonDeg - altitude(Body.Moon, t, l))).toBeLessThan(0.001);
  });
  // Bands tile the day with no gap or overlap.
  expect(ms(day.bands[0]!.start)).toBe(start);
  expect(ms(day.bands[day.bands.length - 1]!.end)).toBe(end);
  for (let i = 1; i < day.bands.length; i++) expect(day.bands[i]!.start).toBe(day.bands[i - 1]!.end);
  for (const b of day.bands) {
    const s = ms(b.start);
    const e = ms(b.end);
    expect(e).toBeGreaterThan(s);
    // Inside a band the sun stays between the band's edges (checked every 10 minutes and at the middle).
    for (let t = s + 60_000; t < e - 60_000; t += 10 * 60_000) {
      const alt = altitude(Body.Sun, t, l);
      expect(alt).toBeGreaterThan(lower(b.kind) - 0.01);
      expect(alt).toBeLessThan(upper(b.kind) + 0.01);
    }
    expect(bandOf(altitude(Body.Sun, (s + e) / 2, l))).toBe(b.kind);
  }
  // Every boundary inside the day is where the sun crosses an edge (whole-second rounding: 0.01°).
  for (const b of day.bands.slice(1)) {
    const alt = altitude(Body.Sun, ms(b.start), l);
    expect(Math.min(...BAND_EDGES.map((e) => Math.abs(alt - e.low)))).toBeLessThan(0.01);
  }
  // Golden and blue hour: the sun in their bands.
  for (const [spans, lo, hi] of [
    [day.golden, -4, 6],
    [day.blue, -6, -4],
  ] as const) {
    for (const g of spans) {
      const mid = altitude(Body.Sun, (ms(g.start) + ms(g.end)) / 2, l);
      expect(mid).toBeGreaterThan(lo);
      expect(mid).toBeLessThan(hi);
    }
  }
  // Every time carries the location's offset.
  for (const t of [day.start, day.end, ...day.bands.map((b) => b.start)]) expect(t).toMatch(/[+-]\d\d:\d\d$/);
}

describe('planningDay against astronomy-engine', () => {
  it('mid-latitude (Denver, equinox): all five bands twice, edges where SearchAltitude finds them', () => {
    const day = planningDay({ location: DENVER, date: '2025-03-20', schedules, assigned: ['dusk', 'night'] });
    checkAgainstEngine(day, DENVER);
    expect(day.start).toBe('2025-03-20T00:00:00-06:00');
    expect(day.samples).toHaveLength(24 * 12 + 1);
    expect(day.bands.map((b) => b.kind)).toEqual([
      'night',
      'astronomical',
      'nautical',
      'civil',
      'day',
      'civil',
      'nautical',
      'astronomical',
      'night',
    ]);
    const o = observer(DENVER);
    const from = new Date(ms(day.start));
    // Evening: day ends at -0.833°, civil at -6°, nautical at -12°, astronomical at -18°.
    const evening = day.bands.slice(4);
    BAND_EDGES.forEach((edge, i) => {
      const found = SearchAltitude(Body.Sun, o, -1, from, 1, edge.low)!.date.getTime();
      expect(Math.abs(ms(evening[i]!.end) - found)).toBeLessThanOrEqual(1000);
    });
    // Morning astronomical dawn.
    const dawn = SearchAltitude(Body.Sun, o, +1, from, 1, -18)!.date.getTime();
    expect(Math.abs(ms(day.bands[1]!.start) - dawn)).toBeLessThanOrEqual(1000);
    // Sunrise and sunset as almanacs give them.
    expect(Math.abs(ms(day.sun.rise!) - SearchRiseSet(Body.Sun, o, +1, from, 1)!.date.getTime())).toBeLessThan(1000);
    expect(Math.abs(ms(day.sun.set!) - SearchRiseSet(Body.Sun, o, -1, from, 1)!.date.getTime())).toBeLessThan(1000);
    // Two golden hours and two blue hours.
    expect(day.golden).toHaveLength(2);
    expect(day.blue).toHaveLength(2);
    // The schedules' windows and the camera's resolved plan.
    const dusk = day.schedules.find((s) => s.name === 'dusk')!;
    expect(dusk.assigned).toBe(true);
    expect(dusk.windows).toHaveLength(1);
    expect(Math.abs(ms(dusk.windows[0]!.start) - (ms(day.sun.set!) - 30 * 60_000))).toBeLessThanOrEqual(1000);
    expect(day.schedules.find((s) => s.name === 'golden')!.assigned).toBe(false);
    expect(day.plan.map((w) => w.schedule)).toEqual(['night', 'dusk', 'night']);
  });

  it('a 25-hour day when clocks fall back', () => {
    const day = planningDay({ location: DENVER, date: '2025-11-02', schedules: {}, assigned: [] });
    expect(ms(day.end) - ms(day.start)).toBe(25 * 3_600_000);
    expect(day.start.endsWith('-06:00')).toBe(true);
    expect(day.end.endsWith('-07:00')).toBe(true);
    checkAgainstEngine(day, DENVER);
    expect(day.plan).toEqual([]);
  });

  it('polar summer (Tromsø, solstice): one day band, no sunrise or sunset, no night windows', () => {
    const day = planningDay({ location: TROMSO, date: '2025-06-21', schedules, assigned: ['night', 'golden'] });
    checkAgainstEngine(day, TROMSO);
    expect(day.bands.map((b) => b.kind)).toEqual(['day']);
    expect(Math.min(...day.samples.map((s) => s.sunDeg))).toBeGreaterThan(DAY_ALTITUDE_DEG);
    expect(day.sun).toEqual({ rise: null, set: null });
    expect(day.blue).toEqual([]);
    expect(day.schedules.find((s) => s.name === 'night')!.windows).toEqual([]);
    // The midnight sun dips to about +3°, below the golden-hour top (+6°), so golden hour spans midnight.
    expect(day.golden.length).toBeGreaterThan(0);
    expect(day.plan.every((w) => w.schedule === 'golden')).toBe(true);
  });

  it('polar winter (Longyearbyen, solstice): no day and no civil twilight, night around midnight', () => {
    const day = planningDay({ location: LONGYEARBYEN, date: '2025-12-21', schedules, assigned: ['night'] });
    checkAgainstEngine(day, LONGYEARBYEN);
    const kinds = new Set(day.bands.map((b) => b.kind));
    expect(kinds.has('day')).toBe(false);
    expect(kinds.has('civil')).toBe(false);
    expect(kinds.has('nautical')).toBe(true);
    expect(kinds.has('night')).toBe(true);
    expect(Math.max(...day.samples.map((s) => s.sunDeg))).toBeLessThan(-6);
    expect(day.sun).toEqual({ rise: null, set: null });
    expect(day.golden).toEqual([]);
    expect(day.blue).toEqual([]);
    expect(day.plan.length).toBeGreaterThan(0);
  });

  it("31 days of bands agree with each day's own timeline, across the fall-back change", () => {
    const month = planningBands(DENVER, '2025-10-20', 31);
    expect(month.start).toBe('2025-10-20T00:00:00-06:00');
    expect(month.end).toBe('2025-11-20T00:00:00-07:00');
    for (let i = 1; i < month.bands.length; i++) expect(month.bands[i]!.start).toBe(month.bands[i - 1]!.end);
    for (const date of ['2025-10-20', '2025-11-02', '2025-11-19']) {
      const day = planningDay({ location: DENVER, date, schedules: {}, assigned: [] });
      const inside = month.bands
        .map((b) => ({ ...b, s: Math.max(ms(b.start), ms(day.start)), e: Math.min(ms(b.end), ms(day.end)) }))
        .filter((b) => b.e > b.s);
      expect(inside.map((b) => b.kind)).toEqual(day.bands.map((b) => b.kind));
      inside.forEach((b, i) => {
        expect(Math.abs(b.s - ms(day.bands[i]!.start))).toBeLessThanOrEqual(1000);
        expect(Math.abs(b.e - ms(day.bands[i]!.end))).toBeLessThanOrEqual(1000);
      });
    }
    expect(() => planningBands(DENVER, '2025-10-20', 0)).toThrow(expect.objectContaining({ code: 'DAYS_INVALID' }));
  });

  it('refuses a day that is not a calendar day and a bad step', () => {
    expect(() => parseLocalDate('2025-02-30')).toThrow(/not a calendar day/);
    expect(() => planningDay({ location: DENVER, date: '21/06/2025', schedules: {}, assigned: [] })).toThrow(
      expect.objectContaining({ code: 'DATE_INVALID' }),
    );
    expect(() =>
      planningDay({ location: DENVER, date: '2025-06-21', schedules: {}, assigned: [], stepMinutes: 0 }),
    ).toThrow(expect.objectContaining({ code: 'STEP_INVALID' }));
  });
});
