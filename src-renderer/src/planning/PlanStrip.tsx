/**
 * The 30-day plan as a calendar strip: one column per local day, each a
 * 24-hour bar (midnight at the top) with the camera's capture windows on it,
 * and the day's number of captures. Clicking a day shows it on the timeline.
 */
import type { PlanningBand, PlanPreview } from '@contract';
import { BAND_ALPHA } from './DayTimeline';
import { bandsByDay, stripDays } from './plan-strip';
import { cssVarAlpha, useThemeVersion } from './theme';
import { dayLabel } from './zone';

export function PlanStrip({
  plan,
  bands,
  timeZone,
  selected,
  onSelect,
}: {
  plan: PlanPreview;
  /** The sun's bands over the same days, to shade each column (optional). */
  bands: readonly PlanningBand[] | null;
  timeZone: string;
  selected: string;
  onSelect: (day: string) => void;
}) {
  useThemeVersion();
  const days = stripDays(plan, timeZone);
  const shading = bands ? bandsByDay(bands, timeZone) : null;
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
                {shading?.get(d.day)?.map((b, i) =>
                  BAND_ALPHA[b.kind] === 0 ? null : (
                    <span
                      key={`b${i}`}
                      className="plan-day-band"
                      data-band={b.kind}
                      style={{
                        top: `${(b.top * 100).toFixed(2)}%`,
                        height: `${(b.height * 100).toFixed(2)}%`,
                        background: cssVarAlpha('--muted', BAND_ALPHA[b.kind]),
                      }}
                    />
                  ),
                )}
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
        <span>
          Each column is one day, midnight at the top, lighter while the sun is up or in twilight; the number is the
          day&apos;s captures.
        </span>
      </p>
    </div>
  );
}
