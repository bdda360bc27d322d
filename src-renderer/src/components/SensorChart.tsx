import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import {
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { SensorPointView } from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { errorText } from '../format';
import { CameraOptions } from './CameraOptions';
import { cssVar, cssVarAlpha, themedTooltip, useThemeVersion } from '../planning/theme';
import { clockIn, dayClockIn, hourTicks } from '../planning/zone';
import { useLocation } from '../schedules/api';
import { QUANTITIES, logTickLabel, reading, seriesOf } from './sensor-series';
import '../planning/planning.css';
import './sensors.css';

const WIDTH = 220;
const HEIGHT = 48;

/** A sparkline of the last hours of one camera's temperature readings (the station's copy of its series). */
export function SensorChart({ agentId }: { agentId: string }) {
  const { api } = useStation();
  const series = useQuery({
    queryKey: ['sensorSeries', agentId],
    queryFn: () => api.sensorSeries({ agentId, from: new Date(Date.now() - 6 * 3_600_000).toISOString(), limit: 2000 }),
    refetchInterval: 30_000,
  });
  const points = (series.data ?? []).filter(
    (p): p is SensorPointView & { temperatureC: number } => p.temperatureC !== null,
  );
  if (points.length < 2) return null;
  const times = points.map((p) => Date.parse(p.time));
  const temps = points.map((p) => p.temperatureC);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const lo = Math.min(...temps);
  const hi = Math.max(...temps);
  const x = (t: number): number => ((t - t0) / Math.max(1, t1 - t0)) * WIDTH;
  const y = (v: number): number => HEIGHT - 4 - ((v - lo) / Math.max(0.1, hi - lo)) * (HEIGHT - 8);
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(times[i]!).toFixed(1)},${y(p.temperatureC).toFixed(1)}`);
  const last = temps[temps.length - 1]!;
  return (
    <figure className="sensor-chart" data-testid="sensor-chart">
      <svg width={WIDTH} height={HEIGHT} role="img" aria-label={`Temperature ${lo.toFixed(1)} to ${hi.toFixed(1)} °C`}>
        <path d={d.join(' ')} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      <figcaption>
        {last.toFixed(1)} °C now · {lo.toFixed(1)}–{hi.toFixed(1)} °C
      </figcaption>
    </figure>
  );
}

// ---------------------------------------------------------------- the Sensors view (issue #17)

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, Decimation);

const RANGES = [
  { id: '6h', label: 'Last 6 hours', hours: 6 },
  { id: '24h', label: 'Last 24 hours', hours: 24 },
  { id: '3d', label: 'Last 3 days', hours: 72 },
  { id: '7d', label: 'Last 7 days', hours: 168 },
  { id: 'custom', label: 'From … to …', hours: 0 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];
const SERIES_LIMIT = 50_000;
const SERIES_COLOURS = ['--chart', '--accent', '--warn', '--text', '--red'] as const;

/** "2025-06-21T20:15" (a datetime-local value, the browser's zone) → ISO UTC; null when empty or invalid. */
const fromLocalInput = (v: string): string | null => {
  const t = Date.parse(v);
  return v && Number.isFinite(t) ? new Date(t).toISOString() : null;
};

function QuantityChart({
  quantity,
  readings,
  from,
  to,
  timeZone,
}: {
  quantity: (typeof QUANTITIES)[number];
  readings: readonly SensorPointView[];
  from: number;
  to: number;
  timeZone: string;
}) {
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const theme = useThemeVersion();
  const series = useMemo(() => seriesOf(readings, quantity.id), [readings, quantity.id]);
  const count = series.reduce((n, s) => n + s.points.length, 0);
  useEffect(() => {
    const el = canvas.current;
    if (!el || count === 0) return;
    const muted = cssVar('--muted');
    const grid = cssVarAlpha('--line', 0.9);
    const text = cssVar('--text');
    const long = to - from > 36 * 3_600_000;
    const chart = new Chart(el, {
      type: 'line',
      data: {
        datasets: series.map((s, i) => {
          const colour = cssVar(SERIES_COLOURS[i % SERIES_COLOURS.length]!);
          return {
            label: s.key,
            data: s.points,
            borderColor: colour,
            backgroundColor: colour,
            borderWidth: 1.5,
            pointRadius: 0,
            pointHitRadius: 5,
          };
        }),
      },
      options: {
        animation: false,
        parsing: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: from,
            max: to,
            afterBuildTicks: (axis) => {
              const h = (to - from) / 3_600_000;
              axis.ticks = hourTicks(from, to, h <= 8 ? 1 : h <= 26 ? 3 : h <= 80 ? 12 : 24, timeZone);
            },
            ticks: {
              color: muted,
              maxRotation: 0,
              callback: (v) => (long ? dayClockIn(Number(v), timeZone) : clockIn(Number(v), timeZone)),
            },
            grid: { color: grid },
          },
          y: {
            type: quantity.id === 'lux' ? 'logarithmic' : 'linear',
            ticks:
              quantity.id === 'lux'
                ? // chart.js labels every tick near the top of a log axis, where they overlap ("0.0100" over
                  // "0.0080"): label 1, 2 and 5 of each decade only, and every tick when there are few.
                  { color: muted, callback: (v, _i, ticks) => logTickLabel(Number(v), ticks.length) }
                : { color: muted },
            grid: { color: grid },
            title: { display: true, text: `${quantity.label} (${quantity.unit})`, color: muted },
          },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'lttb', samples: 600 },
          legend: { display: series.length > 1, labels: { color: text } },
          tooltip: {
            ...themedTooltip(),
            callbacks: {
              title: (items) => (items[0] ? dayClockIn(items[0].parsed.x ?? 0, timeZone) : ''),
              label: (item) => `${item.dataset.label ?? ''}: ${reading(quantity, item.parsed.y ?? 0)}`,
            },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [series, count, from, to, timeZone, quantity, theme]);
  return (
    <figure className="sensor-plot" data-testid="sensor-plot" data-quantity={quantity.id} data-points={count}>
      <figcaption>
        {quantity.label}
        {count > 0 && series.length === 1 && (
          <span className="muted"> · now {reading(quantity, series[0]!.points[series[0]!.points.length - 1]!.y)}</span>
        )}
      </figcaption>
      {count === 0 ? (
        <p className="muted small">No {quantity.label.toLowerCase()} readings in this range.</p>
      ) : (
        <div className="sensor-plot-canvas">
          <canvas ref={canvas} className="theme-aware" role="img" aria-label={`${quantity.label} over time`} />
        </div>
      )}
    </figure>
  );
}

/** Temperature, humidity, dew point and light of one camera over a chosen range, with axes and tooltips. */
export function SensorsView() {
  const { api } = useStation();
  const agents = useAgents();
  const location = useLocation();
  const [camera, setCamera] = useState<string | null>(null);
  const [range, setRange] = useState<RangeId>('24h');
  const [customFrom, setCustomFrom] = useState('');
  const [customTo, setCustomTo] = useState('');
  // The range ends when it was chosen; Refresh moves it to now.
  const [anchor, setAnchor] = useState(() => Date.now());
  const agentId = camera ?? agents.data?.[0]?.id ?? null;
  const timeZone = location.data?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const hours = RANGES.find((r) => r.id === range)?.hours ?? 24;
  const customError =
    range === 'custom' && customFrom && customTo && Date.parse(customTo) <= Date.parse(customFrom)
      ? 'The end of the range must come after its start.'
      : null;
  const from = range === 'custom' ? fromLocalInput(customFrom) : new Date(anchor - hours * 3_600_000).toISOString();
  const to = range === 'custom' ? fromLocalInput(customTo) : new Date(anchor).toISOString();
  const ready = agentId !== null && from !== null && to !== null && customError === null;
  const series = useQuery({
    queryKey: ['sensorSeries', 'view', agentId, from, to],
    queryFn: () => api.sensorSeries({ agentId: agentId ?? '', from: from ?? '', to: to ?? '', limit: SERIES_LIMIT }),
    enabled: ready,
  });
  const readings = series.data ?? [];
  return (
    <div className="orch-pane sensors" data-testid="sensors-pane">
      <form className="orch-form" aria-label="Camera and range" onSubmit={(e) => e.preventDefault()}>
        <label>
          Camera
          <select data-testid="sensors-camera" value={agentId ?? ''} onChange={(e) => setCamera(e.target.value)}>
            <CameraOptions agents={agents.data} />
          </select>
        </label>
        <label>
          Range
          <select data-testid="sensors-range" value={range} onChange={(e) => setRange(e.target.value as RangeId)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {range === 'custom' && (
          <>
            <label>
              From
              <input
                type="datetime-local"
                data-testid="sensors-from"
                value={customFrom}
                onChange={(e) => setCustomFrom(e.target.value)}
              />
            </label>
            <label>
              To
              <input
                type="datetime-local"
                data-testid="sensors-to"
                value={customTo}
                onChange={(e) => setCustomTo(e.target.value)}
              />
            </label>
          </>
        )}
        <button type="button" data-testid="sensors-refresh" onClick={() => setAnchor(Date.now())}>
          Refresh
        </button>
        <span className="zone-label">Times in {timeZone}</span>
      </form>
      {customError && <p className="error">{customError}</p>}
      {range === 'custom' && (!from || !to) && <p className="muted">Choose the start and the end of the range.</p>}
      {series.isError && <p className="error">{errorText(series.error)}</p>}
      {agents.data?.length === 0 && <p className="empty">No cameras yet.</p>}
      {series.data && readings.length === 0 && (
        <p className="empty" data-testid="sensors-empty">
          No sensor readings from this camera in this range. Sensors are read by the camera&apos;s agent (see --sensor)
          and copied here as it syncs.
        </p>
      )}
      {readings.length >= SERIES_LIMIT && (
        <p className="muted small">Showing the first {SERIES_LIMIT} readings of the range; choose a shorter one.</p>
      )}
      {readings.length > 0 && from && to && (
        <div className="sensor-plots">
          {QUANTITIES.map((q) => (
            <QuantityChart
              key={q.id}
              quantity={q}
              readings={readings}
              from={Date.parse(from)}
              to={Date.parse(to)}
              timeZone={timeZone}
            />
          ))}
        </div>
      )}
    </div>
  );
}
