/**
 * The 30-day strip's model (issue #17): a camera's plan windows grouped by
 * the local day they fall on, as fractions of that day (midnight at 0), with
 * the day's expected captures. A window over midnight is split between the
 * days; 23- and 25-hour days (DST) are handled by reading the wall clock.
 */
import type { PlanPreview } from '../../../src-main/api/orchestration';
import { clockIn, localDay } from './zone';

const ms = (iso: string): number => Date.parse(iso);
const DAY_MS = 86_400_000;

export interface DayCell {
  day: string;
  windows: { top: number; height: number; schedule: string; title: string }[];
  captures: number;
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
  // Minutes since local midnight, from the wall clock (robust across DST).
  const minuteOfDay = (t: number): number => {
    const [h, m] = clockIn(t, timeZone).split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  };
  /** The first local midnight after t (23- and 25-hour days included). */
  const nextMidnight = (t: number): number => {
    const day = localDay(t, timeZone);
    let m = t - (t % 60_000) + (1440 - minuteOfDay(t)) * 60_000;
    if (localDay(m, timeZone) === day) m += 3_600_000;
    if (localDay(m - 3_600_000, timeZone) !== day) m -= 3_600_000;
    return m;
  };
  for (const w of plan.windows) {
    let s = ms(w.start);
    const e = ms(w.end);
    while (s < e) {
      const day = localDay(s, timeZone);
      const end = Math.min(nextMidnight(s), e);
      const top = minuteOfDay(s) / 1440;
      const bottom = end === e ? (minuteOfDay(e) || 1440) / 1440 : 1;
      const c = cell(day);
      c.windows.push({
        top,
        height: Math.max(0.004, bottom - top),
        schedule: w.schedule,
        title: `${w.schedule}: ${clockIn(s, timeZone)}–${clockIn(end, timeZone)}, every ${w.interval_seconds} s`,
      });
      c.captures += Math.ceil((end - s) / 1000 / w.interval_seconds);
      s = end;
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
