/**
 * The gallery grid's geometry, pure: nights stacked top to bottom (newest
 * first), each a header followed by rows of `columns` cells. Everything a
 * virtualised list needs: total height, which rows a scroll position shows,
 * and where a capture (by its index in the whole filtered list) sits.
 */

export interface NightCount {
  night: string;
  count: number;
}

export interface GridMetrics {
  columns: number;
  rowHeight: number;
  headerHeight: number;
}

export interface GridLayout {
  readonly metrics: GridMetrics;
  readonly nights: readonly NightCount[];
  /** Top of each night's header, in px. */
  readonly nightTop: readonly number[];
  /** Index (in the whole list) of each night's first capture. */
  readonly nightStart: readonly number[];
  readonly total: number;
  readonly height: number;
}

export type GridRow =
  | { kind: 'header'; key: string; top: number; nightIndex: number }
  /** `first` is the night-local index of the row's first cell; `count` cells (≤ columns). */
  | { kind: 'cells'; key: string; top: number; nightIndex: number; first: number; count: number };

export function buildLayout(nights: readonly NightCount[], metrics: GridMetrics): GridLayout {
  const columns = Math.max(1, Math.floor(metrics.columns));
  const m = { ...metrics, columns };
  const nightTop: number[] = [];
  const nightStart: number[] = [];
  let y = 0;
  let total = 0;
  for (const n of nights) {
    nightTop.push(y);
    nightStart.push(total);
    y += m.headerHeight + Math.ceil(n.count / columns) * m.rowHeight;
    total += n.count;
  }
  return { metrics: m, nights, nightTop, nightStart, total, height: y };
}

/** Largest i with values[i] <= x (values ascending); -1 when none. */
export function lastAtOrBelow(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The rows that intersect [top − overscan, top + height + overscan], in order. */
export function visibleRows(layout: GridLayout, top: number, height: number, overscan = 0): GridRow[] {
  const { rowHeight, headerHeight, columns } = layout.metrics;
  const from = Math.max(0, top - overscan);
  const to = Math.min(layout.height, top + height + overscan);
  const rows: GridRow[] = [];
  let ni = Math.max(0, lastAtOrBelow(layout.nightTop, from));
  for (; ni < layout.nights.length; ni++) {
    const nTop = layout.nightTop[ni]!;
    if (nTop >= to) break;
    const night = layout.nights[ni]!;
    if (nTop + headerHeight > from) rows.push({ kind: 'header', key: `h:${night.night}`, top: nTop, nightIndex: ni });
    const rowsInNight = Math.ceil(night.count / columns);
    const body = nTop + headerHeight;
    const firstRow = Math.max(0, Math.floor((from - body) / rowHeight));
    for (let r = firstRow; r < rowsInNight; r++) {
      const rTop = body + r * rowHeight;
      if (rTop >= to) break;
      const first = r * columns;
      rows.push({
        kind: 'cells',
        key: `r:${night.night}:${r}`,
        top: rTop,
        nightIndex: ni,
        first,
        count: Math.min(columns, night.count - first),
      });
    }
  }
  return rows;
}

/** Which night a capture (by index in the whole list) is in, and its index there; null when out of range. */
export function locate(layout: GridLayout, index: number): { nightIndex: number; local: number } | null {
  if (index < 0 || index >= layout.total) return null;
  const ni = lastAtOrBelow(layout.nightStart, index);
  return { nightIndex: ni, local: index - layout.nightStart[ni]! };
}

/** The scroll position that shows a capture's row at the top (below its night's header for the first row). */
export function scrollTopFor(layout: GridLayout, index: number): number {
  const at = locate(layout, index);
  if (at === null) return 0;
  const row = Math.floor(at.local / layout.metrics.columns);
  const top = layout.nightTop[at.nightIndex]! + layout.metrics.headerHeight + row * layout.metrics.rowHeight;
  return row === 0 ? layout.nightTop[at.nightIndex]! : top;
}

/** Columns that fit a width with cells of `cellWidth` and `gap` between them (at least 1). */
export function columnsFor(width: number, cellWidth: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (cellWidth + gap)));
}
