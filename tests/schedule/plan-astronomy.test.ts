/**
 * The plan compiler against astronomy-engine called directly, for several
 * places and seasons.
 */
import { Body, Illumination, SearchRiseSet } from 'astronomy-engine';
import { describe, expect, it } from 'vitest';
import { PlanWindow } from '../../src-main/agents/protocol.js';
import { compilePlan, moonInfo, type Schedule } from '../../src-main/schedule/index.js';
import { altitudeCrossing, DENVER, ms, obs, riseSet, secs, SYDNEY, TROMSO } from './helpers.js';

const MIN = 60_000;
const seedSunrise: Schedule = {
  type: 'sunrise',
  enabled: true,
  offset_minutes: -30,
  duration_minutes: 60,
  interval_seconds: 15,
};
const seedSunset: Schedule = {
  type: 'sunset',
  enabled: true,
  offset_minutes: -30,
  duration_minutes: 60,
  interval_seconds: 15,
};
const night: Schedule = { type: 'night', interval_seconds: 30 };

function plan(
  location: typeof DENVER | typeof TROMSO | typeof SYDNEY,
  schedules: Record<string, Schedule>,
  from: string,
  days: number,
) {
  return compilePlan({ location, schedules, assigned: Object.keys(schedules), from: new Date(from), days });
}

describe('Denver (seed 002 location)', () => {
  for (const [season, from] of [
    ['summer', '2025-06-20T06:00:00Z'],
    ['winter', '2025-12-20T07:00:00Z'],
  ] as const) {
    it(`sunrise and sunset windows match SearchRiseSet in ${season}`, () => {
      const p = plan(DENVER, { sunrise: seedSunrise, sunset: seedSunset }, from, 5);
      const rises = p.windows.filter((w) => w.schedule === 'sunrise').map(ms);
      const sets = p.windows.filter((w) => w.schedule === 'sunset').map(ms);
      expect(rises).toHaveLength(5);
      expect(sets).toHaveLength(5);
      for (const w of rises) {
        const event = riseSet(DENVER, +1, w.start - 12 * 60 * MIN)!;
        expect(secs(w.start, event - 30 * MIN)).toBeLessThanOrEqual(1);
        expect(w.end - w.start).toBe(60 * MIN);
      }
      for (const w of sets) {
        const event = riseSet(DENVER, -1, w.start - 12 * 60 * MIN)!;
        expect(secs(w.start, event - 30 * MIN)).toBeLessThanOrEqual(1);
      }
      for (const w of p.windows) expect(PlanWindow.safeParse(w).success).toBe(true);
      // Offsets are the local ones: MDT in summer, MST in winter.
      expect(p.windows[0]!.start.endsWith(season === 'summer' ? '-06:00' : '-07:00')).toBe(true);
    });
  }

  it('astronomical night runs from dusk -18° to dawn -18°', () => {
    const from = Date.parse('2025-12-20T19:00:00Z'); // local noon
    const p = plan(DENVER, { night }, '2025-12-20T19:00:00Z', 3);
    const first = ms(p.windows[0]!);
    expect(secs(first.start, altitudeCrossing(DENVER, Body.Sun, -1, from, -18)!)).toBeLessThanOrEqual(1);
    expect(secs(first.end, altitudeCrossing(DENVER, Body.Sun, +1, first.start, -18)!)).toBeLessThanOrEqual(1);
    const civil = plan(
      DENVER,
      { night: { type: 'night', twilight: 'civil', interval_seconds: 30 } },
      '2025-12-20T19:00:00Z',
      3,
    );
    expect(secs(ms(civil.windows[0]!).start, altitudeCrossing(DENVER, Body.Sun, -1, from, -6)!)).toBeLessThanOrEqual(1);
  });

  it('golden and blue hour follow the -4°/+6° and -6°/-4° crossings, morning and evening', () => {
    const from = Date.parse('2025-06-20T18:00:00Z'); // local noon
    const p = plan(
      DENVER,
      { golden: { type: 'golden_hour', period: 'evening', interval_seconds: 10 } },
      '2025-06-20T18:00:00Z',
      2,
    );
    const g = ms(p.windows[0]!);
    expect(secs(g.start, altitudeCrossing(DENVER, Body.Sun, -1, from, 6)!)).toBeLessThanOrEqual(1);
    expect(secs(g.end, altitudeCrossing(DENVER, Body.Sun, -1, from, -4)!)).toBeLessThanOrEqual(1);
    const b = plan(
      DENVER,
      { blue: { type: 'blue_hour', period: 'morning', interval_seconds: 10 } },
      '2025-06-20T18:00:00Z',
      2,
    );
    const bw = ms(b.windows[0]!);
    expect(secs(bw.start, altitudeCrossing(DENVER, Body.Sun, +1, from, -6)!)).toBeLessThanOrEqual(1);
    expect(secs(bw.end, altitudeCrossing(DENVER, Body.Sun, +1, from, -4)!)).toBeLessThanOrEqual(1);
  });
});

