/** Half-open time intervals [start, end) in epoch milliseconds, and set operations on lists of them. */

export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Sorted, non-empty, non-overlapping; touching intervals are joined. */
export function normalize(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, i.end) };
    else out.push(i);
  }
  return out;
}

/** The parts of `list` inside [from, to). */
export function clip(list: readonly Interval[], from: number, to: number): Interval[] {
  return list.map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) })).filter((i) => i.end > i.start);
}

/** Points covered by both lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of normalize(a))
    for (const y of normalize(b)) {
      const s = Math.max(x.start, y.start);
      const e = Math.min(x.end, y.end);
      if (e > s) out.push({ start: s, end: e });
    }
  return normalize(out);
}

/** Points of `a` not covered by `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const cut = normalize(b);
  const out: Interval[] = [];
  for (const x of normalize(a)) {
    let cursor = x.start;
    for (const y of cut) {
      if (y.end <= cursor || y.start >= x.end) continue;
      if (y.start > cursor) out.push({ start: cursor, end: y.start });
      cursor = Math.max(cursor, y.end);
    }
    if (cursor < x.end) out.push({ start: cursor, end: x.end });
  }
  return out;
}

/** The complement of `list` within [from, to). */
export function complement(list: readonly Interval[], from: number, to: number): Interval[] {
  return subtract([{ start: from, end: to }], list);
}
