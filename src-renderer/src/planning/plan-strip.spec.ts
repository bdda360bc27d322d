import { describe, expect, it } from 'vitest';
import type { PlanPreview } from '@contract';
import { bandsByDay, stripDays } from './plan-strip';

const plan = (from: string, to: string, windows: [string, string, number, string][]): PlanPreview => ({
  agentId: 'a',
  cameraId: 'a',
  schedules: [...new Set(windows.map((w) => w[3]))],
  generated_at: from,
  horizon: to,
  windows: windows.map(([start, end, interval_seconds, schedule]) => ({ start, end, interval_seconds, schedule })),
  captures: 0,
});

/** A window's place in minutes of the local day: [from midnight, length]. */
const minutes = (w: { top: number; height: number }): [number, number] => [
  Math.round(w.top * 1440),
  Math.round(w.height * 1440),
];

describe('30-day strip', () => {
  it('one cell per local day; a night window over midnight is split between its two days', () => {
    const days = stripDays(
      plan('2025-06-20T00:00:00-06:00', '2025-06-23T00:00:00-06:00', [
        ['2025-06-20T22:00:00-06:00', '2025-06-21T04:00:00-06:00', 60, 'night'],
        ['2025-06-21T20:00:00-06:00', '2025-06-21T21:00:00-06:00', 15, 'dusk'],
      ]),
      'America/Denver',
    );
    expect(days.map((d) => d.day)).toEqual(['2025-06-20', '2025-06-21', '2025-06-22']);
    const [first, second, third] = days;
    expect(first!.windows.map(minutes)).toEqual([[22 * 60, 120]]);
    expect(first!.windows[0]).toMatchObject({ schedule: 'night', title: 'night: 22:00–00:00, every 60 s' });
    expect(first!.captures).toBe(120);
    expect(second!.windows.map((w) => [w.schedule, ...minutes(w)])).toEqual([
      ['night', 0, 240],
      ['dusk', 20 * 60, 60],
    ]);
    expect(second!.captures).toBe(240 + 240);
    expect(third!.windows).toEqual([]);
  });

  it("the days are the zone's: a window in UTC evening lands on the next day in Tokyo", () => {
    const days = stripDays(
      plan('2025-06-20T00:00:00Z', '2025-06-22T00:00:00Z', [['2025-06-20T20:00:00Z', '2025-06-20T21:00:00Z', 30, 'x']]),
      'Asia/Tokyo',
    );
    const cell = days.find((d) => d.windows.length > 0)!;
    expect(cell.day).toBe('2025-06-21');
    expect(cell.windows[0]!.top).toBeCloseTo(5 / 24, 6);
  });

  it('on the day clocks fall back (25 hours) a window over the changeover keeps its wall-clock place', () => {
    const days = stripDays(
      plan('2025-11-01T00:00:00-06:00', '2025-11-04T00:00:00-07:00', [
        ['2025-11-01T23:00:00-06:00', '2025-11-02T05:00:00-07:00', 60, 'night'],
      ]),
      'America/Denver',
    );
    expect(days.map((d) => d.day)).toEqual(['2025-11-01', '2025-11-02', '2025-11-03']);
    expect(days[0]!.windows.map(minutes)).toEqual([[23 * 60, 60]]);
    // 00:00 to 05:00 on the wall clock, 6 hours of captures.
    expect(days[1]!.windows.map(minutes)).toEqual([[0, 300]]);
    expect(days[1]!.captures).toBe(360);
  });

  it('shades each day by the sun: bands cut at midnight, in wall-clock minutes', () => {
    const byDay = bandsByDay(
      [
        { kind: 'night', start: '2025-06-20T22:30:00-06:00', end: '2025-06-21T03:30:00-06:00' },
        { kind: 'astronomical', start: '2025-06-21T03:30:00-06:00', end: '2025-06-21T04:00:00-06:00' },
      ],
      'America/Denver',
    );
    expect([...byDay.keys()]).toEqual(['2025-06-20', '2025-06-21']);
    expect(byDay.get('2025-06-20')!.map((b) => [b.kind, ...minutes(b)])).toEqual([['night', 22 * 60 + 30, 90]]);
    expect(byDay.get('2025-06-21')!.map((b) => [b.kind, ...minutes(b)])).toEqual([
      ['night', 0, 210],
      ['astronomical', 210, 30],
    ]);
  });
});