describe('Tromsø (69.65° N)', () => {
  it('polar day in June: no sunset window, no night, daytime windows still there', () => {
    const p = plan(
      TROMSO,
      {
        sunrise: seedSunrise,
        sunset: seedSunset,
        night,
        daytime: { type: 'daytime', start_time: '10:00', end_time: '14:00', interval_seconds: 60 },
      },
      '2025-06-10T00:00:00Z',
      10,
    );
    expect(riseSet(TROMSO, -1, Date.parse('2025-06-10T00:00:00Z'), 10)).toBeNull();
    expect(p.windows.filter((w) => w.schedule !== 'daytime')).toEqual([]);
    expect(p.windows.filter((w) => w.schedule === 'daytime')).toHaveLength(10);
    expect(p.windows[0]!.start).toBe('2025-06-10T10:00:00+02:00');
  });

  it('polar night in December: no sunrise or sunset, nights still follow -18°', () => {
    const from = Date.parse('2025-12-15T11:00:00Z');
    const p = plan(TROMSO, { sunrise: seedSunrise, sunset: seedSunset, night }, '2025-12-15T11:00:00Z', 5);
    expect(riseSet(TROMSO, +1, from, 5)).toBeNull();
    expect(p.windows.filter((w) => w.schedule !== 'night')).toEqual([]);
    const nights = p.windows.map(ms);
    expect(nights.length).toBeGreaterThanOrEqual(5);
    expect(secs(nights[0]!.start, altitudeCrossing(TROMSO, Body.Sun, -1, from, -18)!)).toBeLessThanOrEqual(1);
  });
});

describe('Sydney (southern hemisphere)', () => {
  it('December sunrise windows match SearchRiseSet, in AEDT', () => {
    const p = plan(
      SYDNEY,
      { sunrise: { ...seedSunrise, offset_minutes: 0, duration_minutes: 30 } },
      '2025-12-20T00:00:00Z',
      4,
    );
    const rises = p.windows.map(ms);
    expect(rises.length).toBeGreaterThanOrEqual(3);
    for (const w of rises) expect(secs(w.start, riseSet(SYDNEY, +1, w.start - 12 * 60 * MIN)!)).toBeLessThanOrEqual(1);
    expect(p.windows[0]!.start.endsWith('+11:00')).toBe(true);
    // Summer down under: sunrise before 06:00 local.
    expect(Number(p.windows[0]!.start.slice(11, 13))).toBeLessThan(6);
  });
});

describe('clock-time schedules', () => {
  it('keep their local clock time across a DST change inside the plan (UTC shifts by an hour)', () => {
    // US DST ends 2025-11-02: MDT (-6) → MST (-7).
    const p = plan(
      DENVER,
      { daytime: { type: 'daytime', start_time: '07:30', end_time: '17:45', interval_seconds: 30 } },
      '2025-10-25T06:00:00Z',
      30,
    ); // local midnight
    expect(p.windows).toHaveLength(30);
    for (const w of p.windows) {
      expect(w.start.slice(11, 19)).toBe('07:30:00');
      expect(w.end.slice(11, 19)).toBe('17:45:00');
    }
    const before = p.windows.find((w) => w.start.startsWith('2025-11-01'))!;
    const after = p.windows.find((w) => w.start.startsWith('2025-11-03'))!;
    expect(new Date(before.start).toISOString()).toBe('2025-11-01T13:30:00.000Z');
    expect(new Date(after.start).toISOString()).toBe('2025-11-03T14:30:00.000Z');
  });

  it('a window crossing midnight runs 22:00 → 02:00 the next day, and one open at the start is clipped to it', () => {
    const p = plan(
      DENVER,
      { late: { type: 'daytime', start_time: '22:00', end_time: '02:00', interval_seconds: 60 } },
      '2025-01-10T08:00:00Z',
      3,
    ); // 01:00 local
    expect(p.windows[0]).toEqual({
      start: '2025-01-10T01:00:00-07:00',
      end: '2025-01-10T02:00:00-07:00',
      interval_seconds: 60,
      schedule: 'late',
    });
    expect(p.windows[1]).toEqual({
      start: '2025-01-10T22:00:00-07:00',
      end: '2025-01-11T02:00:00-07:00',
      interval_seconds: 60,
      schedule: 'late',
    });
    expect(p.windows.at(-1)!.end).toBe(p.horizon);
  });
});

