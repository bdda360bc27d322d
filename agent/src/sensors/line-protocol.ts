import { z } from 'zod';

/**
 * The serial line protocol (see PROTOCOL.md): one reading per line, either
 * `T=21.5 H=45.2 L=1234.5` or a JSON object. Every line goes through the
 * same zod schema, so both forms have the same ranges.
 */

export const TEMPERATURE_RANGE_C = [-60, 85] as const;
export const HUMIDITY_RANGE_PERCENT = [0, 100] as const;
export const LUX_RANGE = [0, 200_000] as const;

export const SensorValues = z
  .object({
    temperature_c: z.number().min(TEMPERATURE_RANGE_C[0]).max(TEMPERATURE_RANGE_C[1]).optional(),
    humidity_percent: z.number().min(HUMIDITY_RANGE_PERCENT[0]).max(HUMIDITY_RANGE_PERCENT[1]).optional(),
    lux: z.number().min(LUX_RANGE[0]).max(LUX_RANGE[1]).optional(),
    probe: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .optional(),
  })
  .refine((v) => v.temperature_c !== undefined || v.humidity_percent !== undefined || v.lux !== undefined, {
    message: 'no measurement (expected at least one of temperature_c, humidity_percent, lux)',
  });
export type SensorValues = z.infer<typeof SensorValues>;

export type LineResult =
  { kind: 'reading'; values: SensorValues } | { kind: 'ignored' } | { kind: 'malformed'; reason: string };

/** Key aliases of the key=value form, case-insensitive. */
const KEY_ALIASES: Readonly<Record<string, keyof SensorValues>> = {
  t: 'temperature_c',
  temp: 'temperature_c',
  temperature_c: 'temperature_c',
  h: 'humidity_percent',
  hum: 'humidity_percent',
  humidity_percent: 'humidity_percent',
  l: 'lux',
  lux: 'lux',
  p: 'probe',
  probe: 'probe',
};

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const TOKEN = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

function validate(candidate: unknown): LineResult {
  const parsed = SensorValues.safeParse(candidate);
  if (!parsed.success) return { kind: 'malformed', reason: describeIssues(parsed.error) };
  return { kind: 'reading', values: parsed.data };
}

function parseKeyValue(text: string): LineResult {
  const candidate: Record<string, string | number> = {};
  for (const token of text.split(/[\s,;]+/)) {
    if (token === '') continue;
    const match = TOKEN.exec(token);
    if (match === null) return { kind: 'malformed', reason: `"${token}" is not key=value` };
    const key = (match[1] ?? '').toLowerCase();
    const raw = match[2] ?? '';
    const field = KEY_ALIASES[key];
    if (field === undefined) continue; // unknown keys are ignored: a sketch may send more than we use
    if (field in candidate) return { kind: 'malformed', reason: `${field} given twice` };
    if (field === 'probe') {
      candidate[field] = raw;
      continue;
    }
    if (!NUMBER.test(raw)) return { kind: 'malformed', reason: `${key}="${raw}" is not a number` };
    candidate[field] = Number(raw);
  }
  return validate(candidate);
}

function parseJson(text: string): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'invalid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'JSON line is not an object' };
  }
  return validate(value);
}

/**
 * Parses one line. Blank lines and `#` comment lines (boot banners) are
 * ignored; everything else is a reading or malformed with a reason.
 */
export function parseSensorLine(line: string): LineResult {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { kind: 'ignored' };
  if (text.startsWith('{')) return parseJson(text);
  return parseKeyValue(text);
}
