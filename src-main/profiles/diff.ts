/** Field-level differences between two plain JSON values (dotted paths). */

export interface FieldChange {
  /** Dotted path, e.g. "settings.schedule_overrides.sunrise.ev_compensation". */
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every leaf that differs, sorted by path; arrays compare as whole values. Absent fields are `undefined`. */
export function diffValues(a: unknown, b: unknown, prefix = ''): FieldChange[] {
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (isPlain(a) && b === undefined) return diffValues(a, {}, prefix);
  if (a === undefined && isPlain(b)) return diffValues({}, b, prefix);
  return [{ field: prefix, from: a, to: b }];
}
