/**
 * Inheritance and compilation: a stored version plus its ancestors become a
 * ResolvedProfile, which compiles into seed 002's executable snapshot
 * `{profile_id, version, settings:{base, adaptive_wb:{lux_table}, schedule_overrides}}`, plus
 * `settings.ramp.max_step_ev` (the largest exposure step between planned frames).
 */
import { ProfileSnapshot } from '../agents/protocol.js';
import type { Schedule } from '../schedule/schedules.js';
import { StationError } from '../util/errors.js';
import {
  DEFAULT_SETTINGS,
  ProfileSettings,
  type PartialSettings,
  type ProfileVersion,
  type ResolvedProfile,
  type ScheduleOverride,
  type StrategyName,
} from './definition.js';
import { applyStrategy, type BaseSettings } from './strategies.js';
import { luxTable } from './wb-curves.js';

/** Child over parent: scalars replace, schedule_overrides merge per schedule and field, strategies per rule. */
export function mergeSettings(parent: ProfileSettings, child: PartialSettings): ProfileSettings {
  const overrides: Record<string, ScheduleOverride> = { ...parent.schedule_overrides };
  for (const [name, o] of Object.entries(child.schedule_overrides ?? {}))
    overrides[name] = { ...overrides[name], ...o };
  return {
    ...parent,
    ...child,
    schedule_overrides: overrides,
    strategies: { ...parent.strategies, ...child.strategies },
  };
}

/** Finds a stored version: exact, or the latest when `version` is undefined. */
export type VersionLookup = (profileId: string, version: string | undefined) => ProfileVersion | undefined;

/** Merge a version with its ancestors (nearest wins) over DEFAULT_SETTINGS; detects cycles and missing parents. */
export function resolveProfile(version: ProfileVersion, lookup: VersionLookup): ResolvedProfile {
  const chain: ProfileVersion[] = [version];
  const seen = new Set([`${version.profile_id}@${version.version}`]);
  let cursor = version;
  while (cursor.extends) {
    const ref = cursor.extends;
    const parent = lookup(ref.profile_id, ref.version);
    if (!parent) {
      throw new StationError(
        'PROFILE_PARENT_MISSING',
        `Profile "${cursor.profile_id}" extends "${ref.profile_id}${ref.version ? `@${ref.version}` : ''}", which does not exist; save the parent first or remove "extends".`,
      );
    }
    const key = `${parent.profile_id}@${parent.version}`;
    if (seen.has(key))
      throw new StationError(
        'PROFILE_CYCLE',
        `Profile "${version.profile_id}" inherits from itself through ${key}; break the loop in "extends".`,
      );
    seen.add(key);
    chain.push(parent);
    cursor = parent;
  }
  let settings = DEFAULT_SETTINGS;
  for (const v of [...chain].reverse()) settings = mergeSettings(settings, v.settings);
  const checked = ProfileSettings.safeParse(settings);
  if (!checked.success) {
    const i = checked.error.issues[0];
    throw new StationError(
      'PROFILE_INVALID',
      `Profile "${version.profile_id}" ${version.version} has an invalid ${i?.path.join('.') ?? 'setting'}: ${i?.message ?? ''}`,
    );
  }
  return {
    profile_id: version.profile_id,
    version: version.version,
    // Its own name: a derived profile without one is called by its id, never by its parent's name.
    name: version.name ?? version.profile_id,
    lineage: chain.slice(1).map((v) => `${v.profile_id}@${v.version}`),
    settings: checked.data,
  };
}

export const baseOf = (s: ProfileSettings): BaseSettings => ({
  metering_mode: s.metering_mode,
  ev_compensation: s.ev_compensation,
  awb_mode: s.awb_mode,
  iso_min: s.iso_min,
  iso_max: s.iso_max,
  shutter_min: s.shutter_min,
  shutter_max: s.shutter_max,
});

const STRATEGY_FOR_SCHEDULE: Partial<Record<Schedule['type'], StrategyName>> = {
  golden_hour: 'golden_hour',
  blue_hour: 'blue_hour',
};

export interface CompileOptions {
  /**
   * The schedules the camera runs, by name. A golden_hour or blue_hour schedule
   * gets that strategy's adjustment as its schedule override when the profile
   * enables the rule (the profile's explicit override fields win).
   */
  readonly schedules?: Readonly<Record<string, Schedule>>;
}

/** Compile a resolved profile into the agent's ProfileSnapshot (validated with the agent's schema). */
export function compileProfile(profile: ResolvedProfile, options: CompileOptions = {}): ProfileSnapshot {
  const s = profile.settings;
  const base = baseOf(s);
  const overrides: Record<string, ScheduleOverride> = {};
  for (const [name, schedule] of Object.entries(options.schedules ?? {})) {
    const strategy = STRATEGY_FOR_SCHEDULE[schedule.type];
    if (!strategy || s.strategies[strategy] !== true) continue;
    const adjusted = applyStrategy({ ...base, ...s.schedule_overrides[name] }, strategy);
    const changed = Object.fromEntries(
      Object.entries(adjusted).filter(([k, v]) => base[k as keyof BaseSettings] !== v),
    );
    overrides[name] = changed;
  }
  for (const [name, o] of Object.entries(s.schedule_overrides)) overrides[name] = { ...overrides[name], ...o };
  const candidate = {
    profile_id: profile.profile_id,
    version: profile.version,
    settings: {
      base,
      ...(s.adaptive_wb_curve ? { adaptive_wb: { lux_table: luxTable(s.adaptive_wb_curve) } } : {}),
      ...(Object.keys(overrides).length > 0 ? { schedule_overrides: overrides } : {}),
      ramp: { max_step_ev: s.max_step_ev },
    },
  };
  const parsed = ProfileSnapshot.safeParse(candidate);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new StationError(
      'PROFILE_COMPILE_FAILED',
      `Profile "${profile.profile_id}" ${profile.version} does not compile: ${i?.path.join('.') ?? ''} ${i?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}
