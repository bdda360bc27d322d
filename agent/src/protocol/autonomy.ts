/**
 * Wire contract of the agent's autonomy: the deployed plan runner (GET /plan,
 * GET /plan/slots) and the clock the station corrects (POST /clock).
 */
import { z } from 'zod';

// ---------------------------------------------------------------- POST /clock

export const ClockSetRequest = z.strictObject({
  /** The station's time when it sent the request. */
  time: z.iso.datetime({ offset: true }),
  /** false: only compare and warn, do not change the agent's clock. Default true. */
  apply: z.boolean().optional(),
});
export type ClockSetRequest = z.infer<typeof ClockSetRequest>;

export const ClockSetResponse = z.object({
  status: z.literal('ok'),
  /** The agent's time after the change. */
  time: z.string(),
  /** Station time minus agent time before the change, in ms. */
  delta_ms: z.number(),
  /** The offset now applied on top of the system clock, in ms. */
  offset_ms: z.number(),
  applied: z.enum(['offset', 'system_clock', 'none']),
});
export type ClockSetResponse = z.infer<typeof ClockSetResponse>;

export const ClockStatusResponse = z.object({
  time: z.string(),
  offset_ms: z.number(),
  offset_set_at: z.string().nullable(),
  system_clock_settable: z.boolean(),
});
export type ClockStatusResponse = z.infer<typeof ClockStatusResponse>;

/** A station-reported difference above this raises a `clock_offset` warning event. */
export const CLOCK_WARN_MS = 2000;

// ---------------------------------------------------------------- plan runner

export const PlanSlotStatus = z.enum([
  /** Reserved moments before its time; becomes started, or missed after a crash. */
  'claimed',
  'started',
  'captured',
  'failed',
  /** The previous capture was still running at this slot's time. */
  'overrun',
  /** Its time passed while the agent was down (or far too late to start). */
  'missed',
  /** The agent stopped during this capture. */
  'interrupted',
]);
export type PlanSlotStatus = z.infer<typeof PlanSlotStatus>;

export const PlanSlot = z.object({
  planned_at: z.string(),
  window_start: z.string(),
  slot_index: z.number().int().nonnegative(),
  schedule: z.string(),
  profile_version: z.string().nullable(),
  status: PlanSlotStatus,
  started_at: z.string().nullable(),
  /** started_at − planned_at in ms, measured with the monotonic clock (sub-millisecond). */
  start_error_ms: z.number().nullable(),
  capture_id: z.string().nullable(),
  error: z.string().nullable(),
});
export type PlanSlot = z.infer<typeof PlanSlot>;

export const PlanSlotsQuery = z.strictObject({
  /** Only slots planned after this instant. */
  after: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  status: PlanSlotStatus.optional(),
});

export const PlanSlotsResponse = z.object({ items: z.array(PlanSlot) });
export type PlanSlotsResponse = z.infer<typeof PlanSlotsResponse>;

export const PlanCounts = z.object({
  captured: z.number().int(),
  failed: z.number().int(),
  overrun: z.number().int(),
  missed: z.number().int(),
  interrupted: z.number().int(),
});
export type PlanCounts = z.infer<typeof PlanCounts>;

export const PlanStatusResponse = z.object({
  state: z.enum(['no_plan', 'waiting', 'capturing', 'finished', 'stopped']),
  profile_id: z.string().nullable(),
  version: z.string().nullable(),
  windows: z.number().int(),
  next_slot: z.object({ planned_at: z.string(), schedule: z.string() }).nullable(),
  counts: PlanCounts,
  time: z.string(),
});
export type PlanStatusResponse = z.infer<typeof PlanStatusResponse>;
