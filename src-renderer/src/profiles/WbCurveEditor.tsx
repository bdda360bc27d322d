/**
 * The lux → white-balance curve as an editable chart (chart.js): light on a
 * log axis, colour temperature up the side. Each point is a handle over the
 * chart that can be dragged with the mouse (or moved with the arrow keys:
 * up/down 50 K, left/right a quarter stop of light); a double click on the
 * chart adds a point, the table below edits or removes one. The inherited
 * curve is drawn dashed behind. Colours come from the theme's variables.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { cssVar, cssVarAlpha, themedTooltip, useThemeVersion } from '../planning/theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

export type Point = [number, number];

const LUX_MIN = 0.5;
const LUX_MAX = 200_000;
const K_MIN = 1500;
const K_MAX = 15_000;
const LUX_TICKS: Record<number, string> = { 1: '1', 10: '10', 100: '100', 1000: '1k', 10_000: '10k', 100_000: '100k' };

/** Two significant digits for light (0.5, 12, 3400), whole tens for kelvin. */
export const roundLux = (lux: number): number => {
  const l = Math.min(LUX_MAX, Math.max(LUX_MIN, lux));
  const p = 10 ** (Math.floor(Math.log10(l)) - 1);
  return Math.round(l / p) * p;
};
export const roundKelvin = (k: number): number => Math.round(Math.min(K_MAX, Math.max(K_MIN, k)) / 10) * 10;

/** Brightest first, as the curves are written. */
export const sortPoints = (points: readonly Point[]): Point[] =>
  [...points].sort((a, b) => b[0] - a[0]).map(([l, k]): Point => [l, k]);

interface Handle {
  left: number;
  top: number;
}

