import { describe, expect, it } from 'vitest';
import { histogramPath, lumaHistogram } from './histogram';

describe('luma histogram', () => {
  it('bins pixels by luma and samples with a step', () => {
    const px = (r: number, g: number, b: number) => [r, g, b, 255];
    const rgba = [...px(0, 0, 0), ...px(255, 255, 255), ...px(255, 255, 255), ...px(128, 128, 128)];
    const h = lumaHistogram(rgba, 4);
    expect(h).toEqual([1, 0, 1, 2]);
    expect(lumaHistogram(rgba, 4, 2)).toEqual([1, 0, 0, 1]);
  });
  it('draws a closed path inside its box', () => {
    const d = histogramPath([0, 4, 1], 30, 10);
    expect(d.startsWith('M0 10')).toBe(true);
    expect(d.endsWith('Z')).toBe(true);
    expect(d).toContain('L10.00 0.00'); // the tallest bin reaches the top
  });
});
