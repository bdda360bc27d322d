/**
 * Planning (issue #17): for a chosen day and camera, what the sun and the
 * moon do, the twilight bands, golden and blue hour, and when each schedule
 * captures; below it the camera's next 30 days as a calendar strip. Every
 * time is in the station location's zone, which is named on the page.
 */
import { useState } from 'react';
import type { PlanningBand } from '@contract';
import { useAgents } from '../api/hooks';
import { errorText } from '../format';
import { useLocation, usePlan } from '../schedules/api';
import { usePlanningBands, usePlanningDay } from './api';
import { BAND_ALPHA, BAND_LABEL, DayTimeline } from './DayTimeline';
import { cssVarAlpha, useThemeVersion } from './theme';
import { PlanStrip } from './PlanStrip';
import { addDaysIso, clockIn, localDay, zoneAbbreviation } from './zone';
import './planning.css';

const NO_CAMERA = '';

function ZoneLabel({ timeZone, at }: { timeZone: string; at: number }) {
  return (
    <span className="zone-label" data-testid="planning-zone">
      Times in {timeZone} ({zoneAbbreviation(at, timeZone)}, {zoneAbbreviation(at, timeZone, 'shortOffset')})
    </span>
  );
}

function Legend() {
  useThemeVersion();
  const bands: PlanningBand['kind'][] = ['day', 'civil', 'nautical', 'astronomical', 'night'];
  return (
    <p className="planning-legend small" aria-label="Legend">
      <span className="legend-item">
        <span className="legend-line sun" /> Sun
      </span>
      <span className="legend-item">
        <span className="legend-line moon" /> Moon
      </span>
      {bands.map((b) => (
        <span key={b} className="legend-item">
          <span className="legend-swatch" style={{ background: cssVarAlpha('--muted', BAND_ALPHA[b]) }} />{' '}
          {BAND_LABEL[b]}
        </span>
      ))}
      <span className="legend-item">
        <span className="legend-swatch golden" /> Golden hour (−4° to +6°)
      </span>
      <span className="legend-item">
        <span className="legend-swatch blue" /> Blue hour (−6° to −4°)
      </span>
    </p>
  );
}

export function PlanningPane() {
  const agents = useAgents();
  const location = useLocation();
  const tz = location.data?.timezone ?? null;
  const [camera, setCamera] = useState<string | null>(null);
  const [date, setDate] = useState<string | null>(null);
  // "Today" is the day the pane was opened (the Today button takes the current day).
  const [openedAt] = useState(() => Date.now());
  const agentId = camera ?? agents.data?.[0]?.id ?? NO_CAMERA;
  const day = date ?? (tz ? localDay(openedAt, tz) : null);
  const timeline = usePlanningDay(agentId || null, tz ? day : null);
  const plan = usePlan(agentId || null);
  const bands = usePlanningBands(plan.data && tz ? localDay(Date.parse(plan.data.generated_at), tz) : null);

  if (location.isPending) return <p className="muted">Loading…</p>;
  if (!location.data) {
    return (
      <div className="orch-pane" data-testid="planning-pane">
        <p className="empty" data-testid="planning-no-location">
          The station has no location yet. Set latitude, longitude and time zone under Schedules → Location; the sun,
          the moon and every plan follow from it.
        </p>
      </div>
    );
  }
  const zone = location.data.timezone;
  const d = timeline.data;

  return (
    <div className="orch-pane planning" data-testid="planning-pane">
      <form className="orch-form planning-controls" aria-label="Day and camera" onSubmit={(e) => e.preventDefault()}>
        <label>
          Camera
          <select data-testid="planning-camera" value={agentId} onChange={(e) => setCamera(e.target.value)}>
            {agents.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
            <option value={NO_CAMERA}>No camera: every schedule</option>
          </select>
        </label>
        <label>
          Day
          <input
            type="date"
            data-testid="planning-date"
            value={day ?? ''}
            onChange={(e) => e.target.value && setDate(e.target.value)}
          />
        </label>
        <button type="button" onClick={() => day && setDate(addDaysIso(day, -1))} aria-label="Previous day">
          ←
        </button>
        <button type="button" onClick={() => setDate(localDay(Date.now(), zone))}>
          Today
        </button>
        <button type="button" onClick={() => day && setDate(addDaysIso(day, 1))} aria-label="Next day">
          →
        </button>
        <ZoneLabel timeZone={zone} at={d ? Date.parse(d.start) + 12 * 3_600_000 : openedAt} />
      </form>
      {timeline.isError && (
        <p className="error" role="alert">
          {errorText(timeline.error)}
        </p>
      )}
      {d && (
        <>
          <p className="planning-summary small" data-testid="planning-summary">
            {d.latitude.toFixed(2)}°, {d.longitude.toFixed(2)}° · Sunrise{' '}
            {d.sun.rise ? clockIn(Date.parse(d.sun.rise), zone) : 'none'} · Sunset{' '}
            {d.sun.set ? clockIn(Date.parse(d.sun.set), zone) : 'none'} · Moonrise{' '}
            {d.moon.rise ? clockIn(Date.parse(d.moon.rise), zone) : 'none'} · Moonset{' '}
            {d.moon.set ? clockIn(Date.parse(d.moon.set), zone) : 'none'} · Moon {Math.round(d.moon.illumination * 100)}{' '}
            % lit ({d.moon.phase.replace('_', ' ')})
          </p>
          <Legend />
          <DayTimeline day={d} />
        </>
      )}
      <h2>Next 30 days</h2>
      {!agentId && <p className="muted">Choose a camera to see its plan.</p>}
      {plan.isError && <p className="error">{errorText(plan.error)}</p>}
      {agentId && plan.data && plan.data.windows.length === 0 && (
        <p className="empty">This camera has no schedules yet: assign some under Schedules.</p>
      )}
      {agentId && plan.data && plan.data.windows.length > 0 && (
        <PlanStrip
          plan={plan.data}
          bands={bands.data?.bands ?? null}
          timeZone={zone}
          selected={day ?? ''}
          onSelect={setDate}
        />
      )}
    </div>
  );
}
