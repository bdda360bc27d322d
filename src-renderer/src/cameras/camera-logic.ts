/** Pure helpers for the camera page. */
import type { SensorPointView } from '@contract';

/** A sentence when the session interval is not a whole number of seconds from 1 to 3600, else null. */
export function intervalProblem(text: string): string | null {
  if (!/^\d+$/.test(text.trim())) return 'Give the interval in whole seconds, like 30.';
  const n = Number(text);
  if (n < 1 || n > 3600) return 'The interval is 1 to 3600 seconds.';
  return null;
}

/** The newest reading of each sensor (and probe), sorted by sensor name. */
export function latestBySensor(points: readonly SensorPointView[]): SensorPointView[] {
  const newest = new Map<string, SensorPointView>();
  for (const p of points) {
    const key = `${p.sensor}\u0000${p.probe ?? ''}`;
    const have = newest.get(key);
    if (have === undefined || Date.parse(p.time) > Date.parse(have.time)) newest.set(key, p);
  }
  return [...newest.values()].sort(
    (a, b) => a.sensor.localeCompare(b.sensor) || (a.probe ?? '').localeCompare(b.probe ?? ''),
  );
}

const LOG_RANK = { debug: 0, info: 1, warning: 2, error: 3 } as const;

export interface AgentLogLine {
  time: string;
  level: keyof typeof LOG_RANK;
  message: string;
  module: string;
}

/** The camera's log lines at `level` or above that contain `text` (any case), newest first. */
export function filterAgentLog<T extends AgentLogLine>(
  lines: readonly T[],
  level: keyof typeof LOG_RANK,
  text: string,
): T[] {
  const words = text.trim().toLowerCase();
  return lines
    .filter(
      (l) =>
        LOG_RANK[l.level] >= LOG_RANK[level] &&
        (words === '' || l.message.toLowerCase().includes(words) || l.module.toLowerCase().includes(words)),
    )
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

/** Seconds of a shutter speed as the gallery writes it ("30", "2.5", "1/50", "30s"); null when unreadable. */
export function shutterSeconds(shutter: string | null | undefined): number | null {
  if (shutter === null || shutter === undefined) return null;
  const t = shutter.trim().replace(/\s*s$/, '');
  const frac = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(t);
  if (frac) {
    const v = Number(frac[1]) / Number(frac[2]);
    return Number.isFinite(v) && v > 0 ? v : null;
  }
  const v = Number(t);
  return t !== '' && Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * What a running still capture is doing, estimated from the camera's last
 * exposure: exposing (with the seconds left) while the elapsed time is below
 * it, then copying. Short exposures (under 2 s) are not worth a countdown.
 */
export function stillProgress(
  elapsedMs: number,
  lastExposureS: number | null,
  /** The exposure the camera said it started (capture.started), and ms since this page heard of it. */
  started?: { exposureSeconds: number; sinceMs: number } | null,
): { phase: 'exposing' | 'copying' | 'working'; leftS: number | null; exact?: boolean } {
  if (started) {
    if (started.exposureSeconds < 2) return { phase: 'copying', leftS: null, exact: true };
    const leftExact = started.exposureSeconds - started.sinceMs / 1000;
    return leftExact > 0
      ? { phase: 'exposing', leftS: Math.ceil(leftExact), exact: true }
      : { phase: 'copying', leftS: null, exact: true };
  }
  if (lastExposureS === null || lastExposureS < 2) return { phase: 'working', leftS: null };
  const left = lastExposureS - elapsedMs / 1000;
  return left > 0 ? { phase: 'exposing', leftS: Math.ceil(left) } : { phase: 'copying', leftS: null };
}
