/**
 * The profile editor's part of the station API (issue #17): every field of a
 * profile with its inherited value, settings checked in an operator's words,
 * a save that replaces the version's own settings (so an override can be
 * cleared), a readable field-by-field diff and the exposure ramp over a
 * simulated sunset. Pure TypeScript + zod with no Node imports: the renderer
 * imports it (and PROFILE_FIELDS, the labels both sides use) through
 * src-main/api/contract.ts.
 */
import { z } from 'zod';
import { returns } from '../api/method.js';

const ProfileId = z.string().regex(/^[a-z0-9_.-]{1,128}$/i, 'profile_id uses letters, digits, _ . and - (at most 128)');
const SemVer = z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semantic, like "1.0.0"');
/** Checked field by field in the brain (checkProfileSettings) with the profile library's schema. */
const Settings = z.record(z.string(), z.unknown());

export type FieldKind = 'number' | 'shutter' | 'choice' | 'curve' | 'toggle';
export type FieldGroup = 'exposure' | 'white_balance' | 'ramp' | 'strategies';

export interface ProfileFieldSpec {
  /** Path in the settings: "iso_max", "strategies.golden_hour". */
  readonly path: string;
  readonly label: string;
  readonly group: FieldGroup;
  readonly kind: FieldKind;
  readonly unit?: string;
  readonly help: string;
  /** For choices: value → words. */
  readonly choices?: ReadonlyArray<{ readonly value: number | string | null; readonly label: string }>;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
}

export const FIELD_GROUPS: ReadonlyArray<{ readonly id: FieldGroup; readonly label: string }> = [
  { id: 'exposure', label: 'Exposure' },
  { id: 'white_balance', label: 'White balance' },
  { id: 'ramp', label: 'Sunset and sunrise ramp' },
  { id: 'strategies', label: 'Adaptive strategies' },
];

export const CURVE_NAMES = ['conservative', 'balanced', 'warm'] as const;

/** Every field of a profile's settings, in form order (schedule overrides are edited per schedule). */
export const PROFILE_FIELDS: readonly ProfileFieldSpec[] = [
  {
    path: 'metering_mode',
    label: 'Metering',
    group: 'exposure',
    kind: 'choice',
    help: 'Which part of the frame the meter reads.',
    choices: [
      { value: 0, label: 'Centre-weighted' },
      { value: 1, label: 'Spot' },
      { value: 2, label: 'Matrix' },
      { value: 3, label: 'Custom' },
    ],
  },
  {
    path: 'ev_compensation',
    label: 'Exposure compensation',
    group: 'exposure',
    kind: 'number',
    unit: 'EV',
    min: -8,
    max: 8,
    step: 0.1,
    help: 'Brighter (+) or darker (−) than the meter, in stops.',
  },
  { path: 'iso_min', label: 'ISO min', group: 'exposure', kind: 'number', min: 25, max: 102400, step: 1, help: '' },
  {
    path: 'iso_max',
    label: 'ISO max',
    group: 'exposure',
    kind: 'number',
    min: 25,
    max: 102400,
    step: 1,
    help: 'Raised only once the shutter is at its longest.',
  },
  {
    path: 'shutter_min',
    label: 'Shutter min',
    group: 'exposure',
    kind: 'shutter',
    unit: 's',
    help: 'Fastest shutter, like 1/8000.',
  },
  {
    path: 'shutter_max',
    label: 'Shutter max',
    group: 'exposure',
    kind: 'shutter',
    unit: 's',
    help: 'Slowest shutter, like 20 (always shorter than the interval).',
  },
  {
    path: 'awb_mode',
    label: 'White balance mode',
    group: 'white_balance',
    kind: 'choice',
    help: 'Used when no curve sets the colour temperature.',
    choices: [
      { value: 0, label: 'Auto' },
      { value: 1, label: 'Daylight (seed 002)' },
      { value: 2, label: 'Tungsten (2)' },
      { value: 3, label: 'Fluorescent (3)' },
      { value: 4, label: 'Indoor (4)' },
      { value: 5, label: 'Daylight (libcamera 5)' },
      { value: 6, label: 'Cloudy (6)' },
      { value: 7, label: 'Custom (7)' },
    ],
  },
  {
    path: 'adaptive_wb_curve',
    label: 'Light → white balance curve',
    group: 'white_balance',
    kind: 'curve',
    help: 'The colour temperature the camera is set to for the light it measures.',
    choices: [
      { value: null, label: 'None (fixed white balance)' },
      { value: 'conservative', label: 'Conservative' },
      { value: 'balanced', label: 'Balanced' },
      { value: 'warm', label: 'Warm' },
    ],
  },
  {
    path: 'max_step_ev',
    label: 'Largest step between frames',
    group: 'ramp',
    kind: 'number',
    unit: 'stop',
    min: 0.05,
    max: 2,
    step: 0.05,
    help: 'Across sunset and sunrise the exposure moves by at most this much from one frame to the next.',
  },
  ...(
    [
      ['golden_hour', 'Golden hour', 'Warmer, slightly brighter around golden hour schedules.'],
      ['blue_hour', 'Blue hour', 'Keeps the blue of blue hour schedules.'],
      ['overcast', 'Overcast', 'Lifts exposure under a grey sky (needs weather).'],
      ['stormy', 'Stormy', 'Protects highlights in storms (needs weather).'],
    ] as const
  ).map(([key, label, help]): ProfileFieldSpec => ({
    path: `strategies.${key}`,
    label,
    group: 'strategies',
    kind: 'toggle',
    help,
    choices: [
      { value: 1, label: 'On' },
      { value: 0, label: 'Off' },
    ],
  })),
];

