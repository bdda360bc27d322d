import { describe, expect, it } from 'vitest';
import { exposureText } from './exposure-text';

describe('exposureText', () => {
  it('writes known settings as the camera used them', () => {
    expect(exposureText('2', 1600)).toBe('2 s, ISO 1600');
    expect(exposureText('1/125', 100)).toBe('1/125 s, ISO 100');
  });

  it('says unknown for what a reconciled capture does not know, never a number', () => {
    expect(exposureText(null, null)).toBe('unknown');
    expect(exposureText('30', null)).toBe('30 s, ISO unknown');
    expect(exposureText(null, 800)).toBe('shutter unknown, ISO 800');
  });
});
