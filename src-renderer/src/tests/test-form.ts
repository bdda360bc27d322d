/**
 * The A/B test form's model (issue #17): each variant as fields an operator
 * fills in (exposure compensation, ISO, shutter, white balance, metering),
 * checked in words, turned into the capture override the agent takes; and an
 * override said back in words. No React here (test-form.spec.ts).
 */

export interface VariantFields {
  name: string;
  /** Exposure compensation in stops, "" for the profile's. */
  ev: string;
  iso: string;
  shutter: string;
  /** "", "0" auto, "1" daylight. */
  awb: string;
  colourK: string;
  /** "", "0" centre-weighted, "1" spot, "2" matrix. */
  metering: string;
}

export const blankVariant = (name: string, ev = ''): VariantFields => ({
  name,
  ev,
  iso: '',
  shutter: '',
  awb: '',
  colourK: '',
  metering: '',
});

export const AWB_MODES: Record<string, string> = { '0': 'auto', '1': 'daylight' };
export const METERING_MODES: Record<string, string> = { '0': 'centre-weighted', '1': 'spot', '2': 'matrix' };

export type VariantErrors = Partial<Record<keyof VariantFields, string>>;
export type Override = Record<string, number | string>;

const num = (t: string): number | null => {
  const v = t.trim().replace(',', '.');
  return /^[+-]?\d+(\.\d+)?$/.test(v) ? Number(v) : null;
};

function shutterSeconds(t: string): number | null {
  const v = t.trim();
  const frac = /^1\/(\d{1,6})$/.exec(v);
  if (frac) return Number(frac[1]) > 0 ? 1 / Number(frac[1]) : null;
  return /^\d{1,4}(\.\d{1,3})?$/.test(v) ? Number(v) : null;
}

/** Checks every variant; the overrides when all are good, else the errors per variant (same order). */
export function buildVariants(
  variants: readonly VariantFields[],
):
  | { ok: true; variants: { name: string; override: Override }[] }
  | { ok: false; errors: VariantErrors[]; general: string | null } {
  const errors: VariantErrors[] = variants.map(() => ({}));
  let general: string | null = null;
  if (variants.length < 2) general = 'Compare at least two variants (one may change nothing: the profile as it is).';
  if (variants.length > 16) general = 'At most 16 variants in one test.';
  const seen = new Set<string>();
  const out = variants.map((v, i) => {
    const e = errors[i]!;
    const name = v.name.trim();
    if (!/^[a-z0-9_.-]{1,64}$/i.test(name))
      e.name = 'Name each variant with letters, digits, "-", "_" or "." (no spaces).';
    else if (seen.has(name)) e.name = `Two variants are called "${name}"; give each its own name.`;
    seen.add(name);
    const override: Override = {};
    if (v.ev.trim() !== '') {
      const ev = num(v.ev);
      if (ev === null || ev < -8 || ev > 8) e.ev = 'Exposure compensation is in stops, from -8 to +8, like 0.7.';
      else override['exposure_compensation'] = ev;
    }
    if (v.iso.trim() !== '') {
      const iso = num(v.iso);
      if (iso === null || !Number.isInteger(iso) || iso < 25 || iso > 102_400)
        e.iso = 'ISO is a whole number from 25 to 102400, like 800.';
      else override['iso'] = iso;
    }
    if (v.shutter.trim() !== '') {
      const s = shutterSeconds(v.shutter);
      if (s === null || s <= 0 || s > 3600)
        e.shutter = 'Write the shutter time as a fraction like 1/500 or in seconds like 2.5 (at most 3600).';
      else override['shutter_speed'] = v.shutter.trim();
    }
    if (v.awb !== '') override['awb_mode'] = Number(v.awb);
    if (v.colourK.trim() !== '') {
      const k = num(v.colourK);
      if (k === null || !Number.isInteger(k) || k < 1500 || k > 15_000)
        e.colourK = 'Colour temperature is in kelvin, a whole number from 1500 to 15000, like 5200.';
      else override['colour_temperature_k'] = k;
    }
    if (v.metering !== '') override['ae_metering_mode'] = Number(v.metering);
    return { name, override };
  });
  if (general !== null || errors.some((e) => Object.keys(e).length > 0)) return { ok: false, errors, general };
  return { ok: true, variants: out };
}

const text = (v: unknown): string => (typeof v === 'number' || typeof v === 'string' ? String(v) : JSON.stringify(v));

/** "EV +0.7, ISO 800, 1/500 s" or "the profile as it is". */
export function describeOverride(o: Record<string, unknown> | null): string {
  if (!o || Object.keys(o).length === 0) return 'the profile as it is';
  const parts: string[] = [];
  const ev = o['exposure_compensation'];
  if (typeof ev === 'number') parts.push(`EV ${ev > 0 ? '+' : ''}${ev}`);
  if (o['iso'] !== undefined) parts.push(`ISO ${text(o['iso'])}`);
  if (o['shutter_speed'] !== undefined) parts.push(`${text(o['shutter_speed'])} s`);
  const awb = o['awb_mode'];
  if (awb !== undefined) parts.push(`white balance ${AWB_MODES[text(awb)] ?? `mode ${text(awb)}`}`);
  if (o['colour_temperature_k'] !== undefined) parts.push(`${text(o['colour_temperature_k'])} K`);
  const metering = o['ae_metering_mode'];
  if (metering !== undefined) parts.push(`${METERING_MODES[text(metering)] ?? `mode ${text(metering)}`} metering`);
  return parts.join(', ');
}
