/**
 * A profile version's own settings while the operator edits them: read, set
 * and clear one field by its dotted path ("iso_max", "strategies.golden_hour",
 * "schedule_overrides.night.iso_max"). Clearing removes the field so it is
 * inherited again, and drops objects left empty. Never mutates its input.
 */
export type Settings = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function getPath(settings: Settings, path: string): unknown {
  let cursor: unknown = settings;
  for (const key of path.split('.')) {
    if (!isObject(cursor)) return undefined;
    cursor = cursor[key];
  }
  return cursor;
}

/** True when the settings set this field themselves (even to null). */
export function hasPath(settings: Settings, path: string): boolean {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.length === 0 ? settings : getPath(settings, keys.join('.'));
  return isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last);
}

export function setPath(settings: Settings, path: string, value: unknown): Settings {
  const [key, ...rest] = path.split('.');
  if (key === undefined) return settings;
  if (rest.length === 0) return { ...settings, [key]: value };
  const child = isObject(settings[key]) ? settings[key] : {};
  return { ...settings, [key]: setPath(child, rest.join('.'), value) };
}

export function unsetPath(settings: Settings, path: string): Settings {
  const [key, ...rest] = path.split('.');
  if (key === undefined || !Object.prototype.hasOwnProperty.call(settings, key)) return settings;
  const out = { ...settings };
  if (rest.length === 0) {
    delete out[key];
    return out;
  }
  const child = settings[key];
  if (!isObject(child)) return settings;
  const next = unsetPath(child, rest.join('.'));
  if (Object.keys(next).length === 0) delete out[key];
  else out[key] = next;
  return out;
}

/**
 * What a number field holds for the text typed in it: the number when it is
 * one ("1,5" reads as 1.5), else the text itself so the brain's check can
 * say what is wrong with it. Empty text is undefined (clear the field).
 */
export function numberInput(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : t;
}

/** Stable text of settings, for comparing and as a query key. */
export function settingsKey(settings: Settings): string {
  const sort = (v: unknown): unknown =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sort(v[k])]),
        )
      : v;
  return JSON.stringify(sort(settings));
}
