import { describe, expect, it } from 'vitest';
import { clockOffsetAgainst, formatClockOffset, formatLux, formatTime, formatTimeOfDay } from './format';

describe('formatClockOffset', () => {
  it('says how far and which way, in the unit an operator would use', () => {
    expect(formatClockOffset(3_400)).toBe('3.4 s ahead');
    expect(formatClockOffset(-20)).toBe('in step');
    expect(formatClockOffset(-400)).toBe('0.4 s behind');
    expect(formatClockOffset(-45_000)).toBe('45 s behind');
    expect(formatClockOffset(-12 * 60_000)).toBe('12 min behind');
    expect(formatClockOffset(5 * 3_600_000)).toBe('5 h ahead');
    // A Pi without a real-time clock that booted with the image's date.
    expect(formatClockOffset(-14_582_501_000)).toBe('169 days behind');
  });
});

describe('clockOffsetAgainst', () => {
  it('sets the offset against the named clock with the right preposition', () => {
    expect(clockOffsetAgainst(-20, 'this computer')).toBe('in step with this computer');
    expect(clockOffsetAgainst(-400, 'this computer')).toBe('0.4 s behind this computer');
    expect(clockOffsetAgainst(3 * 60_000, 'this computer')).toBe('3 min ahead of this computer');
    expect(clockOffsetAgainst(-2 * 60_000, "the station's")).toBe("2 min behind the station's");
  });
});

describe('formatLux', () => {
  it('keeps a dark night readable and drops floating-point noise', () => {
    expect(formatLux(0.0010000000000000002)).toBe('0.001 lx');
    expect(formatLux(0.000123456)).toBe('0.000123 lx');
    expect(formatLux(0)).toBe('0 lx');
    expect(formatLux(3.14159)).toBe('3.14 lx');
    expect(formatLux(52.25)).toBe('52.3 lx');
  });
  it('writes daylight as whole lux with thousands separators', () => {
    expect(formatLux(123.6)).toBe('124 lx');
    expect(formatLux(104_250.4)).toBe('104,250 lx');
  });
  it('says nothing for a value that is not a number', () => {
    expect(formatLux(Number.NaN)).toBe('—');
  });
});

describe('formatTimeOfDay', () => {
  it('drops the date for an instant of the same day, and keeps it for another day', () => {
    const now = new Date(2026, 11, 7, 18, 0, 0).getTime();
    const today = new Date(2026, 11, 7, 15, 24, 57).toISOString();
    const yesterday = new Date(2026, 11, 6, 23, 59, 0).toISOString();
    expect(formatTimeOfDay(today, now)).not.toMatch(/Dec/);
    expect(formatTimeOfDay(today, now)).toMatch(/24:57/);
    expect(formatTimeOfDay(yesterday, now)).toBe(formatTime(yesterday));
    expect(formatTimeOfDay('not a time', now)).toBe('not a time');
  });
});