/** Fields a schedule override may set (the same names as the profile's). */
export const OVERRIDE_FIELDS: readonly string[] = [
  'metering_mode',
  'ev_compensation',
  'awb_mode',
  'iso_min',
  'iso_max',
  'shutter_min',
  'shutter_max',
];

/** The field spec of a path, including "schedule_overrides.<name>.<field>". */
export function fieldSpec(path: string): ProfileFieldSpec | undefined {
  const exact = PROFILE_FIELDS.find((f) => f.path === path);
  if (exact) return exact;
  const m = /^schedule_overrides\.([^.]+)\.([^.]+)$/.exec(path);
  const base = m ? PROFILE_FIELDS.find((f) => f.path === m[2]) : undefined;
  return base && m ? { ...base, path, label: `${m[1]}: ${base.label}` } : undefined;
}

/** A field's label in words; unknown paths read as themselves without the "settings." prefix. */
export function fieldLabel(path: string): string {
  const p = path.replace(/^settings\./, '');
  if (p === 'name') return 'Name';
  if (p === 'extends') return 'Extends';
  if (p.startsWith('extends.')) return p === 'extends.profile_id' ? 'Extends' : 'Extends version';
  return fieldSpec(p)?.label ?? p;
}

const isPoints = (v: unknown): v is Array<[number, number]> =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2);

