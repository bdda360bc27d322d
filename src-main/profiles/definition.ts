/**
 * Profile definitions (seed 002 "Profile Definitions"): the operator's
 * strategic intent. A stored version holds only the fields it sets; the rest
 * comes from its parent (`extends`) and finally from DEFAULT_SETTINGS.
 */
import { z } from 'zod';
import {
  AwbMode,
  ExposureCompensation,
  Iso,
  MaxStepEv,
  MeteringMode,
  ScheduleName,
  ShutterSpeed,
} from '../agents/protocol.js';

export const SemVer = z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semantic, like "1.0.0"');
export const ProfileId = z
  .string()
  .regex(/^[a-z0-9_.-]{1,128}$/i, 'profile_id uses letters, digits, _ . and - (at most 128)');

export const WbCurveName = z.enum(['conservative', 'balanced', 'warm']);
export type WbCurveName = z.infer<typeof WbCurveName>;

/** An operator's own lux → kelvin curve: 2–32 [lux, kelvin] points, within the agent's lux_table limits. */
export const WbCurvePoints = z
  .array(
    z.tuple([
      z.number().min(0, 'light is 0 lux or more').max(200_000, 'light is at most 200000 lux'),
      z
        .number()
        .int('kelvin is a whole number')
        .min(1500, 'kelvin is 1500 to 15000')
        .max(15_000, 'kelvin is 1500 to 15000'),
    ]),
  )
  .min(2, 'a curve needs at least 2 points')
  .max(32, 'a curve has at most 32 points');
/** A named curve (wb-curves.ts) or the operator's own points. */
export const WbCurve = z.union([WbCurveName, WbCurvePoints]);
export type WbCurve = z.infer<typeof WbCurve>;

export const StrategyName = z.enum(['golden_hour', 'blue_hour', 'overcast', 'stormy']);
export type StrategyName = z.infer<typeof StrategyName>;

/** Settings that one schedule may override (same names as the snapshot's base). */
export const ScheduleOverride = z.strictObject({
  metering_mode: MeteringMode.optional(),
  ev_compensation: ExposureCompensation.optional(),
  awb_mode: AwbMode.optional(),
  iso_min: Iso.optional(),
  iso_max: Iso.optional(),
  shutter_min: ShutterSpeed.optional(),
  shutter_max: ShutterSpeed.optional(),
});
export type ScheduleOverride = z.infer<typeof ScheduleOverride>;

export const ProfileSettings = z.strictObject({
  /** libcamera metering: 0 centre-weighted, 1 spot, 2 matrix. */
  metering_mode: MeteringMode,
  ev_compensation: ExposureCompensation,
  /** 0 auto, 1 daylight (seed 002). */
  awb_mode: AwbMode,
  /** Lux → kelvin curve (a name or [lux, kelvin] points) compiled into adaptive_wb.lux_table; null for a fixed WB. */
  adaptive_wb_curve: WbCurve.nullable(),
  iso_min: Iso,
  iso_max: Iso,
  /** Fastest shutter allowed, e.g. "1/8000". */
  shutter_min: ShutterSpeed,
  /** Slowest shutter allowed, e.g. "20". */
  shutter_max: ShutterSpeed,
  schedule_overrides: z.record(ScheduleName, ScheduleOverride),
  /** Seed 001 adaptive strategies this profile applies. */
  strategies: z.partialRecord(StrategyName, z.boolean()),
  /** Holy-grail ramp: largest exposure change between consecutive frames, in stops (0.05–2). */
  max_step_ev: MaxStepEv,
});
export type ProfileSettings = z.infer<typeof ProfileSettings>;

/** Only the fields a version sets itself. */
export const PartialSettings = ProfileSettings.partial();
export type PartialSettings = z.infer<typeof PartialSettings>;

/**
 * The settings of a new version: the previous version's own settings with the
 * edited fields changed. Scalars replace; schedule_overrides merge per schedule
 * and field, strategies per rule (the same rule as inheritance), so saving
 * `{iso_max: 800}` keeps every field set before.
 */
export function applyEdits(previous: PartialSettings, edits: PartialSettings): PartialSettings {
  const out: PartialSettings = { ...previous, ...edits };
  if (previous.schedule_overrides !== undefined || edits.schedule_overrides !== undefined) {
    const overrides: Record<string, ScheduleOverride> = { ...previous.schedule_overrides };
    for (const [name, o] of Object.entries(edits.schedule_overrides ?? {}))
      overrides[name] = { ...overrides[name], ...o };
    out.schedule_overrides = overrides;
  }
  if (previous.strategies !== undefined || edits.strategies !== undefined)
    out.strategies = { ...previous.strategies, ...edits.strategies };
  return out;
}

export const ProfileRef = z.strictObject({ profile_id: ProfileId, version: SemVer.optional() });
export type ProfileRef = z.infer<typeof ProfileRef>;

/** What an operator saves. */
export const ProfileDraft = z.strictObject({
  profile_id: ProfileId,
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  /** Parent profile; without a version, its latest version at resolution time. */
  extends: ProfileRef.optional(),
  settings: PartialSettings,
});
export type ProfileDraft = z.infer<typeof ProfileDraft>;

/** One immutable stored version. */
export const ProfileVersion = ProfileDraft.extend({
  version: SemVer,
  created_at: z.iso.datetime({ offset: true }),
  note: z.string().max(500).optional(),
});
export type ProfileVersion = z.infer<typeof ProfileVersion>;

/** A version with its inheritance chain merged: every setting present. */
export interface ResolvedProfile {
  readonly profile_id: string;
  readonly version: string;
  readonly name: string;
  /** Ancestors, nearest first ("f@1.0.0"). */
  readonly lineage: readonly string[];
  readonly settings: ProfileSettings;
}

export const DEFAULT_SETTINGS: ProfileSettings = {
  metering_mode: 0,
  ev_compensation: 0,
  awb_mode: 0,
  adaptive_wb_curve: null,
  iso_min: 100,
  iso_max: 1600,
  shutter_min: '1/8000',
  shutter_max: '20',
  schedule_overrides: {},
  strategies: {},
  max_step_ev: 1 / 3,
};

export function parseSemVer(v: string): [number, number, number] {
  const [a, b, c] = v.split('.').map(Number);
  return [a ?? 0, b ?? 0, c ?? 0];
}

/** Negative, zero or positive like a comparator. */
export function compareSemVer(a: string, b: string): number {
  const x = parseSemVer(a);
  const y = parseSemVer(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export type Bump = 'major' | 'minor' | 'patch';

export function bumpSemVer(v: string, bump: Bump): string {
  const [a, b, c] = parseSemVer(v);
  if (bump === 'major') return `${a + 1}.0.0`;
  if (bump === 'minor') return `${a}.${b + 1}.0`;
  return `${a}.${b}.${c + 1}`;
}
