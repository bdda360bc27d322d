/**
 * The "holy grail" limit for live orchestration: consecutive live frames of
 * one camera change exposure by at most the profile's max_step_ev, the same
 * rule the agent's plan runner applies to deployed plans.
 *
 * Live frames have no fixed interval, so the interval is the gap between the
 * camera's last two frames. A gap longer than RESET_INTERVALS of those (and at
 * least RESET_MIN_GAP_MS) means the scene has moved on: the next frame uses
 * the metered settings as they are.
 *
 * A restarted station has no frames in memory, so the first time it needs a
 * camera's previous frame it asks `seed` (the gallery: that camera's latest
 * light frames, whatever took them). A restart in the middle of a dusk
 * session then carries on stepping instead of jumping to the meter.
 */
import { APERTURE_F, RESET_INTERVALS, RESET_MIN_GAP_MS, settingsEv } from '../../agent/src/exposure.js';
import { shutterToSeconds } from '../agents/protocol.js';
import { rampStep, type PreviousFrame } from '../profiles/exposure-ramp.js';

/** The agent cameras' fixed aperture (the one exposure engine's); EV differences do not depend on it. */
export const AGENT_APERTURE_F = APERTURE_F;
export { RESET_INTERVALS, RESET_MIN_GAP_MS };

export interface LiveSettings {
  iso: number;
  shutter_speed: string;
}

export interface LiveRampLimits {
  maxStepEv: number;
  isoMin: number;
  isoMax: number;
  shutterMin: string;
  shutterMax: string;
}

interface LastFrame extends PreviousFrame {
  atMs: number;
  /** Gap to the frame before it, when there was one inside the reset gap. */
  intervalMs: number | null;
}

/** A frame a camera took before this station started (newest first from `seed`). */
export interface SeedFrame {
  iso: number;
  shutter_speed: string;
  atMs: number;
}

export class LiveRamp {
  private readonly last = new Map<string, LastFrame>();
  /** Cameras whose earlier frames were already looked up (once per camera and run). */
  private readonly seeded = new Set<string>();

  /** `seed`: a camera's latest frames before this run, newest first (two are enough). */
  constructor(private readonly seed?: (agentId: string) => readonly SeedFrame[]) {}

  /** The frame from before this run, as record() would have left it. */
  private fromSeed(agentId: string): void {
    if (!this.seed || this.seeded.has(agentId) || this.last.has(agentId)) return;
    this.seeded.add(agentId);
    try {
      const [newest, before] = this.seed(agentId);
      if (!newest || !Number.isFinite(newest.atMs)) return;
      const seconds = shutterToSeconds(newest.shutter_speed);
      const gap = before && Number.isFinite(before.atMs) ? newest.atMs - before.atMs : null;
      this.last.set(agentId, {
        ev: settingsEv(newest.iso, seconds),
        iso: newest.iso,
        shutter_seconds: seconds,
        shutter_speed: newest.shutter_speed,
        atMs: newest.atMs,
        // The cadence is known only when the frame before was close (its own interval is unknown).
        intervalMs: gap !== null && gap >= 0 && gap <= RESET_MIN_GAP_MS ? gap : null,
      });
    } catch {
      // No usable history (the gallery unreadable, a shutter value it cannot parse): start from the meter.
    }
  }

  private previous(agentId: string, nowMs: number): LastFrame | null {
    this.fromSeed(agentId);
    const prev = this.last.get(agentId);
    if (!prev) return null;
    const gap = nowMs - prev.atMs;
    const reset = Math.max(RESET_INTERVALS * (prev.intervalMs ?? 0), RESET_MIN_GAP_MS);
    return gap >= 0 && gap <= reset ? prev : null;
  }

  /**
   * The settings to use for this agent's next live frame: `metered` itself
   * when it is within the step of the previous frame (or there is none), else
   * the step-limited settings, shutter first, within the profile's limits and
   * the live interval.
   */
  limit(
    agentId: string,
    metered: LiveSettings,
    limits: LiveRampLimits,
    nowMs: number,
  ): LiveSettings & { limited: boolean } {
    const prev = this.previous(agentId, nowMs);
    const target = settingsEv(metered.iso, shutterToSeconds(metered.shutter_speed));
    if (!prev || Math.abs(target - prev.ev) <= limits.maxStepEv + 1e-9) return { ...metered, limited: false };
    const intervalSeconds = Math.max(nowMs - prev.atMs, prev.intervalMs ?? 0) / 1000;
    let frame;
    try {
      frame = rampStep(prev, target, {
        // Unknown cadence (a frame on demand): only the profile's longest shutter applies.
        intervalSeconds: intervalSeconds > 0 ? intervalSeconds : Number.POSITIVE_INFINITY,
        gapSeconds: Math.min(1, intervalSeconds / 2),
        maxStepEv: limits.maxStepEv,
        isoMin: limits.isoMin,
        isoMax: limits.isoMax,
        shutterMinSeconds: shutterToSeconds(limits.shutterMin),
        shutterMaxSeconds: shutterToSeconds(limits.shutterMax),
        aperture: AGENT_APERTURE_F,
      });
    } catch {
      // Limits that leave no exposure (a profile's fastest shutter above the live interval): no ramp.
      return { ...metered, limited: false };
    }
    return { iso: frame.iso, shutter_speed: frame.shutter_speed, limited: frame.limited === 'step' };
  }

  /** Remembers a frame the agent took (call after a successful capture). */
  record(agentId: string, used: LiveSettings, atMs: number): void {
    const prev = this.previous(agentId, atMs);
    const seconds = shutterToSeconds(used.shutter_speed);
    this.last.set(agentId, {
      ev: settingsEv(used.iso, seconds),
      iso: used.iso,
      shutter_seconds: seconds,
      shutter_speed: used.shutter_speed,
      atMs,
      intervalMs: prev ? atMs - prev.atMs : null,
    });
  }

  forget(agentId: string): void {
    this.last.delete(agentId);
  }
}
