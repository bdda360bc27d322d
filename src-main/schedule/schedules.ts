/**
 * Schedule definitions (seed 002 `config.json` "schedules"). Each kind is one
 * member of a discriminated union on `type`. Optional fields carry no zod
 * default so that an imported config exports back unchanged; defaults are
 * applied when windows are computed (see windows.ts).
 */
import { z } from 'zod';

const enabled = z.boolean().optional();
const interval_seconds = z
  .number()
  .min(1, 'interval_seconds must be at least 1')
  .max(86400, 'interval_seconds must be at most 86400');
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'clock times are HH:MM (24 h), like "07:30"');

/** Sunrise or sunset window: starts `offset_minutes` from the event and lasts `duration_minutes`. */
const sunEvent = {
  enabled,
  offset_minutes: z.number().int().min(-720).max(720),
  duration_minutes: z.number().int().min(1).max(1440),
  interval_seconds,
};
export const SunriseSchedule = z.strictObject({ type: z.literal('sunrise'), ...sunEvent });
export const SunsetSchedule = z.strictObject({ type: z.literal('sunset'), ...sunEvent });

/** Between two clock times in the location's zone; end <= start crosses midnight. */
export const DaytimeSchedule = z.strictObject({
  type: z.literal('daytime'),
  enabled,
  start_time: ClockTime,
  end_time: ClockTime,
  interval_seconds,
});

export const Twilight = z.enum(['civil', 'nautical', 'astronomical']);
export type Twilight = z.infer<typeof Twilight>;
/** Sun altitude that ends each twilight. */
export const TWILIGHT_ALTITUDE_DEG: Record<Twilight, number> = { civil: -6, nautical: -12, astronomical: -18 };

const Illumination = z.number().min(0).max(1);

/** Dusk to dawn at the chosen twilight (default astronomical, -18°). */
export const NightSchedule = z.strictObject({
  type: z.literal('night'),
  enabled,
  twilight: Twilight.optional(),
  /** Dark-sky nights: leave out the time the moon is above the horizon. */
  moon_down_only: z.boolean().optional(),
  /** Only a moon brighter than this illuminated fraction (0–1) spoils the sky. */
  max_moon_illumination: Illumination.optional(),
  interval_seconds,
});

export const Period = z.enum(['morning', 'evening', 'both']);
/** Golden hour: sun between -4° and +6°. */
export const GoldenHourSchedule = z.strictObject({
  type: z.literal('golden_hour'),
  enabled,
  period: Period.optional(),
  interval_seconds,
});
/** Blue hour: sun between -6° and -4°. */
export const BlueHourSchedule = z.strictObject({
  type: z.literal('blue_hour'),
  enabled,
  period: Period.optional(),
  interval_seconds,
});
export const GOLDEN_HOUR_DEG = { low: -4, high: 6 } as const;
export const BLUE_HOUR_DEG = { low: -6, high: -4 } as const;

const Instant = z.iso.datetime({ offset: true });
/** Explicit instants, or a daily clock-time window (exactly one of the two). */
export const CustomSchedule = z
  .strictObject({
    type: z.literal('custom'),
    enabled,
    windows: z
      .array(z.strictObject({ start: Instant, end: Instant }))
      .max(1000)
      .optional(),
    start_time: ClockTime.optional(),
    end_time: ClockTime.optional(),
    interval_seconds,
  })
  .superRefine((s, ctx) => {
    const daily = s.start_time !== undefined || s.end_time !== undefined;
    if (daily === (s.windows !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['windows'],
        message: 'give either windows (explicit start/end) or start_time and end_time, not both',
      });
    }
    if (daily && (s.start_time === undefined || s.end_time === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [s.start_time === undefined ? 'start_time' : 'end_time'],
        message: 'a daily custom window needs both start_time and end_time',
      });
    }
    s.windows?.forEach((w, i) => {
      if (Date.parse(w.end) <= Date.parse(w.start))
        ctx.addIssue({ code: 'custom', path: ['windows', i, 'end'], message: 'end must be after start' });
    });
  });

/** While the moon is above the horizon, optionally only when it is bright enough. */
export const MoonSchedule = z.strictObject({
  type: z.literal('moon'),
  enabled,
  min_illumination: Illumination.optional(),
  interval_seconds,
});

export const Schedule = z.discriminatedUnion('type', [
  SunriseSchedule,
  SunsetSchedule,
  DaytimeSchedule,
  NightSchedule,
  GoldenHourSchedule,
  BlueHourSchedule,
  CustomSchedule,
  MoonSchedule,
]);
export type Schedule = z.infer<typeof Schedule>;
export type ScheduleType = Schedule['type'];
export const SCHEDULE_TYPES: readonly ScheduleType[] = [
  'sunrise',
  'sunset',
  'daytime',
  'night',
  'golden_hour',
  'blue_hour',
  'custom',
  'moon',
];

/** A schedule is on unless `enabled: false`. */
export const isEnabled = (s: Schedule): boolean => s.enabled !== false;
