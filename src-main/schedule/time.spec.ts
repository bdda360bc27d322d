import { describe, expect, it } from 'vitest';
import { formatInstant, localDateOf, zonedTimeToUtc, zoneOffsetMinutes } from './time.js';
import { subtract, intersect } from './intervals.js';

describe('time zones with Intl', () => {
  it('offsets and formatting follow DST', () => {
    expect(zoneOffsetMinutes(Date.parse('2025-01-15T12:00:00Z'), 'America/Denver')).toBe(-420);
    expect(zoneOffsetMinutes(Date.parse('2025-07-15T12:00:00Z'), 'America/Denver')).toBe(-360);
    expect(formatInstant(Date.parse('2025-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe('2025-07-15T17:30:00+05:30');
    expect(localDateOf(Date.parse('2025-07-15T03:00:00Z'), 'America/Denver')).toEqual({
      year: 2025,
      month: 7,
      day: 14,
    });
  });

  it('a clock time in the spring-forward gap moves forward; in the fall-back overlap the first is taken', () => {
    expect(new Date(zonedTimeToUtc({ year: 2025, month: 3, day: 9 }, 2, 30, 'America/Denver')).toISOString()).toBe(
      '2025-03-09T09:30:00.000Z',
    ); // = 03:30 MDT
    expect(new Date(zonedTimeToUtc({ year: 2025, month: 11, day: 2 }, 1, 30, 'America/Denver')).toISOString()).toBe(
      '2025-11-02T07:30:00.000Z',
    ); // 01:30 MDT
    expect(new Date(zonedTimeToUtc({ year: 2025, month: 11, day: 2 }, 12, 0, 'America/Denver')).toISOString()).toBe(
      '2025-11-02T19:00:00.000Z',
    );
  });

  it('interval algebra', () => {
    expect(
      subtract(
        [{ start: 0, end: 10 }],
        [
          { start: 2, end: 3 },
          { start: 8, end: 12 },
        ],
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 8 },
    ]);
    expect(intersect([{ start: 0, end: 10 }], [{ start: 5, end: 15 }])).toEqual([{ start: 5, end: 10 }]);
  });
});
