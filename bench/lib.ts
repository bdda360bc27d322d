/** Shared pieces of the benchmarks: result records, percentiles, the table. */
export interface BenchResult {
  id: string;
  value: number | null;
  unit: string;
  target: string;
  met: boolean | null;
  measured_at: string;
  notes: string;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function result(
  id: string,
  value: number | null,
  unit: string,
  target: { text: string; ok: (v: number) => boolean },
  notes = '',
): BenchResult {
  return {
    id,
    value: value === null ? null : Math.round(value * 1000) / 1000,
    unit,
    target: target.text,
    met: value === null || Number.isNaN(value) ? null : target.ok(value),
    measured_at: new Date().toISOString(),
    notes,
  };
}

export function notMeasured(id: string, unit: string, target: string, why: string): BenchResult {
  return { id, value: null, unit, target, met: null, measured_at: new Date().toISOString(), notes: why };
}

export function table(results: readonly BenchResult[]): string {
  const rows = [['id', 'value', 'unit', 'target', 'met', 'notes']];
  for (const r of results) {
    rows.push([
      r.id,
      r.value === null ? '—' : String(r.value),
      r.unit,
      r.target,
      r.met === null ? 'n/a' : r.met ? 'yes' : 'NO',
      r.notes,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i]!.length))));
  return rows.map((r) => r.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
