/**
 * The day timeline (chart.js): sun and moon altitude over one local day, the
 * twilight bands behind them, golden and blue hour as strips along the top,
 * and below the chart one lane per schedule with its capture windows, on the
 * same time axis. Every colour comes from the theme's CSS variables.
 */
import { useEffect, useRef, useState } from 'react';
import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartArea,
  type Plugin,
} from 'chart.js';
import type { PlanningBand, PlanningDayView } from '@contract';
import { cssVar, cssVarAlpha, themedTooltip, useThemeVersion } from './theme';
import { clockIn, hourTicks } from './zone';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip);

/** How strongly each band lights the background (alpha of --muted): day brightest, night none. */
export const BAND_ALPHA: Record<PlanningBand['kind'], number> = {
  day: 0.3,
  civil: 0.2,
  nautical: 0.12,
  astronomical: 0.06,
  night: 0,
};
export const BAND_LABEL: Record<PlanningBand['kind'], string> = {
  day: 'Day',
  civil: 'Civil twilight',
  nautical: 'Nautical twilight',
  astronomical: 'Astronomical twilight',
  night: 'Night',
};

const ms = (iso: string): number => Date.parse(iso);

interface BandPluginOptions {
  day: PlanningDayView;
}

/** Draws the bands behind the datasets and the golden/blue strips along the top of the chart area. */
const bandsPlugin: Plugin<'line', BandPluginOptions> = {
  id: 'skystationBands',
  beforeDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea: a, scales } = chart;
    const x = scales['x'];
    const y = scales['y'];
    if (!x || !y) return;
    const px = (t: number): number => Math.min(a.right, Math.max(a.left, x.getPixelForValue(t)));
    ctx.save();
    for (const b of options.day.bands) {
      const alpha = BAND_ALPHA[b.kind];
      if (alpha === 0) continue;
      ctx.fillStyle = cssVarAlpha('--muted', alpha);
      ctx.fillRect(px(ms(b.start)), a.top, px(ms(b.end)) - px(ms(b.start)), a.bottom - a.top);
    }
    const strip = Math.max(6, (a.bottom - a.top) * 0.05);
    for (const [spans, color] of [
      [options.day.golden, cssVarAlpha('--warn', 0.75)],
      [options.day.blue, cssVarAlpha('--info', 0.75)],
    ] as const) {
      ctx.fillStyle = color;
      for (const s of spans) ctx.fillRect(px(ms(s.start)), a.top, px(ms(s.end)) - px(ms(s.start)), strip);
    }
    // The horizon.
    ctx.strokeStyle = cssVar('--muted');
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    const h = y.getPixelForValue(0);
    ctx.beginPath();
    ctx.moveTo(a.left, h);
    ctx.lineTo(a.right, h);
    ctx.stroke();
    ctx.restore();
  },
};

declare module 'chart.js' {
  interface PluginOptionsByType<TType> {
    skystationBands?: TType extends 'line' ? BandPluginOptions : never;
  }
}

export function DayTimeline({ day }: { day: PlanningDayView }) {
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [area, setArea] = useState<ChartArea | null>(null);
  const theme = useThemeVersion();
  const tz = day.timezone;
  const start = ms(day.start);
  const end = ms(day.end);

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const text = cssVar('--text');
    const muted = cssVar('--muted');
    const grid = cssVarAlpha('--line', 0.9);
    const chart = new Chart(el, {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'Sun',
            data: day.samples.map((s) => ({ x: ms(s.time), y: s.sunDeg })),
            borderColor: cssVar('--accent'),
            backgroundColor: cssVar('--accent'),
            borderWidth: 2.5,
            pointRadius: 0,
            pointHitRadius: 6,
          },
          {
            label: 'Moon',
            data: day.samples.map((s) => ({ x: ms(s.time), y: s.moonDeg })),
            borderColor: text,
            backgroundColor: text,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            pointHitRadius: 6,
          },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: start,
            max: end,
            afterBuildTicks: (axis) => {
              axis.ticks = hourTicks(start, end, 3, tz);
            },
            ticks: { color: muted, callback: (v) => clockIn(Number(v), tz), maxRotation: 0 },
            grid: { color: grid },
            title: { display: true, text: `Time (${tz})`, color: muted },
          },
          y: {
            min: -90,
            max: 90,
            ticks: { color: muted, stepSize: 30, callback: (v) => `${String(v)}°` },
            grid: { color: grid },
            title: { display: true, text: 'Altitude', color: muted },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            ...themedTooltip(),
            callbacks: {
              title: (items) => (items[0] ? clockIn(items[0].parsed.x ?? 0, tz) : ''),
              label: (item) => `${item.dataset.label ?? ''}: ${(item.parsed.y ?? 0).toFixed(1)}°`,
            },
          },
          skystationBands: { day },
        },
      },
      plugins: [
        bandsPlugin,
        {
          id: 'skystationArea',
          afterLayout: (c) => setArea({ ...c.chartArea }),
        },
      ],
    });
    return () => chart.destroy();
  }, [day, theme, start, end, tz]);

  const span = end - start;
  const pct = (t: number): string => `${(((Math.min(end, Math.max(start, t)) - start) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number): string =>
    `${(((Math.min(end, b) - Math.max(start, a)) / span) * 100).toFixed(3)}%`;
  const lanes = day.schedules.filter((s) => s.assigned || day.plan.length === 0);

  return (
    <div className="day-timeline" data-testid="day-timeline">
      <div className="day-chart">
        <canvas
          ref={canvas}
          className="theme-aware"
          data-testid="day-chart"
          role="img"
          aria-label={`Sun and moon altitude on ${day.date} in ${tz}`}
        />
      </div>
      <div
        className="day-lanes"
        style={area ? { marginLeft: `${area.left}px`, width: `${area.right - area.left}px` } : undefined}
      >
        {day.plan.length > 0 && (
          <div className="day-lane" data-testid="timeline-lane" data-schedule="(plan)">
            <span className="day-lane-label">Camera plan</span>
            {day.plan.map((w) => (
              <span
                key={w.start}
                className="day-window plan"
                data-testid="timeline-window"
                data-schedule={w.schedule}
                style={{ left: pct(ms(w.start)), width: width(ms(w.start), ms(w.end)) }}
                title={`${w.schedule}: ${clockIn(ms(w.start), tz)}–${clockIn(ms(w.end), tz)}, every ${w.interval_seconds} s`}
              />
            ))}
          </div>
        )}
        {lanes.map((s) => (
          <div key={s.name} className="day-lane" data-testid="timeline-lane" data-schedule={s.name}>
            <span className="day-lane-label">
              {s.name} <span className="muted">every {s.interval_seconds} s</span>
            </span>
            {s.windows.length === 0 && <span className="day-lane-none muted small">no window this day</span>}
            {s.windows.map((w) => (
              <span
                key={w.start}
                className="day-window"
                data-testid="schedule-window"
                data-schedule={s.name}
                style={{ left: pct(ms(w.start)), width: width(ms(w.start), ms(w.end)) }}
                title={`${s.name}: ${clockIn(ms(w.start), tz)}–${clockIn(ms(w.end), tz)}`}
              />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
