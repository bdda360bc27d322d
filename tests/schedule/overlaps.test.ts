import { describe, expect, it } from 'vitest';
import { compilePlan, resolveOverlaps, type Schedule } from '../../src-main/schedule/index.js';
import { StationError } from '../../src-main/util/errors.js';
import { DENVER, ms } from './helpers.js';

const p = (start: number, end: number, interval: number, schedule: string, rank: number) => ({
  start,
  end,
  interval,
  schedule,
  rank,
});

describe('overlap resolution', () => {
  it('splits so the shortest interval wins inside the overlap, and joins the rest back', () => {
    const out = resolveOverlaps([
      p(0, 100, 30, 'daytime', 1),
      p(40, 60, 15, 'sunset', 2),
      p(90, 120, 30, 'evening', 0),
    ]);
    expect(out.map(({ start, end, schedule }) => [start, end, schedule])).toEqual([
      [0, 40, 'daytime'],
      [40, 60, 'sunset'],
      [60, 90, 'daytime'],
      [90, 120, 'evening'], // equal intervals: the earlier-listed schedule (rank 0) wins
    ]);
  });

  it('plans are sorted, disjoint, and cover every instant any enabled schedule covers', () => {
    const schedules: Record<string, Schedule> = {
      sunrise: { type: 'sunrise', offset_minutes: -30, duration_minutes: 60, interval_seconds: 15 },
      daytime: { type: 'daytime', start_time: '05:00', end_time: '21:00', interval_seconds: 30 },
      golden: { type: 'golden_hour', interval_seconds: 10 },
      off: { type: 'night', enabled: false, interval_seconds: 5 },
    };
    const plan = compilePlan({
      location: DENVER,
      schedules,
      assigned: Object.keys(schedules),
      from: new Date('2025-06-20T06:00:00Z'),
      days: 7,
    });
    const w = plan.windows.map(ms);
    for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBeGreaterThanOrEqual(w[i - 1]!.end);
    expect(plan.windows.some((x) => x.schedule === 'off')).toBe(false);
    // Inside golden hour nothing slower than 10 s is planned.
    const solo = compilePlan({
      location: DENVER,
      schedules,
      assigned: ['golden'],
      from: new Date('2025-06-20T06:00:00Z'),
      days: 7,
    }).windows.map(ms);
    for (const g of solo) {
      const covering = plan.windows.filter((x) => ms(x).start < g.end && ms(x).end > g.start);
      expect(covering.every((x) => x.interval_seconds === 10)).toBe(true);
      const covered = covering.reduce((s, x) => s + Math.min(ms(x).end, g.end) - Math.max(ms(x).start, g.start), 0);
      expect(covered).toBe(g.end - g.start);
    }
  });

  it('an unknown schedule name is an operator error', () => {
    expect(() => compilePlan({ location: DENVER, schedules: {}, assigned: ['sunrise'], from: new Date() })).toThrow(
      StationError,
    );
  });
});
