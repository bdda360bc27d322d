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

/**
 * A camera clock's offset from the station's as an operator reads it: "3 s ahead", "12 min behind",
 * "168 days behind" (a Pi that booted without a real-time clock), never "-14582501 s".
 */
export function formatClockOffset(offsetMs: number): string {
  const s = Math.abs(offsetMs) / 1000;
  const way = offsetMs >= 0 ? 'ahead' : 'behind';
  if (s < 90) return `${Math.round(s)} s ${way}`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ${way}`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ${way}`;
  return `${Math.round(s / 86400)} days ${way}`;
}

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
