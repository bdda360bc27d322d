/**
 * The "holy grail" ramp of the deployed plan: consecutive planned frames change
 * exposure by at most the profile's `ramp.max_step_ev` (1/3 stop when absent),
 * so a timelapse across sunset or sunrise has no visible jumps.
 *
 * - The ramp follows the metered EV (the prepared capture's lux) and realises
 *   it shutter first, ISO only once the shutter is at its longest; the longest
 *   shutter is the profile's, capped so the exposure fits in the interval with
 *   the camera's measured readout-and-store time (CameraOverhead) to spare.
 * - The previous frame is the last planned frame the runner issued; after a
 *   restart, the last captured planned slot in the journal.
 * - After a long gap (more than RESET_INTERVALS intervals, and at least
 *   RESET_MIN_GAP_MS) the scene has moved on: the frame starts from the meter.
 * - A profile (or schedule override) that fixes ISO or the shutter is manual:
 *   no ramp.
 */
import type { PreparedCapture } from '../capture-service.js';
import type { Journal } from '../db/journal.js';
import type { PlanSlots } from '../db/plan-slots.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_STEP_EV,
  ev100FromLux,
  rampExposure,
  resetGapMs,
  type FrameSettings,
  type RampChoice,
  type RampLimits,
} from '../exposure.js';
import { shutterToSeconds, type DeploymentBundle } from '../protocol/index.js';

// The ramp's constants and reset rule live in the one exposure engine (shared with the station's live ramp).
export { DEFAULT_MAX_STEP_EV, RESET_INTERVALS, RESET_MIN_GAP_MS, resetGapMs } from '../exposure.js';

/** A planned frame's exposure, keyed by its planned instant. */
export interface PlannedFrame extends FrameSettings {
  plannedMs: number;
}

/** The runner prepares ~150 ms before a slot; the camera must be idle by then. */
const PREPARE_SPARE_MS = 250;

/**
 * The longest shutter (seconds) that leaves the camera time to read out and
 * store the frame, and the runner time to prepare the next, before the next
 * slot: at least 1 s spare, more when the camera has been measured slower;
 * never under half the interval.
 */
export function shutterRoom(intervalMs: number, overheadMs = 0): number {
  const spareMs = Math.max(1000, overheadMs * 1.25 + PREPARE_SPARE_MS);
  return Math.max(intervalMs - spareMs, intervalMs / 2) / 1000;
}

/**
 * What a capture costs besides its exposure (readout, download, encoding,
 * storing): the largest of the last few planned captures.
 */
export class CameraOverhead {
  private readonly recent: number[] = [];

  /** `busyMs`: exposure start to stored; `exposureMs`: the shutter time. */
  note(busyMs: number, exposureMs: number): void {
    if (!Number.isFinite(busyMs) || !Number.isFinite(exposureMs)) return;
    this.recent.push(Math.max(0, busyMs - exposureMs));
    if (this.recent.length > 20) this.recent.shift();
  }

  ms(): number {
    return this.recent.length === 0 ? 0 : Math.max(...this.recent);
  }
}

export function maxStepEv(bundle: DeploymentBundle): number {
  return bundle.settings.ramp?.max_step_ev ?? DEFAULT_MAX_STEP_EV;
}

/** The ramp's limits for a schedule, or null when the profile fixes ISO or shutter (no ramp). */
export function rampLimits(
  bundle: DeploymentBundle,
  schedule: string | null,
  intervalMs: number,
  overheadMs = 0,
): RampLimits | null {
  const base = {
    ...bundle.settings.base,
    ...(schedule ? (bundle.settings.schedule_overrides?.[schedule] ?? {}) : {}),
  };
  if (base.iso !== undefined || base.shutter_speed !== undefined) return null;
  const shutterMin = base.shutter_min ? shutterToSeconds(base.shutter_min) : DEFAULT_LIMITS.shutterMin;
  const profileMax = base.shutter_max ? shutterToSeconds(base.shutter_max) : DEFAULT_LIMITS.shutterMax;
  return {
    isoMin: base.iso_min ?? DEFAULT_LIMITS.isoMin,
    isoMax: base.iso_max ?? DEFAULT_LIMITS.isoMax,
    shutterMin,
    shutterMax: Math.max(shutterMin, Math.min(profileMax, shutterRoom(intervalMs, overheadMs))),
  };
}

export interface RampContext {
  bundle: DeploymentBundle;
  plannedMs: number;
  intervalMs: number;
  /** The camera's measured time per capture besides the exposure (CameraOverhead). */
  overheadMs?: number;
  /** The previous planned frame, or null. */
  previous: PlannedFrame | null;
}

/**
 * The prepared capture with its ISO and shutter replaced by the ramp's, plus
 * the ramp's choice (null when the frame is not ramped: manual profile, or no
 * lux reading).
 */
export function rampPrepared(
  prepared: PreparedCapture,
  ctx: RampContext,
): { prepared: PreparedCapture; ramp: RampChoice | null } {
  const limits = rampLimits(ctx.bundle, prepared.schedule, ctx.intervalMs, ctx.overheadMs ?? 0);
  if (!limits || prepared.lux === null) return { prepared, ramp: null };
  const prev = ctx.previous;
  const continues =
    prev !== null && ctx.plannedMs > prev.plannedMs && ctx.plannedMs - prev.plannedMs <= resetGapMs(ctx.intervalMs);
  const ramp = rampExposure(continues ? prev : null, ev100FromLux(prepared.lux), maxStepEv(ctx.bundle), limits);
  return {
    prepared: { ...prepared, settings: { ...prepared.settings, iso: ramp.iso, shutter_speed: ramp.shutter } },
    ramp,
  };
}

/**
 * The last planned frame captured at or after `sinceMs`, from the journal (the
 * plan slot names the capture; the capture holds its settings). Bounded: only
 * frames inside the reset gap matter.
 */
export function lastJournalledFrame(slots: PlanSlots, journal: Journal, sinceMs: number): PlannedFrame | null {
  const PAGE = 500;
  let after = sinceMs - 1;
  let last: { plannedMs: number; captureId: string } | null = null;
  for (;;) {
    const page = slots.list(after, PAGE, 'captured');
    for (const s of page) if (s.capture_id) last = { plannedMs: Date.parse(s.planned_at), captureId: s.capture_id };
    if (page.length < PAGE) break;
    after = Date.parse(page[page.length - 1]!.planned_at);
  }
  if (!last) return null;
  const record = journal.get(last.captureId);
  const { iso, shutter_speed: shutter } = record?.settings_used ?? {};
  // A capture reconciled after a crash may not know its settings: no frame to ramp from then.
  if (iso == null || shutter == null) return null;
  return { plannedMs: last.plannedMs, iso, shutter };
}
