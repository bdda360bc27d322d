/**
 * The 30-day plan as a calendar strip: one column per local day, each a
 * 24-hour bar (midnight at the top) with the camera's capture windows on it,
 * and the day's number of captures. Clicking a day shows it on the timeline.
 */
import type { PlanPreview } from '../../../src-main/api/orchestration';
import { clockIn, dayLabel, localDay } from './zone';

const ms = (iso: string): number => Date.parse(iso);
const DAY_MS = 86_400_000;

interface DayCell {
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

export function PlanStrip({
  plan,
  timeZone,
  selected,
  onSelect,
}: {
  plan: PlanPreview;
  timeZone: string;
  selected: string;
  onSelect: (day: string) => void;
}) {
  const days = stripDays(plan, timeZone);
  const names = [...new Set(plan.windows.map((w) => w.schedule))];
  return (
    <div className="plan-strip-box">
      <div className="plan-strip" role="list" aria-label="30-day plan" data-testid="plan-strip">
        <div className="plan-strip-hours" aria-hidden="true">
          {[0, 6, 12, 18, 24].map((h) => (
            <span key={h} style={{ top: `${(h / 24) * 100}%` }}>
              {String(h).padStart(2, '0')}
            </span>
          ))}
        </div>
        {days.map((d) => {
          const l = dayLabel(d.day);
          return (
            <button
              key={d.day}
              type="button"
              role="listitem"
              className={`plan-day${d.day === selected ? ' selected' : ''}`}
              data-testid="plan-day"
              data-day={d.day}
              data-windows={d.windows.length}
              onClick={() => onSelect(d.day)}
              title={`${d.day}: ${d.windows.length} windows, about ${d.captures} captures`}
            >
              <span className="plan-day-head">
                <span className="plan-day-weekday">{l.weekday}</span>
                <span className="plan-day-date">{l.date}</span>
              </span>
              <span className="plan-day-bar">
                {d.windows.map((w, i) => (
                  <span
                    key={i}
                    className={`plan-day-window s${names.indexOf(w.schedule) % 4}`}
                    style={{ top: `${(w.top * 100).toFixed(2)}%`, height: `${(w.height * 100).toFixed(2)}%` }}
                    title={w.title}
                  />
                ))}
              </span>
              <span className="plan-day-count">{d.captures}</span>
            </button>
          );
        })}
      </div>
      <p className="plan-strip-legend small muted">
        {names.map((n, i) => (
          <span key={n} className="legend-item">
            <span className={`legend-swatch plan-day-window s${i % 4}`} /> {n}
          </span>
        ))}
        <span>Each column is one day, midnight at the top; the number is the day&apos;s captures.</span>
      </p>
    </div>
  );
}
