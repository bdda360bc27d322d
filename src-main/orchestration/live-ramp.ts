/**
 * The "holy grail" limit for live orchestration: consecutive live frames of
 * one camera change exposure by at most the profile's max_step_ev, the same
 * rule the agent's plan runner applies to deployed plans.
 *
 * Live frames have no fixed interval, so the interval is the gap between the
 * camera's last two frames. A gap longer than RESET_INTERVALS of those (and at
 * least RESET_MIN_GAP_MS) means the scene has moved on: the next frame uses
 * the metered settings as they are. Memory only: a restarted station starts
 * every camera from its meter.
 */
import { shutterToSeconds } from '../agents/protocol.js';
import { rampStep, settingsEv, type PreviousFrame } from '../profiles/exposure-ramp.js';

/** The agent cameras' fixed aperture (agent/src/exposure.ts); EV differences do not depend on it. */
export const AGENT_APERTURE_F = 2.8;
export const RESET_INTERVALS = 3;
export const RESET_MIN_GAP_MS = 60_000;

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

export class LiveRamp {
  private readonly last = new Map<string, LastFrame>();

  private previous(agentId: string, nowMs: number): LastFrame | null {
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
    const target = settingsEv(AGENT_APERTURE_F, shutterToSeconds(metered.shutter_speed), metered.iso);
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
      ev: settingsEv(AGENT_APERTURE_F, seconds, used.iso),
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
