/**
 * The 30-day strip's model (issue #17): a camera's plan windows grouped by
 * the local day they fall on, as fractions of that day (midnight at 0), with
 * the day's expected captures. A window over midnight is split between the
 * days; 23- and 25-hour days (DST) are handled by reading the wall clock.
 */
import type { PlanningBand, PlanPreview } from '@contract';
import { clockIn, localDay } from './zone';

const ms = (iso: string): number => Date.parse(iso);
const DAY_MS = 86_400_000;

export interface DayCell {
  day: string;
  windows: { top: number; height: number; schedule: string; title: string }[];
  captures: number;
}

/** Minutes since local midnight, from the wall clock (robust across DST). */
function minuteOfDay(t: number, timeZone: string): number {
  const [h, m] = clockIn(t, timeZone).split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** The first local midnight after t (23- and 25-hour days included). */
function nextMidnight(t: number, timeZone: string): number {
  const day = localDay(t, timeZone);
  let m = t - (t % 60_000) + (1440 - minuteOfDay(t, timeZone)) * 60_000;
  if (localDay(m, timeZone) === day) m += 3_600_000;
  if (localDay(m - 3_600_000, timeZone) !== day) m -= 3_600_000;
  return m;
}

/** [start, end) cut at local midnights: each piece's day and its place in it (fractions, midnight at 0). */
export function splitByDay(
  start: number,
  end: number,
  timeZone: string,
): { day: string; top: number; height: number; start: number; end: number }[] {
  const out: { day: string; top: number; height: number; start: number; end: number }[] = [];
  let s = start;
  while (s < end) {
    const e = Math.min(nextMidnight(s, timeZone), end);
    const top = minuteOfDay(s, timeZone) / 1440;
    const bottom = e === end ? (minuteOfDay(e, timeZone) || 1440) / 1440 : 1;
    out.push({ day: localDay(s, timeZone), top, height: Math.max(0, bottom - top), start: s, end: e });
    s = e;
  }
  return out;
}

/** The sun's bands per local day, for shading the strip's columns (day light, twilights, night dark). */
export function bandsByDay(
  bands: readonly PlanningBand[],
  timeZone: string,
): Map<string, { top: number; height: number; kind: PlanningBand['kind'] }[]> {
  const out = new Map<string, { top: number; height: number; kind: PlanningBand['kind'] }[]>();
  for (const b of bands) {
    for (const p of splitByDay(ms(b.start), ms(b.end), timeZone)) {
      if (p.height <= 0) continue;
      const list = out.get(p.day) ?? [];
      list.push({ top: p.top, height: p.height, kind: b.kind });
      out.set(p.day, list);
    }
  }
  return out;
}

/** Groups the plan's windows by the local day they fall on (a window over midnight is split). */
export function stripDays(plan: PlanPreview, timeZone: string): DayCell[] {
  const cells = new Map<string, DayCell>();
  const cell = (day: string): DayCell => {
    let c = cells.get(day);
    if (!c) {
      c = { day, windows: [], captures: 0 };
      cells.set(day, c);
    }
    return c;
  };
  for (const w of plan.windows) {
    for (const p of splitByDay(ms(w.start), ms(w.end), timeZone)) {
      const c = cell(p.day);
      c.windows.push({
        top: p.top,
        height: Math.max(0.004, p.height),
        schedule: w.schedule,
        title: `${w.schedule}: ${clockIn(p.start, timeZone)}–${clockIn(p.end, timeZone)}, every ${w.interval_seconds} s`,
      });
      c.captures += Math.ceil((p.end - p.start) / 1000 / w.interval_seconds);
    }
  }
  const first = ms(plan.generated_at);
  const days: DayCell[] = [];
  for (let t = first; t < ms(plan.horizon); t += DAY_MS / 2) {
    const d = localDay(t, timeZone);
    if (!days.some((x) => x.day === d)) days.push(cells.get(d) ?? { day: d, windows: [], captures: 0 });
  }
  return days;
}
