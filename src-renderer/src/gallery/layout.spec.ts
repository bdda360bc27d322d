import { describe, expect, it } from 'vitest';
import { buildLayout, columnsFor, locate, scrollTopFor, visibleRows } from './layout';

const metrics = { columns: 4, rowHeight: 100, headerHeight: 40 };
const nights = [
  { night: '2026-01-12', count: 10 }, // 3 rows: 40 + 300
  { night: '2026-01-11', count: 4 }, // 1 row: 40 + 100
  { night: '2026-01-10', count: 100_000 },
];

describe('gallery layout', () => {
  it('stacks nights: header then rows, with totals', () => {
    const l = buildLayout(nights, metrics);
    expect(l.nightTop).toEqual([0, 340, 480]);
    expect(l.nightStart).toEqual([0, 10, 14]);
    expect(l.total).toBe(100_014);
    expect(l.height).toBe(480 + 40 + 25_000 * 100);
  });

  it('lists only the rows a viewport shows, with partial last rows', () => {
    const l = buildLayout(nights, metrics);
    const rows = visibleRows(l, 250, 200);
    expect(
      rows.map((r) => (r.kind === 'header' ? `h${r.nightIndex}` : `${r.nightIndex}:${r.first}+${r.count}`)),
    ).toEqual(['0:8+2', 'h1', '1:0+4']);
    // Deep in a big night: a handful of rows, found by arithmetic (no walk over 25,000 rows).
    const deep = visibleRows(l, 1_000_000, 800, 200);
    expect(deep.every((r) => r.kind === 'cells' && r.nightIndex === 2)).toBe(true);
    expect(deep).toHaveLength(13); // (800 + 2 × 200) px of 100 px rows, one cut at each end
    expect(visibleRows(l, l.height + 10, 500)).toEqual([]);
  });

  it('locates a capture by its index in the whole list and scrolls to it', () => {
    const l = buildLayout(nights, metrics);
    expect(locate(l, 0)).toEqual({ nightIndex: 0, local: 0 });
    expect(locate(l, 12)).toEqual({ nightIndex: 1, local: 2 });
    expect(locate(l, 100_013)).toEqual({ nightIndex: 2, local: 99_999 });
    expect(locate(l, 100_014)).toBeNull();
    expect(scrollTopFor(l, 12)).toBe(340); // first row of a night: show its header too
    expect(scrollTopFor(l, 14 + 9)).toBe(480 + 40 + 2 * 100);
  });

  it('fits columns to the width', () => {
    expect(columnsFor(1000, 200, 8)).toBe(4);
    expect(columnsFor(1032, 200, 8)).toBe(5);
    expect(columnsFor(50, 200, 8)).toBe(1);
  });
});
