/**
 * The schedule form's model (issue #17): text fields as an operator types
 * them, checked in an operator's words, turned into the station's Schedule;
 * and a schedule described back in a sentence. No React here, so it is tested
 * on its own (schedule-form.spec.ts).
 */
import type { ParamsOf } from '@contract';

export type ScheduleInput = ParamsOf<'createSchedule'>['schedule'];
export type Kind = ScheduleInput['type'];

export const KINDS: readonly { kind: Kind; label: string; hint: string }[] = [
  { kind: 'sunset', label: 'Sunset', hint: 'A window around each sunset.' },
  { kind: 'sunrise', label: 'Sunrise', hint: 'A window around each sunrise.' },
  { kind: 'night', label: 'Night', hint: 'From dusk to dawn, at the twilight you choose.' },
  { kind: 'golden_hour', label: 'Golden hour', hint: 'While the sun is between −4° and +6°.' },
  { kind: 'blue_hour', label: 'Blue hour', hint: 'While the sun is between −6° and −4°.' },
  { kind: 'daytime', label: 'Between clock times', hint: 'Every day between two times of the location.' },
  { kind: 'moon', label: 'Moon up', hint: 'While the moon is above the horizon.' },
  { kind: 'custom', label: 'Custom hours', hint: 'Every day between two times; may cross midnight.' },
];

export const kindLabel = (k: Kind): string => KINDS.find((x) => x.kind === k)?.label ?? k;

/** Every field of the form as text (what the inputs hold). */
export interface ScheduleFields {
  name: string;
  kind: Kind;
  enabled: boolean;
  interval: string;
  offset: string;
  duration: string;
  start: string;
  end: string;
  twilight: 'civil' | 'nautical' | 'astronomical';
  period: 'morning' | 'evening' | 'both';
  moonDownOnly: boolean;
  /** Percent, empty for "any moon". */
  maxMoon: string;
  /** Percent, empty for "any moon". */
  minMoon: string;
}

export const emptyFields = (kind: Kind = 'sunset'): ScheduleFields => ({
  name: '',
  kind,
  enabled: true,
  interval: '30',
  offset: '-30',
  duration: '60',
  start: kind === 'custom' ? '22:00' : '07:30',
  end: kind === 'custom' ? '02:00' : '17:45',
  twilight: 'astronomical',
  period: 'both',
  moonDownOnly: false,
  maxMoon: '',
  minMoon: '',
});

export type FieldErrors = Partial<Record<keyof ScheduleFields, string>>;

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

function wholeNumber(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return null;
  return Number(t);
}

