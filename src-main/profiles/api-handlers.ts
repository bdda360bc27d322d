/**
 * Handlers of the profile editor's methods (api-types.ts): the brain spreads
 * `profileHandlers(...)` into its handler table. Settings are checked with the
 * profile library's own schema and explained in an operator's words; nothing
 * is saved while any field is wrong.
 */
import type { z } from 'zod';
import { DEFAULT_LOCATION } from '../../agent/src/sky/model.js';
import { shutterToSeconds } from '../agents/protocol.js';
import type { Location } from '../schedule/location.js';
import { parseLocalDate } from '../schedule/day.js';
import { localDateOf } from '../schedule/time.js';
import { StationError } from '../util/errors.js';
import {
  fieldLabel,
  fieldSpec,
  formatFieldValue,
  type profileMethods,
  type ProfileDiffLine,
  type ProfileEditorView,
  type ProfileFieldError,
  type RampSimulationView,
} from './api-types.js';
import { compileProfile, mergeSettings } from './compile.js';
import { DEFAULT_SETTINGS, PartialSettings, WbCurvePoints, type ProfileSettings } from './definition.js';
import { simulateRamp } from './ramp-simulation.js';
import type { ProfileLibrary } from './store.js';
import { WB_CURVES } from './wb-curves.js';

type Methods = typeof profileMethods;
type Params<M extends keyof Methods> = z.output<Methods[M]['params']>;
export type ProfileHandlers = { [M in keyof Methods]: (p: Params<M>) => Promise<Methods[M]['result']> };

/** Seed 002's camera site, where the sunset is simulated while the station has no location. */
const DEFAULT_PLACE: Location = { ...DEFAULT_LOCATION, timezone: 'America/Denver' };

export interface ProfileHandlerDeps {
  profiles: ProfileLibrary;
  /** The station's location, or null when none is set. */
  location: () => Promise<Location | null>;
  now?: () => Date;
}

type Issue = z.core.$ZodIssue;

/** One schema issue in words, prefixed by the field's label. */
function explain(issue: Issue, prefix: readonly PropertyKey[] = []): ProfileFieldError {
  const path = [...prefix, ...issue.path].map(String);
  const field = path.join('.');
  const spec = fieldSpec(field);
  const label = fieldLabel(field);
  const unit = spec?.unit && spec.unit !== 'stop' ? ` ${spec.unit}` : '';
  let words: string;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    return { field: [...path, issue.keys[0] ?? ''].join('.'), message: `${keys} is not a profile setting.` };
  } else if (spec?.kind === 'shutter') {
    words = 'write a shutter time like 1/500 or 2.5 (seconds, at most 3600)';
  } else if (issue.code === 'too_small' && typeof issue.minimum === 'number') {
    words = `must be at least ${issue.minimum}${unit}`;
  } else if (issue.code === 'too_big' && typeof issue.maximum === 'number') {
    words = `must be at most ${issue.maximum}${unit}`;
  } else if (issue.code === 'invalid_type') {
    words = issue.expected === 'number' ? 'must be a number' : `must be a ${issue.expected}`;
  } else if (issue.code === 'invalid_format' || issue.code === 'invalid_value') {
    words = spec?.choices ? `choose one of ${spec.choices.map((c) => c.label).join(', ')}` : issue.message;
  } else words = issue.message;
  return { field, message: `${label}: ${words}.` };
}

/** Every problem with a version's own settings over the inherited ones (empty when they are fine). */
export function checkSettings(own: unknown, inherited: ProfileSettings): ProfileFieldError[] {
  const errors: ProfileFieldError[] = [];
  const curve = (own as { adaptive_wb_curve?: unknown } | null)?.adaptive_wb_curve;
  if (Array.isArray(curve)) {
    // Explain the points themselves, not "no union member matched".
    const points = WbCurvePoints.safeParse(curve);
    if (!points.success) {
      for (const i of points.error.issues) {
        const at = typeof i.path[0] === 'number' ? `point ${i.path[0] + 1}: ` : '';
        errors.push({
          field: ['adaptive_wb_curve', ...i.path].join('.'),
          message: `White balance curve: ${at}${i.message}.`,
        });
      }
    }
  }
  const parsed = PartialSettings.safeParse(own);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      if (errors.length > 0 && i.path[0] === 'adaptive_wb_curve') continue;
      const e = explain(i);
      // One message per field (a shutter's pattern and its range both fail on "twenty").
      if (!errors.some((x) => x.field === e.field)) errors.push(e);
    }
    return errors;
  }
  if (errors.length > 0) return errors;
  const s = mergeSettings(inherited, parsed.data);
  const o = parsed.data;
  if (s.iso_min > s.iso_max) {
    errors.push({
      field: o.iso_max !== undefined ? 'iso_max' : 'iso_min',
      message: `ISO min (${s.iso_min}) is above ISO max (${s.iso_max}); lower ISO min or raise ISO max.`,
    });
  }
  if (shutterToSeconds(s.shutter_min) > shutterToSeconds(s.shutter_max)) {
    errors.push({
      field: o.shutter_max !== undefined ? 'shutter_max' : 'shutter_min',
      message: `Shutter min (${s.shutter_min} s) is slower than shutter max (${s.shutter_max} s); the fastest shutter comes first.`,
    });
  }
  for (const [name, ov] of Object.entries(s.schedule_overrides)) {
    const lo = ov.iso_min ?? s.iso_min;
    const hi = ov.iso_max ?? s.iso_max;
    if (lo > hi) {
      errors.push({
        field: `schedule_overrides.${name}.iso_max`,
        message: `${name}: ISO min (${lo}) is above ISO max (${hi}).`,
      });
    }
  }
  return errors;
}