/** A setting's value in words: "20 s", "+0.7 EV", "Matrix", "Custom curve (6 points)", "not set". */
export function formatFieldValue(path: string, value: unknown): string {
  if (value === undefined) return 'not set';
  const spec = fieldSpec(path.replace(/^settings\./, ''));
  if (spec?.kind === 'curve') {
    if (value === null) return 'None';
    if (isPoints(value)) return `Custom curve (${value.length} points)`;
  }
  if (spec?.kind === 'toggle' && typeof value === 'boolean') return value ? 'On' : 'Off';
  const choice = spec?.choices?.find((c) => c.value === value);
  if (choice) return choice.label;
  if (spec?.kind === 'shutter' && typeof value === 'string') return `${value} s`;
  if (typeof value === 'number') {
    const n = Math.round(value * 1000) / 1000;
    if (spec?.unit === 'EV') return `${n > 0 ? '+' : ''}${n} EV`;
    if (spec?.unit === 'stop') return `${n} ${n === 1 ? 'stop' : 'stops'}`;
    return String(n);
  }
  if (value === null) return 'none';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- views

export interface ProfileFieldError {
  /** Settings path ("iso_max", "adaptive_wb_curve.2.1"), or "" for the whole. */
  field: string;
  message: string;
}

export interface ProfileEditorView {
  profileId: string;
  version: string;
  name: string;
  description: string | null;
  /** "a@1.0.0" or null (inherits the station's defaults). */
  extends: string | null;
  /** Where the inherited values come from, in words: "A: Center-weighted auto 1.0.0" or "station defaults". */
  inheritedFrom: string;
  /** The fields this version sets itself. */
  own: Record<string, unknown>;
  /** Every field as it would be without this version's own values. */
  inherited: Record<string, unknown>;
  /** Every field as the cameras get it. */
  effective: Record<string, unknown>;
  /** The named curves' points, [lux, kelvin] brightest first. */
  curves: Record<string, Array<[number, number]>>;
}

export interface ProfileDiffLine {
  field: string;
  label: string;
  from: string;
  to: string;
  /** "Shutter max 20 s → 30 s". */
  text: string;
}

export interface RampFrameView {
  time: string;
  sunDeg: number;
  lux: number;
  /** What the meter asks for, EV100. */
  targetEv: number;
  /** What the camera is set to, EV100. */
  ev: number;
  iso: number;
  shutterSeconds: number;
  shutter: string;
  limited: 'none' | 'step' | 'range' | 'manual';
  /** The white-balance curve's kelvin for this light, or null without a curve. */
  kelvin: number | null;
}

export interface RampSimulationView {
  event: 'sunset' | 'sunrise';
  /** The sun's rise or set, ISO with offset. */
  eventTime: string;
  timezone: string;
  location: { latitude: number; longitude: number };
  /** "station" when the station's location was used, "default" (seed 002's site) when none is set. */
  locationSource: 'station' | 'default';
  intervalSeconds: number;
  /** The schedule whose override applied, or null for the profile's own limits. */
  schedule: string | null;
  maxStepEv: number;
  /** The largest change between consecutive frames the ramp produced, in stops. */
  largestStepEv: number;
  frames: RampFrameView[];
}

// ---------------------------------------------------------------- methods

const LocalDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'the date is a calendar day, YYYY-MM-DD');

export const profileMethods = {
  /** A version's own, inherited and effective settings, for the profile form. */
  profileEditor: {
    params: z.strictObject({ profileId: ProfileId, version: SemVer.optional() }),
    result: returns<ProfileEditorView>(),
  },
  /** Checks a version's own settings without saving: every problem, by field, in words. */
  checkProfileSettings: {
    params: z.strictObject({ profileId: ProfileId, settings: Settings }),
    result: returns<{ ok: boolean; errors: ProfileFieldError[] }>(),
  },
  /** Saves a new version whose own settings are exactly these (fields left out inherit again). */
  saveProfileSettings: {
    params: z.strictObject({
      profileId: ProfileId,
      settings: Settings,
      note: z.string().max(500).optional(),
      /** The version the edits started from: refused when someone saved a newer one meanwhile. */
      baseVersion: SemVer.optional(),
    }),
    result: returns<{ version: string }>(),
  },
  /** Field-by-field changes between two versions in words ("Shutter max 20 s → 30 s"). */
  describeProfileDiff: {
    params: z.strictObject({ profileId: ProfileId, from: SemVer, to: SemVer }),
    result: returns<ProfileDiffLine[]>(),
  },
  /**
   * The exposure ramp over a simulated sunset or sunrise at the station's place, computed by the agent's
   * own ramp (rampLimits + rampExposure) on the agent's sky model; `settings` previews unsaved own settings.
   */
  simulateProfileRamp: {
    params: z.strictObject({
      profileId: ProfileId,
      version: SemVer.optional(),
      settings: Settings.optional(),
      date: LocalDay.optional(),
      event: z.enum(['sunset', 'sunrise']).default('sunset'),
      /** Run with this schedule's override (its own ISO and shutter limits), as a window of that schedule would. */
      schedule: z
        .string()
        .regex(/^[a-z0-9_-]{1,64}$/i, 'schedule names use letters, digits, _ and -')
        .optional(),
      minutes: z
        .number()
        .int()
        .min(20, 'the simulation spans 20 to 360 minutes')
        .max(360, 'the simulation spans 20 to 360 minutes')
        .default(120),
      intervalSeconds: z
        .number()
        .int()
        .min(2, 'the interval is 2 to 600 s')
        .max(600, 'the interval is 2 to 600 s')
        .default(30),
    }),
    result: returns<RampSimulationView>(),
  },
} as const;