describe('moon', () => {
  it('moon_down_only removes exactly the time between moonrise and moonset', () => {
    // First quarter (2025-07-02): the moon sets in the middle of the night.
    const from = '2025-07-01T18:00:00Z';
    const full = plan(DENVER, { night }, from, 3).windows.map(ms);
    const dark = plan(DENVER, { night: { ...night, moon_down_only: true } }, from, 3).windows.map(ms);
    const total = (l: Array<{ start: number; end: number }>) => l.reduce((s, w) => s + w.end - w.start, 0);
    expect(dark.length).toBeGreaterThan(0);
    expect(total(dark)).toBeLessThan(total(full));
    for (const w of dark) {
      const mid = (w.start + w.end) / 2;
      // At the middle of each remaining stretch the moon is below the horizon: its next event is a rise.
      const rise = riseSetMoon(+1, mid);
      const set = riseSetMoon(-1, mid);
      expect(rise !== null && (set === null || rise < set)).toBe(true);
    }
    // Each cut edge sits on a moon rise or set.
    const edges = dark
      .flatMap((w) => [w.start, w.end])
      .filter((t) => !full.some((f) => secs(f.start, t) < 2 || secs(f.end, t) < 2));
    expect(edges.length).toBeGreaterThan(0);
    for (const t of edges) {
      const near = [riseSetMoon(+1, t - 60 * MIN), riseSetMoon(-1, t - 60 * MIN)].filter(
        (x): x is number => x !== null,
      );
      expect(Math.min(...near.map((x) => secs(x, t)))).toBeLessThanOrEqual(1);
    }
  });

  it('moon schedule windows run from SearchRiseSet moonrise to moonset; moonInfo matches astronomy-engine', () => {
    const from = Date.parse('2025-07-08T18:00:00Z');
    const p = plan(
      DENVER,
      { moon: { type: 'moon', min_illumination: 0.5, interval_seconds: 20 } },
      '2025-07-08T18:00:00Z',
      3,
    );
    const first = ms(p.windows[0]!);
    const rise = riseSetMoon(+1, from)!;
    expect(secs(first.start, rise)).toBeLessThanOrEqual(1);
    expect(secs(first.end, riseSetMoon(-1, rise)!)).toBeLessThanOrEqual(1);
    const info = moonInfo(from, DENVER);
    expect(info.illumination).toBeCloseTo(Illumination(Body.Moon, new Date(from)).phase_fraction, 9);
    expect(info.phase_name).toBe('waxing_gibbous');
    expect(Date.parse(info.next_rise!)).toBeCloseTo(rise, -4);
    expect(
      plan(DENVER, { moon: { type: 'moon', min_illumination: 0.5, interval_seconds: 20 } }, '2025-07-22T18:00:00Z', 3)
        .windows,
    ).toEqual([]); // near new moon
  });

  it('a max_moon_illumination above the current phase keeps the whole night', () => {
    const from = '2025-07-08T18:00:00Z';
    const full = plan(DENVER, { night }, from, 2).windows;
    const tolerant = plan(DENVER, { night: { ...night, max_moon_illumination: 1 } }, from, 2).windows;
    expect(tolerant).toEqual(full);
  });
});

function riseSetMoon(dir: 1 | -1, after: number): number | null {
  return SearchRiseSet(Body.Moon, obs(DENVER), dir, new Date(after), 2)?.date.getTime() ?? null;
}
