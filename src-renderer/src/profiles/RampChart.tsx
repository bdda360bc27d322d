/**
 * The exposure ramp over a simulated sunset (chart.js), as the brain computed
 * it with the agent's own engine: what the meter asks for and what the camera
 * is set to (EV), the white balance the curve gives, and below it the shutter
 * and ISO that make that exposure. A dashed line marks the sunset. Times are
 * in the location's zone; colours come from the theme's variables.
 */
import { useEffect, useRef } from 'react';
import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
  type Scale,
} from 'chart.js';
import type { RampSimulationView } from '@contract';
import { cssVar, cssVarAlpha, useThemeVersion } from '../planning/theme';
import { clockIn } from '../planning/zone';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

const HALF_HOUR = 1_800_000;
/** Both charts' side axes take the same width, so their time axes line up. */
const fixWidth = (axis: Scale): void => {
  axis.width = 78;
};

/** Ticks at the zone's whole and half hours. */
function halfHourTicks(from: number, to: number, tz: string): { value: number }[] {
  const out: { value: number }[] = [];
  for (let t = Math.ceil(from / 900_000) * 900_000; t <= to; t += 900_000) {
    const c = clockIn(t, tz);
    if (c.endsWith(':00') || c.endsWith(':30')) out.push({ value: t });
  }
  return out.length > 0 ? out : [{ value: from }, { value: from + HALF_HOUR }];
}

