/**
 * Seed 002 `backend/config.json`: location, schedules by name, cameras.
 * Schedule entries may omit `type` when their name is a schedule kind
 * ("sunrise", "daytime", ...), as in the seed; export leaves it out again in
 * that case, so a seed config round-trips unchanged. Unknown fields are errors
 * (a typo in a field name must not silently change a plan).
 */
import { z } from 'zod';
import { ScheduleName } from '../agents/protocol.js';
import { StationError } from '../util/errors.js';
import { Location } from './location.js';
import { Schedule, SCHEDULE_TYPES, type ScheduleType } from './schedules.js';

const ScheduleEntries = z.record(ScheduleName, z.unknown()).transform((entries, ctx) => {
  const out: Record<string, Schedule> = {};
  for (const [name, value] of Object.entries(entries)) {
    const typed =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !('type' in value) &&
      (SCHEDULE_TYPES as readonly string[]).includes(name)
        ? { type: name, ...value }
        : value;
    if (typed !== null && typeof typed === 'object' && !Array.isArray(typed) && !('type' in typed)) {
      ctx.addIssue({
        code: 'custom',
        path: [name, 'type'],
        message: `say which kind of schedule this is: one of ${SCHEDULE_TYPES.join(', ')}`,
      });
      continue;
    }
    const parsed = Schedule.safeParse(typed);
    if (parsed.success) out[name] = parsed.data;
    else
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: [name, ...issue.path], message: issue.message });
  }
  return out;
});

export const CameraConfig = z.strictObject({
  host: z.string().min(1, 'host must not be empty'),
  port: z.number().int().min(1).max(65535),
  /** A free-text site label (seed: "north_ridge"); the camera shares the station's coordinates. */
  location: z.string().min(1).optional(),
  deployed_profile: z.string().min(1).max(128).optional(),
  schedules: z.array(ScheduleName),
});
export type CameraConfig = z.infer<typeof CameraConfig>;

export const StationConfig = z
  .strictObject({
    location: Location,
    schedules: ScheduleEntries,
    cameras: z.record(z.string().min(1).max(128), CameraConfig),
  })
  .superRefine((config, ctx) => {
    for (const [id, camera] of Object.entries(config.cameras)) {
      camera.schedules.forEach((name, i) => {
        if (!(name in config.schedules)) {
          ctx.addIssue({
            code: 'custom',
            path: ['cameras', id, 'schedules', i],
            message: `schedule "${name}" is not defined under "schedules"`,
          });
        }
      });
    }
  });
export type StationConfig = z.infer<typeof StationConfig>;

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/** Validate a parsed config.json (or its text); throws StationError CONFIG_INVALID naming each bad field. */
export function importConfig(input: unknown): StationConfig {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (err) {
      throw new StationError('CONFIG_INVALID', `config.json is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const result = StationConfig.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${fieldPath(i.path) || '(top level)'}: ${i.message}`);
    throw new StationError(
      'CONFIG_INVALID',
      `config.json has ${lines.length} problem${lines.length === 1 ? '' : 's'}: ${lines.join('; ')}`,
    );
  }
  return result.data;
}

/** The config as seed 002 JSON: `type` is left out where the schedule's name says it. */
export function exportConfig(config: StationConfig): Record<string, unknown> {
  const schedules: Record<string, unknown> = {};
  for (const [name, schedule] of Object.entries(config.schedules)) {
    if (schedule.type === (name as ScheduleType)) {
      const { type: _type, ...rest } = schedule;
      schedules[name] = rest;
    } else schedules[name] = { ...schedule };
  }
  return JSON.parse(JSON.stringify({ location: config.location, schedules, cameras: config.cameras })) as Record<
    string,
    unknown
  >;
}

/** exportConfig as pretty JSON text with a trailing newline. */
export const exportConfigJson = (config: StationConfig): string => `${JSON.stringify(exportConfig(config), null, 2)}\n`;
