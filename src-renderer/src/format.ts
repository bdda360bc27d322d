/** Small display helpers shared by the components. */

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

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