export function profileHandlers(deps: ProfileHandlerDeps): ProfileHandlers {
  const { profiles } = deps;
  const now = (): Date => (deps.now ?? (() => new Date()))();

  /** The settings a version inherits: its parent's resolved ones, or the station's defaults. */
  async function inheritedOf(profileId: string, version?: string) {
    const v = await profiles.get(profileId, version);
    if (!v.extends) return { v, inherited: DEFAULT_SETTINGS, from: 'station defaults' };
    const parent = await profiles.resolve(v.extends.profile_id, v.extends.version);
    return { v, inherited: parent.settings, from: `${parent.name} ${parent.version}` };
  }

  async function requireValid(profileId: string, settings: unknown): Promise<PartialSettings> {
    const { inherited } = await inheritedOf(profileId);
    const errors = checkSettings(settings, inherited);
    if (errors.length > 0) throw new StationError('PROFILE_SETTINGS_INVALID', errors.map((e) => e.message).join(' '));
    return PartialSettings.parse(settings);
  }

  return {
    profileEditor: async (p): Promise<ProfileEditorView> => {
      const { v, inherited, from } = await inheritedOf(p.profileId, p.version);
      const resolved = await profiles.resolve(p.profileId, v.version);
      return {
        profileId: v.profile_id,
        version: v.version,
        name: resolved.name,
        description: v.description ?? null,
        extends: v.extends ? `${v.extends.profile_id}${v.extends.version ? `@${v.extends.version}` : ''}` : null,
        inheritedFrom: from,
        own: v.settings,
        inherited,
        effective: resolved.settings,
        curves: Object.fromEntries(
          Object.entries(WB_CURVES).map(([name, pts]) => [name, pts.map(([l, k]): [number, number] => [l, k])]),
        ),
      };
    },
    checkProfileSettings: async (p) => {
      const { inherited } = await inheritedOf(p.profileId);
      const errors = checkSettings(p.settings, inherited);
      return { ok: errors.length === 0, errors };
    },
    saveProfileSettings: async (p) => {
      const latest = await profiles.get(p.profileId);
      if (p.baseVersion !== undefined && p.baseVersion !== latest.version) {
        throw new StationError(
          'PROFILE_CHANGED',
          `Profile "${p.profileId}" is at ${latest.version} now, not ${p.baseVersion}: someone saved meanwhile. Reload it and make your change again.`,
        );
      }
      const settings = await requireValid(p.profileId, p.settings);
      const { version: _v, created_at: _c, note: _n, ...content } = latest;
      const saved = await profiles.save(
        { ...content, settings },
        { replace: true, ...(p.note === undefined ? {} : { note: p.note }) },
      );
      return { version: saved.version };
    },
    describeProfileDiff: async (p): Promise<ProfileDiffLine[]> => {
      const changes = await profiles.diff(p.profileId, p.from, p.to);
      return changes.map((c) => {
        const label = fieldLabel(c.field);
        const from = formatFieldValue(c.field, c.from);
        const to = formatFieldValue(c.field, c.to);
        return { field: c.field, label, from, to, text: `${label} ${from} → ${to}` };
      });
    },
    simulateProfileRamp: async (p): Promise<RampSimulationView> => {
      let snapshot;
      if (p.settings !== undefined) {
        const settings = await requireValid(p.profileId, p.settings);
        const { v, inherited } = await inheritedOf(p.profileId, p.version);
        snapshot = compileProfile({
          profile_id: v.profile_id,
          version: v.version,
          name: v.name ?? v.profile_id,
          lineage: [],
          settings: mergeSettings(inherited, settings),
        });
      } else snapshot = await profiles.compile(p.profileId, p.version);
      const station = await deps.location();
      const location = station ?? DEFAULT_PLACE;
      const date = p.date === undefined ? localDateOf(now().getTime(), location.timezone) : parseLocalDate(p.date);
      return simulateRamp({
        snapshot,
        location,
        locationSource: station ? 'station' : 'default',
        date,
        event: p.event,
        minutes: p.minutes,
        intervalSeconds: p.intervalSeconds,
        schedule: p.schedule ?? null,
      });
    },
  };
}
