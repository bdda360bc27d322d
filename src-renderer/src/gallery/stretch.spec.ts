import { describe, expect, it } from 'vitest';
import { STRETCH_MAX_GAIN, stretchFilter, stretchGain } from './stretch';

describe('night thumbnail stretch', () => {
  it('lifts dark frames towards mid grey, capped, and leaves day frames alone', () => {
    expect(stretchGain(120)).toBe(1);
    expect(stretchGain(null)).toBe(1);
    expect(stretchGain(50)).toBe(2);
    expect(stretchGain(2)).toBe(STRETCH_MAX_GAIN);
    expect(stretchFilter(120)).toBeUndefined();
    expect(stretchFilter(25)).toBe('brightness(4) contrast(1.15)');
  });
});
