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
  type TooltipItem,
} from 'chart.js';
import type { RampSimulationView } from '@contract';
import { cssVar, cssVarAlpha, themedTooltip, useThemeVersion } from '../planning/theme';
import { clockIn } from '../planning/zone';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

const HALF_HOUR = 1_800_000;
const ISO_TICKS = [100, 200, 400, 800, 1600, 3200, 6400, 12800];
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

type Datasets = ChartConfiguration<'line'>['data']['datasets'];
type Scales = NonNullable<NonNullable<ChartConfiguration<'line'>['options']>['scales']>;
type Item = TooltipItem<'line'>;

/** A line of the ramp: one value per frame, solid (the main one) or dashed/dotted, on an axis. */
function line(
  label: string,
  values: readonly number[],
  times: readonly number[],
  color: string,
  axis: string,
  style: { dash?: number[]; width?: number; stepped?: boolean } = {},
): Datasets[number] {
  return {
    label,
    data: values.map((y, i) => ({ x: times[i]!, y })),
    borderColor: color,
    backgroundColor: color,
    borderWidth: style.width ?? 1.5,
    ...(style.dash ? { borderDash: style.dash } : {}),
    ...(style.stepped ? { stepped: true } : {}),
    pointRadius: 0,
    yAxisID: axis,
  };
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

  /** Both charts: the zone's time axis, the side axes and a tooltip whose label says the unit. */
  const config = (datasets: Datasets, scales: Scales, label: (item: Item) => string, xTitle?: string) => {
    const muted = cssVar('--muted');
    const grid = cssVarAlpha('--line', 0.9);
    const side = Object.fromEntries(
      Object.entries(scales).map(([id, sc]) => [
        id,
        { ...sc, afterFit: fixWidth, ticks: { color: muted, ...sc?.ticks }, title: { color: muted, ...sc?.title } },
      ]),
    ) as Scales;
    return {
      type: 'line' as const,
      data: { datasets },
      options: {
        animation: false as const,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index' as const, intersect: false },
        scales: {
          x: {
            type: 'linear' as const,
            min: start,
            max: end,
            afterBuildTicks: (axis: Scale) => {
              axis.ticks = halfHourTicks(start, end, tz);
            },
            ticks: { color: muted, callback: (v: number | string) => clockIn(Number(v), tz), maxRotation: 0 },
            grid: { color: grid },
            ...(xTitle ? { title: { display: true, text: xTitle, color: muted } } : {}),
          },
          ...side,
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            ...themedTooltip(),
            callbacks: {
              title: (items: Item[]) => (items[0] ? clockIn(items[0].parsed.x ?? 0, tz) : ''),
              label,
            },
          },
        },
      },
      plugins: [eventLine(at)],
    } satisfies ChartConfiguration<'line'>;
  };

  useChart(evCanvas, () => {
    const datasets = [
      line(
        'Metered',
        sim.frames.map((f) => f.targetEv),
        times,
        cssVar('--muted'),
        'y',
        { dash: [6, 4] },
      ),
      line(
        'Camera set to',
        sim.frames.map((f) => f.ev),
        times,
        cssVar('--accent'),
        'y',
        { width: 2.5 },
      ),
    ];
    if (hasKelvin) {
      const kelvins = sim.frames.map((f) => f.kelvin ?? Number.NaN);
      datasets.push(line('White balance', kelvins, times, cssVar('--text'), 'k', { dash: [2, 3] }));
    }
    return config(
      datasets,
      {
        y: { grid: { color: cssVarAlpha('--line', 0.9) }, title: { display: true, text: 'Exposure (EV100)' } },
        k: {
          position: 'right',
          ticks: { callback: (v) => (hasKelvin ? `${String(v)} K` : '') },
          grid: { display: false },
          title: { display: hasKelvin, text: 'White balance' },
        },
      },
      (item) =>
        item.dataset.yAxisID === 'k'
          ? `${item.dataset.label ?? ''}: ${String(item.parsed.y)} K`
          : `${item.dataset.label ?? ''}: EV ${(item.parsed.y ?? 0).toFixed(2)}`,
    );
  }, [sim, theme]);

  useChart(
    camCanvas,
    () =>
      config(
        [
          line(
            'Shutter',
            sim.frames.map((f) => f.shutterSeconds),
            times,
            cssVar('--accent'),
            'y',
            {
              width: 2.5,
              stepped: true,
            },
          ),
          line(
            'ISO',
            sim.frames.map((f) => f.iso),
            times,
            cssVar('--text'),
            'iso',
            { dash: [6, 4], stepped: true },
          ),
        ],
        {
          y: {
            type: 'logarithmic',
            ticks: {
              callback: (v) => {
                const exp = Math.log10(Number(v));
                return Math.abs(exp - Math.round(exp)) < 1e-6 ? shutterText(Number(v)) : '';
              },
            },
            grid: { color: cssVarAlpha('--line', 0.9) },
            title: { display: true, text: 'Shutter' },
          },
          iso: {
            type: 'logarithmic',
            position: 'right',
            ticks: { callback: (v) => (ISO_TICKS.includes(Number(v)) ? String(v) : '') },
            grid: { display: false },
            title: { display: true, text: 'ISO' },
          },
        },
        (item) =>
          item.dataset.yAxisID === 'iso'
            ? `ISO ${String(item.parsed.y)}`
            : `Shutter ${shutterText(item.parsed.y ?? 1)}`,
        `Time (${tz})`,
      ),
    [sim, theme],
  );

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