export function WbCurveEditor({
  points,
  inherited,
  onChange,
  readOnly = false,
}: {
  points: readonly Point[];
  /** The curve this profile would have without its own (drawn dashed), or null. */
  inherited: readonly Point[] | null;
  onChange: (points: Point[]) => void;
  readOnly?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const chartRef = useRef<Chart<'line'> | null>(null);
  /** While a point is dragged: the curve as it moves (committed on release). */
  const [drag, setDrag] = useState<{ index: number; points: Point[] } | null>(null);
  const [handles, setHandles] = useState<Handle[]>([]);
  const theme = useThemeVersion();
  const key = JSON.stringify(points);
  const live = useMemo(() => drag?.points ?? sortPoints(JSON.parse(key) as Point[]), [drag, key]);
  const dragging = drag?.index ?? null;

  const kelvins = [...live.map((p) => p[1]), ...(inherited ?? []).map((p) => p[1])];
  const yMin = Math.max(K_MIN, Math.floor((Math.min(2500, ...kelvins) - 300) / 500) * 500);
  const yMax = Math.min(K_MAX, Math.ceil((Math.max(7500, ...kelvins) + 300) / 500) * 500);

  // One chart per theme and axis range; its data follows `live` below.
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const muted = cssVar('--muted');
    const grid = cssVarAlpha('--line', 0.9);
    const chart = new Chart<'line'>(el, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: {
            type: 'logarithmic',
            min: 1,
            max: 100_000,
            reverse: true,
            ticks: {
              color: muted,
              maxRotation: 0,
              autoSkip: false,
              callback: (v) => LUX_TICKS[Number(v)] ?? '',
            },
            grid: { color: grid },
            title: { display: true, text: 'Light (lux) — bright day on the left, night on the right', color: muted },
          },
          y: {
            min: yMin,
            max: yMax,
            ticks: { color: muted, callback: (v) => `${String(v)} K` },
            grid: { color: grid },
            title: { display: true, text: 'White balance', color: muted },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            ...themedTooltip(),
            callbacks: {
              title: (items) => (items[0] ? `${(items[0].parsed.x ?? 0).toLocaleString('en')} lux` : ''),
              label: (item) => `${item.dataset.label ?? ''}: ${String(item.parsed.y)} K`,
            },
          },
        },
      },
      plugins: [
        {
          id: 'skystationHandles',
          afterUpdate: (c) => {
            const x = c.scales['x'];
            const y = c.scales['y'];
            const data = c.data.datasets[0]?.data as Array<{ x: number; y: number }> | undefined;
            if (!x || !y || !data) return;
            const next = data.map((d) => ({ left: x.getPixelForValue(d.x), top: y.getPixelForValue(d.y) }));
            setHandles((old) => (JSON.stringify(old) === JSON.stringify(next) ? old : next));
          },
        },
      ],
    });
    chartRef.current = chart;
    return () => {
      chartRef.current = null;
      chart.destroy();
    };
  }, [theme, yMin, yMax]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const own: ChartDataset<'line', Array<{ x: number; y: number }>> = {
      label: 'This profile',
      data: live.map(([x, y]) => ({ x, y })),
      borderColor: cssVar('--accent'),
      backgroundColor: cssVar('--accent'),
      borderWidth: 2.5,
      pointRadius: 0,
      pointHitRadius: 8,
    };
    const datasets = [own];
    if (inherited) {
      datasets.push({
        label: 'Inherited',
        data: sortPoints(inherited).map(([x, y]) => ({ x, y })),
        borderColor: cssVar('--muted'),
        backgroundColor: cssVar('--muted'),
        borderDash: [5, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        pointHitRadius: 6,
      });
    }
    chart.data.datasets = datasets;
    chart.update('none');
  }, [live, inherited, theme, yMin, yMax]);

  /** The point under a screen position, in chart values. */
  const valueAt = (clientX: number, clientY: number): Point | null => {
    const chart = chartRef.current;
    const el = canvas.current;
    const x = chart?.scales['x'];
    const y = chart?.scales['y'];
    if (!el || !x || !y) return null;
    const r = el.getBoundingClientRect();
    return [
      roundLux(x.getValueForPixel(clientX - r.left) ?? 1),
      roundKelvin(y.getValueForPixel(clientY - r.top) ?? 5000),
    ];
  };

  const commit = (next: Point[]) => onChange(sortPoints(next));

  const onPointerDown = (e: PointerEvent<HTMLButtonElement>, i: number) => {
    if (readOnly) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    setDrag({ index: i, points: live });
  };
  const onPointerMove = (e: PointerEvent<HTMLButtonElement>) => {
    if (dragging === null) return;
    const v = valueAt(e.clientX, e.clientY);
    if (v) setDrag({ index: dragging, points: live.map((p, j) => (j === dragging ? v : p)) });
  };
  const onPointerUp = () => {
    if (drag === null) return;
    setDrag(null);
    commit(drag.points);
  };
  const onKey = (e: KeyboardEvent<HTMLButtonElement>, i: number) => {
    if (readOnly) return;
    const [lux, k] = live[i]!;
    const step = e.shiftKey ? 250 : 50;
    const moved: Record<string, Point> = {
      ArrowUp: [lux, roundKelvin(k + step)],
      ArrowDown: [lux, roundKelvin(k - step)],
      ArrowLeft: [roundLux(lux * 1.19), k],
      ArrowRight: [roundLux(lux / 1.19), k],
    };
    const next = moved[e.key];
    if (next) {
      e.preventDefault();
      commit(live.map((p, j) => (j === i ? next : p)));
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && live.length > 2) {
      e.preventDefault();
      commit(live.filter((_, j) => j !== i));
    }
  };

  return (
    <div className="wb-editor" data-testid="wb-editor">
      <div
        className="wb-chart"
        onDoubleClick={(e) => {
          if (readOnly || live.length >= 32) return;
          const v = valueAt(e.clientX, e.clientY);
          if (v) commit([...live, v]);
        }}
      >
        <canvas
          ref={canvas}
          className="theme-aware"
          data-testid="wb-chart"
          role="img"
          aria-label="White balance against light"
        />
        {handles.map((h, i) => {
          const p = live[i];
          if (!p) return null;
          return (
            <button
              key={i}
              type="button"
              className={`wb-handle${dragging === i ? ' dragging' : ''}`}
              style={{ left: `${h.left}px`, top: `${h.top}px` }}
              data-testid="wb-handle"
              data-index={i}
              data-lux={p[0]}
              data-kelvin={p[1]}
              disabled={readOnly}
              aria-label={`${p[0].toLocaleString('en')} lux: ${p[1]} K (arrow keys move it)`}
              title={`${p[0].toLocaleString('en')} lux → ${p[1]} K`}
              onPointerDown={(e) => onPointerDown(e, i)}
              onPointerMove={onPointerMove}
              onPointerUp={onPointerUp}
              onPointerCancel={onPointerUp}
              onKeyDown={(e) => onKey(e, i)}
            />
          );
        })}
      </div>
      {!readOnly && (
        <p className="muted small wb-hint">
          Drag a point (or focus it and use the arrow keys); double-click the chart to add one.
        </p>
      )}
      <table className="orch-table wb-points" aria-label="Curve points">
        <thead>
          <tr>
            <th>Light (lux)</th>
            <th>White balance (K)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {live.map(([lux, k], i) => (
            <tr key={`${i}-${lux}`} data-testid="wb-point">
              <td>
                <input
                  type="number"
                  aria-label={`Point ${i + 1} light`}
                  data-testid="wb-point-lux"
                  defaultValue={lux}
                  min={0}
                  disabled={readOnly}
                  onBlur={(e) => {
                    const v = Number(e.target.value);
                    if (Number.isFinite(v) && v !== lux) commit(live.map((p, j): Point => (j === i ? [v, p[1]] : p)));
                  }}
                />
              </td>
              <td>
                <input
                  type="number"
                  aria-label={`Point ${i + 1} white balance`}
                  data-testid="wb-point-kelvin"
                  value={k}
                  step={10}
                  disabled={readOnly}
                  onChange={(e) => {
                    const v = Number(e.target.value);
                    if (Number.isFinite(v)) commit(live.map((p, j): Point => (j === i ? [p[0], Math.round(v)] : p)));
                  }}
                />
              </td>
              <td>
                <button
                  type="button"
                  className="link"
                  disabled={readOnly || live.length <= 2}
                  onClick={() => commit(live.filter((_, j) => j !== i))}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
