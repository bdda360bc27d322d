import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import { shutterToSeconds, type CaptureRequest, type MeterResponse } from '../agents/protocol.js';
import type { AlertCenter } from '../alerts/center.js';
import type { AgentView } from '../api/contract.js';
import type { AssignmentRow, OrchestrationRepo } from '../db/orchestration-repo.js';
import { settingsEv } from '../profiles/exposure-ramp.js';
import { MemoryProfileStore, ProfileLibrary } from '../profiles/store.js';
import { AGENT_APERTURE_F, LiveRamp, RESET_MIN_GAP_MS, type LiveRampLimits } from './live-ramp.js';
import { Orchestrator } from './service.js';

const evOf = (s: { iso: number; shutter_speed: string }): number =>
  settingsEv(s.iso, shutterToSeconds(s.shutter_speed), AGENT_APERTURE_F);

/** Settings for a middle grey at `ev` (ISO 100 while the shutter allows, like the agent's meter). */
function meteredAt(ev: number): { iso: number; shutter_speed: string } {
  const t = (AGENT_APERTURE_F ** 2 * 100) / (2 ** ev * 100);
  if (t <= 1 / 30) return { iso: 100, shutter_speed: `1/${Math.round(1 / t)}` };
  return { iso: Math.min(1600, Math.round((100 * t) / (1 / 30))), shutter_speed: '1/30' };
}

const limits: LiveRampLimits = { maxStepEv: 1 / 3, isoMin: 100, isoMax: 1600, shutterMin: '1/8000', shutterMax: '20' };

describe('LiveRamp', () => {
  it('leaves the first frame and small changes alone, and limits a jump to max_step_ev', () => {
    const ramp = new LiveRamp();
    const day = meteredAt(12);
    expect(ramp.limit('a', day, limits, 0)).toEqual({ ...day, limited: false });
    ramp.record('a', day, 0);
    const near = meteredAt(11.8);
    expect(ramp.limit('a', near, limits, 10_000)).toEqual({ ...near, limited: false });
    const dark = ramp.limit('a', meteredAt(4), limits, 10_000);
    expect(dark.limited).toBe(true);
    expect(evOf(day) - evOf(dark)).toBeLessThanOrEqual(1 / 3 + 1e-9);
    expect(evOf(day) - evOf(dark)).toBeGreaterThan(0.3);
    // Each camera has its own previous frame.
    expect(ramp.limit('b', meteredAt(4), limits, 10_000).limited).toBe(false);
  });

  for (const step of [1 / 3, 1]) {
    it(`follows a sunset at one frame per 10 s with steps of at most ${step.toFixed(2)} EV and catches up`, () => {
      const ramp = new LiveRamp();
      const l = { ...limits, maxStepEv: step };
      const used: { iso: number; shutter_speed: string }[] = [];
      for (let i = 0; i < 80; i++) {
        const target = i < 5 ? 12 : 2; // the light falls 10 stops between two frames
        const s = ramp.limit('a', meteredAt(target), l, i * 10_000);
        ramp.record('a', s, i * 10_000);
        used.push(s);
      }
      for (let i = 1; i < used.length; i++)
        expect(Math.abs(evOf(used[i]!) - evOf(used[i - 1]!))).toBeLessThanOrEqual(step + 1e-9);
      expect(evOf(used.at(-1)!)).toBeCloseTo(evOf(meteredAt(2)), 1);
      // Shutter first: the held-back frames keep ISO at its base until the shutter is long (frames that reach
      // the meter keep the meter's own split).
      const night = evOf(meteredAt(2));
      for (const s of used.slice(5))
        if (s.iso > 110 && evOf(s) - night > 0.05) expect(shutterToSeconds(s.shutter_speed)).toBeGreaterThan(1);
    });
  }

  it('starts from the meter after a gap of more than 3 intervals (at least a minute)', () => {
    const ramp = new LiveRamp();
    ramp.record('a', meteredAt(12), 0);
    ramp.record('a', meteredAt(12), 30_000);
    // 3 × 30 s after the last frame: still the same sequence.
    expect(ramp.limit('a', meteredAt(2), limits, 120_000).limited).toBe(true);
    expect(ramp.limit('a', meteredAt(2), limits, 120_001)).toEqual({ ...meteredAt(2), limited: false });
    const once = new LiveRamp();
    once.record('a', meteredAt(12), 0);
    expect(once.limit('a', meteredAt(2), limits, RESET_MIN_GAP_MS).limited).toBe(true);
    expect(once.limit('a', meteredAt(2), limits, RESET_MIN_GAP_MS + 1).limited).toBe(false);
  });
});

