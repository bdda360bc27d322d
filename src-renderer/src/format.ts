/** Small display helpers shared by the components. */
import { operatorMessage } from './shell/errors';

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** The time of day alone for an instant of the same local day as `now` ("03:24:57 PM"); the full date otherwise. */
export function formatTimeOfDay(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (d.toDateString() !== new Date(now).toDateString()) return formatTime(iso);
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The clock offset in an operator's words, as the brain's clock alert says it. */
export { clockOffsetAgainst, formatClockOffset } from '@contract';

/**
 * An illuminance as an operator reads it, from a moonless night (0.001 lx) to
 * full sun (100,000 lx): three significant digits below 100 lx, whole lux with
 * thousands separators above, never floating-point noise like
 * "0.0010000000000000002" nor a night rounded to "0.0".
 */
export function formatLux(lux: number): string {
  if (!Number.isFinite(lux)) return '—';
  const digits = Math.abs(lux) >= 100 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 3 };
  return `${lux.toLocaleString('en-US', digits)} lx`;
}

export function formatPercent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value)} %`;
}

/** An error as an operator reads it: a refused value names the thing to fix, not its schema path (shell/errors.ts). */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? operatorMessage(code, err.message) : err.message;
}