/** "1/250 s", "2.5 s", "20 s". */
export function shutterText(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds * 10) / 10} s`;
  return `1/${Math.round(1 / seconds)} s`;
}

const eventLine = (at: number): Plugin<'line'> => ({
  id: 'skystationEvent',
  afterDatasetsDraw(chart) {
    const x = chart.scales['x'];
    if (!x) return;
    const { ctx, chartArea: a } = chart;
    const px = x.getPixelForValue(at);
    ctx.save();
    ctx.strokeStyle = cssVar('--muted');
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(px, a.top);
    ctx.lineTo(px, a.bottom);
    ctx.stroke();
    ctx.restore();
  },
});

function useChart(
  canvas: React.RefObject<HTMLCanvasElement | null>,
  build: () => ChartConfiguration<'line'> | null,
  deps: readonly unknown[],
): void {
  useEffect(() => {
    const el = canvas.current;
    const config = build();
    if (!el || !config) return;
    const chart = new Chart(el, config);
    return () => chart.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

export function RampChart({ sim }: { sim: RampSimulationView }) {
  const evCanvas = useRef<HTMLCanvasElement | null>(null);
  const camCanvas = useRef<HTMLCanvasElement | null>(null);
  const theme = useThemeVersion();
  const tz = sim.timezone;
  const times = sim.frames.map((f) => Date.parse(f.time));
  const start = times[0] ?? 0;
  const end = times[times.length - 1] ?? 0;
  const at = Date.parse(sim.eventTime);
  const hasKelvin = sim.frames.some((f) => f.kelvin !== null);

  const base = () => {
    const muted = cssVar('--muted');
    const grid = cssVarAlpha('--line', 0.9);
    const text = cssVar('--text');
    return {
      muted,
      grid,
      text,
      x: {
        type: 'linear' as const,
        min: start,
        max: end,
        afterBuildTicks: (axis: Scale) => {
          axis.ticks = halfHourTicks(start, end, tz);
        },
        ticks: { color: muted, callback: (v: number | string) => clockIn(Number(v), tz), maxRotation: 0 },
        grid: { color: grid },
      },
      tooltip: {
        backgroundColor: cssVar('--panel-2'),
        titleColor: text,
        bodyColor: text,
        borderColor: cssVar('--line'),
        borderWidth: 1,
      },
    };
  };

  useChart(evCanvas, () => {
    const b = base();
    const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
      {
        label: 'Metered',
        data: sim.frames.map((f, i) => ({ x: times[i]!, y: f.targetEv })),
        borderColor: b.muted,
        backgroundColor: b.muted,
        borderDash: [6, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        yAxisID: 'y',
      },
      {
        label: 'Camera set to',
        data: sim.frames.map((f, i) => ({ x: times[i]!, y: f.ev })),
        borderColor: cssVar('--accent'),
        backgroundColor: cssVar('--accent'),
        borderWidth: 2.5,
        pointRadius: 0,
        yAxisID: 'y',
      },
    ];
    if (hasKelvin) {
      datasets.push({
        label: 'White balance',
        data: sim.frames.map((f, i) => ({ x: times[i]!, y: f.kelvin ?? Number.NaN })),
        borderColor: b.text,
        backgroundColor: b.text,
        borderDash: [2, 3],
        borderWidth: 1.5,
        pointRadius: 0,
        yAxisID: 'k',
      });
    }
    return {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: b.x,
          y: {
            afterFit: fixWidth,
            ticks: { color: b.muted },
            grid: { color: b.grid },
            title: { display: true, text: 'Exposure (EV100)', color: b.muted },
          },
          k: {
            afterFit: fixWidth,
            position: 'right',
            ticks: { color: b.muted, callback: (v) => (hasKelvin ? `${String(v)} K` : '') },
            grid: { display: false },
            title: { display: hasKelvin, text: 'White balance', color: b.muted },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            ...b.tooltip,
            callbacks: {
              title: (items) => (items[0] ? clockIn(items[0].parsed.x ?? 0, tz) : ''),
              label: (item) =>
                item.dataset.yAxisID === 'k'
                  ? `${item.dataset.label ?? ''}: ${String(item.parsed.y)} K`
                  : `${item.dataset.label ?? ''}: EV ${(item.parsed.y ?? 0).toFixed(2)}`,
            },
          },
        },
      },
      plugins: [eventLine(at)],
    };
  }, [sim, theme]);

  useChart(camCanvas, () => {
    const b = base();
    return {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'Shutter',
            data: sim.frames.map((f, i) => ({ x: times[i]!, y: f.shutterSeconds })),
            borderColor: cssVar('--accent'),
            backgroundColor: cssVar('--accent'),
            borderWidth: 2.5,
            pointRadius: 0,
            stepped: true,
            yAxisID: 'y',
          },
          {
            label: 'ISO',
            data: sim.frames.map((f, i) => ({ x: times[i]!, y: f.iso })),
            borderColor: b.text,
            backgroundColor: b.text,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            stepped: true,
            yAxisID: 'iso',
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { ...b.x, title: { display: true, text: `Time (${tz})`, color: b.muted } },
          y: {
            type: 'logarithmic',
            afterFit: fixWidth,
            ticks: {
              color: b.muted,
              callback: (v) => {
                const n = Number(v);
                const exp = Math.log10(n);
                return Math.abs(exp - Math.round(exp)) < 1e-6 ? shutterText(n) : '';
              },
            },
            grid: { color: b.grid },
            title: { display: true, text: 'Shutter', color: b.muted },
          },
          iso: {
            type: 'logarithmic',
            position: 'right',
            afterFit: fixWidth,
            ticks: {
              color: b.muted,
              callback: (v) => ([100, 200, 400, 800, 1600, 3200, 6400, 12800].includes(Number(v)) ? String(v) : ''),
            },
            grid: { display: false },
            title: { display: true, text: 'ISO', color: b.muted },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            ...b.tooltip,
            callbacks: {
              title: (items) => (items[0] ? clockIn(items[0].parsed.x ?? 0, tz) : ''),
              label: (item) =>
                item.dataset.yAxisID === 'iso'
                  ? `ISO ${String(item.parsed.y)}`
                  : `Shutter ${shutterText(item.parsed.y ?? 1)}`,
            },
          },
        },
      },
      plugins: [eventLine(at)],
    };
  }, [sim, theme]);

  return (
    <div className="ramp-charts" data-testid="ramp-chart" data-frames={sim.frames.length}>
      <div className="ramp-chart">
        <canvas
          ref={evCanvas}
          className="theme-aware"
          data-testid="ramp-ev-chart"
          role="img"
          aria-label={`Exposure and white balance around the ${sim.event} in ${tz}`}
        />
      </div>
      <div className="ramp-chart">
        <canvas
          ref={camCanvas}
          className="theme-aware"
          data-testid="ramp-camera-chart"
          role="img"
          aria-label={`Shutter and ISO around the ${sim.event} in ${tz}`}
        />
      </div>
    </div>
  );
}