function decimal(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (t === '' || !/^[+-]?\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

/**
 * Checks the fields and builds the schedule. `existingNames` are refused as a
 * new name (pass [] when editing). `keepWindows` carries explicit windows of a
 * custom schedule the form cannot edit.
 */
export function buildSchedule(
  f: ScheduleFields,
  existingNames: readonly string[] = [],
  keepWindows?: { start: string; end: string }[],
): { ok: true; name: string; schedule: ScheduleInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  if (name === '') errors.name = 'Give the schedule a name, like "evening".';
  else if (!/^[a-z0-9_-]{1,64}$/i.test(name))
    errors.name = 'Use only letters, digits, "-" and "_" in the name (no spaces), at most 64.';
  else if (existingNames.includes(name)) errors.name = `There is already a schedule called "${name}".`;

  const interval = wholeNumber(f.interval);
  if (interval === null) errors.interval = 'Write the time between captures as whole seconds, like 30.';
  else if (interval < 1) errors.interval = 'Captures need at least 1 second between them.';
  else if (interval > 86_400) errors.interval = 'At most one capture a day (86400 s).';

  const base = { ...(f.enabled ? {} : { enabled: false }), interval_seconds: interval ?? 0 };
  let schedule: ScheduleInput | null = null;
  switch (f.kind) {
    case 'sunrise':
    case 'sunset': {
      const offset = wholeNumber(f.offset);
      const duration = wholeNumber(f.duration);
      const event = f.kind === 'sunrise' ? 'sunrise' : 'sunset';
      if (offset === null)
        errors.offset = `Write the start as whole minutes from ${event}: -30 is half an hour before.`;
      else if (Math.abs(offset) > 720) errors.offset = `Start at most 12 hours (720 min) before or after ${event}.`;
      if (duration === null) errors.duration = 'Write how long it lasts in whole minutes, like 60.';
      else if (duration < 1 || duration > 1440) errors.duration = 'A window lasts 1 minute to 24 hours (1440 min).';
      schedule = { type: f.kind, offset_minutes: offset ?? 0, duration_minutes: duration ?? 0, ...base };
      break;
    }
    case 'daytime':
    case 'custom': {
      if (!CLOCK.test(f.start)) errors.start = 'Write the start as a 24-hour time, like 07:30.';
      if (!CLOCK.test(f.end)) errors.end = 'Write the end as a 24-hour time, like 17:45.';
      else if (f.start === f.end) errors.end = 'The end must differ from the start (use 00:00 to 23:59 for all day).';
      if (f.kind === 'custom' && keepWindows !== undefined) {
        schedule = { type: 'custom', windows: keepWindows, ...base };
        delete errors.start;
        delete errors.end;
      } else schedule = { type: f.kind, start_time: f.start, end_time: f.end, ...base };
      break;
    }
    case 'night': {
      let max: number | undefined;
      if (f.maxMoon.trim() !== '') {
        const v = decimal(f.maxMoon);
        if (v === null || v < 0 || v > 100)
          errors.maxMoon = 'Write the brightest moon allowed as a percentage from 0 to 100, or leave it empty.';
        else max = v / 100;
      }
      schedule = {
        type: 'night',
        twilight: f.twilight,
        ...(f.moonDownOnly ? { moon_down_only: true } : {}),
        ...(max !== undefined ? { max_moon_illumination: max } : {}),
        ...base,
      };
      break;
    }
    case 'golden_hour':
    case 'blue_hour':
      schedule = { type: f.kind, period: f.period, ...base };
      break;
    case 'moon': {
      let min: number | undefined;
      if (f.minMoon.trim() !== '') {
        const v = decimal(f.minMoon);
        if (v === null || v < 0 || v > 100)
          errors.minMoon = 'Write the faintest moon to capture as a percentage from 0 to 100, or leave it empty.';
        else min = v / 100;
      }
      schedule = { type: 'moon', ...(min !== undefined ? { min_illumination: min } : {}), ...base };
      break;
    }
  }
  if (Object.keys(errors).length > 0 || schedule === null) return { ok: false, errors };
  return { ok: true, name, schedule };
}

/** The form's fields for an existing schedule. */
export function fieldsOf(name: string, s: ScheduleInput): ScheduleFields {
  const f: ScheduleFields = { ...emptyFields(s.type), name, enabled: s.enabled !== false };
  f.interval = String(s.interval_seconds);
  switch (s.type) {
    case 'sunrise':
    case 'sunset':
      f.offset = String(s.offset_minutes);
      f.duration = String(s.duration_minutes);
      break;
    case 'daytime':
      f.start = s.start_time;
      f.end = s.end_time;
      break;
    case 'custom':
      f.start = s.start_time ?? f.start;
      f.end = s.end_time ?? f.end;
      break;
    case 'night':
      f.twilight = s.twilight ?? 'astronomical';
      f.moonDownOnly = s.moon_down_only === true;
      f.maxMoon = s.max_moon_illumination === undefined ? '' : String(Math.round(s.max_moon_illumination * 100));
      break;
    case 'golden_hour':
    case 'blue_hour':
      f.period = s.period ?? 'both';
      break;
    case 'moon':
      f.minMoon = s.min_illumination === undefined ? '' : String(Math.round(s.min_illumination * 100));
      break;
  }
  return f;
}

const every = (s: number): string =>
  s % 3600 === 0 ? `every ${s / 3600} h` : s % 60 === 0 && s >= 120 ? `every ${s / 60} min` : `every ${s} s`;

const minutesFrom = (offset: number, event: string): string =>
  offset === 0 ? `at ${event}` : `${Math.abs(offset)} min ${offset < 0 ? 'before' : 'after'} ${event}`;

/** "From 30 min before sunset for 60 min, every 15 s." */
export function describeSchedule(s: ScheduleInput): string {
  let what: string;
  switch (s.type) {
    case 'sunrise':
    case 'sunset':
      what = `From ${minutesFrom(s.offset_minutes, s.type)} for ${s.duration_minutes} min`;
      break;
    case 'daytime':
      what = `Every day from ${s.start_time} to ${s.end_time}`;
      break;
    case 'custom':
      what = s.windows
        ? `${s.windows.length} fixed window${s.windows.length === 1 ? '' : 's'}`
        : `Every day from ${s.start_time ?? '?'} to ${s.end_time ?? '?'}`;
      break;
    case 'night': {
      what = `Dusk to dawn (${s.twilight ?? 'astronomical'} twilight)`;
      if (s.moon_down_only) what += ', only while the moon is down';
      if (s.max_moon_illumination !== undefined)
        what += `, unless the moon is more than ${Math.round(s.max_moon_illumination * 100)} % lit`;
      break;
    }
    case 'golden_hour':
    case 'blue_hour':
      what = `${s.type === 'golden_hour' ? 'Golden' : 'Blue'} hour, ${
        (s.period ?? 'both') === 'both' ? 'morning and evening' : `${s.period ?? ''} only`
      }`;
      break;
    case 'moon':
      what =
        s.min_illumination !== undefined
          ? `While the moon is up and at least ${Math.round(s.min_illumination * 100)} % lit`
          : 'While the moon is up';
      break;
  }
  return `${what}, ${every(s.interval_seconds)}${s.enabled === false ? ' (paused)' : ''}.`;
}