describe('LiveRamp after a station restart', () => {
  it('resumes from the camera frames the gallery holds, asking once per camera', () => {
    const asked: string[] = [];
    const dusk = meteredAt(9);
    const ramp = new LiveRamp((agentId) => {
      asked.push(agentId);
      return agentId === 'a'
        ? [
            { ...dusk, atMs: 100_000 },
            { ...meteredAt(9.2), atMs: 90_000 },
          ]
        : [];
    });
    // 10 s after the last frame taken before the restart, the meter says 5 stops darker: one step only.
    const next = ramp.limit('a', meteredAt(4), limits, 110_000);
    expect(next.limited).toBe(true);
    expect(evOf(dusk) - evOf(next)).toBeLessThanOrEqual(1 / 3 + 1e-9);
    expect(evOf(dusk) - evOf(next)).toBeGreaterThan(0.3);
    // A camera with no history starts from its meter.
    expect(ramp.limit('b', meteredAt(4), limits, 110_000).limited).toBe(false);
    ramp.limit('a', meteredAt(4), limits, 111_000);
    expect(asked).toEqual(['a', 'b']);
  });

  it('starts from the meter when the gallery frame is old, and when the history cannot be read', () => {
    const old = new LiveRamp(() => [{ ...meteredAt(9), atMs: 0 }]);
    expect(old.limit('a', meteredAt(4), limits, RESET_MIN_GAP_MS + 1).limited).toBe(false);
    const broken = new LiveRamp(() => {
      throw new Error('database is locked');
    });
    expect(broken.limit('a', meteredAt(4), limits, 1_000).limited).toBe(false);
    const unparsable = new LiveRamp(() => [{ iso: 100, shutter_speed: 'bulb?', atMs: 0 }]);
    expect(unparsable.limit('a', meteredAt(4), limits, 1_000).limited).toBe(false);
  });

  it('never lets a seed override a frame taken in this run', () => {
    const ramp = new LiveRamp(() => [{ ...meteredAt(2), atMs: 0 }]);
    ramp.record('a', meteredAt(12), 5_000);
    const r = ramp.limit('a', meteredAt(11.9), limits, 10_000);
    expect(r.limited).toBe(false);
  });
});

describe('Orchestrator live capture (captureFleet) applies the ramp per camera', () => {
  /** Plain-object fakes: one agent whose meter follows `ev()`, an assignment to profile `smooth`. */
  async function setup(maxStepEv: number) {
    let nowMs = Date.parse('2025-06-21T03:00:00Z');
    let ev = 12;
    const sent: CaptureRequest[] = [];
    const client = {
      meter: (): Promise<MeterResponse> => {
        const m = meteredAt(ev);
        return Promise.resolve({
          lux: 2.5 * 2 ** ev,
          suggested_iso: m.iso,
          suggested_shutter: m.shutter_speed,
          ev100: ev,
          measured_at: new Date(nowMs).toISOString(),
        });
      },
      capture: (req: CaptureRequest) => {
        sent.push(req);
        return Promise.resolve({ capture_id: `c${sent.length}` });
      },
    } as unknown as AgentClient;
    const view = { id: 'a1', name: 'cam', host: '127.0.0.1', port: 1 } as AgentView;
    const assignment: AssignmentRow = {
      cameraId: 'cam',
      agentId: 'a1',
      host: '127.0.0.1',
      port: 1,
      site: null,
      profileId: 'smooth',
      schedules: [],
    };
    const profiles = new ProfileLibrary(new MemoryProfileStore());
    await profiles.save({ profile_id: 'smooth', settings: { max_step_ev: maxStepEv, iso_max: 1600 } });
    const orch = new Orchestrator({
      repo: { assignments: () => [assignment], getSetting: () => undefined } as unknown as OrchestrationRepo,
      profiles,
      fleet: { views: () => [view], view: () => view, client: () => client },
      alerts: { raise: () => undefined } as unknown as AlertCenter,
      syncAgent: () => Promise.resolve(0),
      log: pino({ level: 'silent' }),
      now: () => new Date(nowMs),
    });
    const shoot = async (): Promise<{ iso: number; shutter_speed: string }> => {
      const [r] = await orch.handlers.captureFleet({ agentIds: ['a1'] });
      expect(r?.ok).toBe(true);
      nowMs += 10_000;
      const req = sent.at(-1) as { iso: number; shutter_speed: string };
      return { iso: req.iso, shutter_speed: req.shutter_speed };
    };
    return { shoot, setEv: (v: number) => (ev = v) };
  }

  for (const step of [0.5, 1]) {
    it(`sends settings that change by at most ${step} EV between consecutive live frames`, async () => {
      const { shoot, setEv } = await setup(step);
      const used = [await shoot(), await shoot()];
      setEv(3);
      for (let i = 0; i < 30; i++) used.push(await shoot());
      for (let i = 1; i < used.length; i++)
        expect(Math.abs(evOf(used[i]!) - evOf(used[i - 1]!))).toBeLessThanOrEqual(step + 1e-9);
      // The jump was held back, and the ramp still arrives at the meter.
      expect(evOf(used[2]!)).toBeCloseTo(evOf(used[1]!) - step, 1);
      expect(evOf(used.at(-1)!)).toBeCloseTo(evOf(meteredAt(3)), 1);
    });
  }
});
