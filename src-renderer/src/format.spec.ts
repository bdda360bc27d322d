import { describe, expect, it } from 'vitest';
import { formatClockOffset } from './format';

describe('formatClockOffset', () => {
  it('says how far and which way, in the unit an operator would use', () => {
    expect(formatClockOffset(3_400)).toBe('3 s ahead');
    expect(formatClockOffset(-45_000)).toBe('45 s behind');
    expect(formatClockOffset(-12 * 60_000)).toBe('12 min behind');
    expect(formatClockOffset(5 * 3_600_000)).toBe('5 h ahead');
    // A Pi without a real-time clock that booted with the image's date.
    expect(formatClockOffset(-14_582_501_000)).toBe('169 days behind');
  });
});
