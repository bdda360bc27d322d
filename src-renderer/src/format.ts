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

export function formatPercent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value)} %`;
}

/** An error as an operator reads it: a refused value names the thing to fix, not its schema path (shell/errors.ts). */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' ? operatorMessage(code, err.message) : err.message;
}
