import { useQuery } from '@tanstack/react-query';
import type { SensorPointView } from '../../../src-main/api/contract';
import { useStation } from '../api/hooks';

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
