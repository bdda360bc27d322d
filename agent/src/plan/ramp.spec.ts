import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureOptions, CaptureService, PreparedCapture } from '../capture-service.js';
import { AgentClock } from '../clock/agent-clock.js';
import { Journal } from '../db/journal.js';
import { ev100FromLux, settingsEv } from '../exposure.js';
import { DeploymentStore } from '../profile/deployment-store.js';
import { shutterToSeconds, type CaptureResponse, type DeploymentBundle } from '../protocol/index.js';
import {
  CameraOverhead,
  lastJournalledFrame,
  rampLimits,
  rampPrepared,
  RESET_MIN_GAP_MS,
  shutterRoom,
  type PlannedFrame,
} from './ramp.js';
import { PlanRunner } from './runner.js';

const log = pino({ level: 'silent' });
const evOf = (f: { iso: number; shutter_speed: string }): number =>
  settingsEv(f.iso, shutterToSeconds(f.shutter_speed));

function bundle(over: Partial<DeploymentBundle['settings']> = {}, startMs = 0, slots = 0): DeploymentBundle {
  return {
    profile_id: 'p',
    version: '1.0.0',
    settings: { base: {}, ...over },
    ...(slots > 0
      ? {
          plan: {
            generated_at: new Date(startMs - 1000).toISOString(),
            horizon: new Date(startMs + slots * 1000).toISOString(),
            windows: [
              {
                start: new Date(startMs).toISOString(),
                end: new Date(startMs + slots * 1000).toISOString(),
                interval_seconds: 1,
                schedule: 's',
              },
            ],
          },
        }
      : {}),
  };
}

function prepared(lux: number, schedule = 's'): PreparedCapture {
  return {
    settings: { iso: 100, shutter_speed: '1/1000', exposure_compensation: 0.3, awb_mode: 1, ae_metering_mode: 0 },
    lux,
    profile: 'p',
    profileVersion: '1.0.0',
    schedule,
    testId: null,
    variant: null,
  };
}

describe('ramp limits and the previous frame', () => {
  it('caps the longest shutter so the exposure fits in the interval, and uses the schedule override', () => {
    const b = bundle({ base: { iso_max: 800, shutter_max: '20' }, schedule_overrides: { night: { iso_max: 3200 } } });
    expect(rampLimits(b, 's', 1000)).toMatchObject({ isoMin: 100, isoMax: 800, shutterMax: 0.5 });
    expect(rampLimits(b, 's', 10_000)).toMatchObject({ shutterMax: 9 });
    expect(rampLimits(b, 's', 60_000)).toMatchObject({ shutterMax: 20 });
    expect(rampLimits(b, 'night', 10_000)).toMatchObject({ isoMax: 3200 });
  });

  it('leaves the camera its measured readout-and-store time before the next slot', () => {
    expect(shutterRoom(10_000)).toBe(9);
    // A camera that needs 2 s besides the exposure (a DSLR download) gets 2.5 s + 0.25 s spare.
    expect(shutterRoom(10_000, 2000)).toBeCloseTo(7.25, 6);
    expect(shutterRoom(4000, 5000)).toBe(2); // never under half the interval
    const overhead = new CameraOverhead();
    expect(overhead.ms()).toBe(0);
    overhead.note(2600, 500);
    overhead.note(700, 500);
    overhead.note(10, 500); // a scaled simulated exposure: never negative
    expect(overhead.ms()).toBe(2100);
    for (let i = 0; i < 20; i++) overhead.note(600, 500);
    expect(overhead.ms()).toBe(100); // only the recent captures count
    const b = bundle({ base: { shutter_max: '30' } });
    expect(rampLimits(b, 's', 10_000, 2000)?.shutterMax).toBeCloseTo(7.25, 6);
  });

  it('does not ramp a profile that fixes ISO or the shutter (manual)', () => {
    const b = bundle({ base: {}, schedule_overrides: { slow: { shutter_speed: '150', iso: 800 } } });
    expect(rampLimits(b, 'slow', 1000)).toBeNull();
    const r = rampPrepared(prepared(5, 'slow'), { bundle: b, plannedMs: 1000, intervalMs: 1000, previous: null });
    expect(r.ramp).toBeNull();
    expect(r.prepared.settings.shutter_speed).toBe('1/1000');
  });

  it('limits the step from the previous frame, keeps the other settings, and honours max_step_ev', () => {
    const previous: PlannedFrame = { plannedMs: 0, iso: 100, shutter: '1/1000' };
    const prevEv = settingsEv(100, 1 / 1000);
    for (const step of [1 / 3, 1, 0.05]) {
      const b = bundle({ ramp: { max_step_ev: step } });
      const r = rampPrepared(prepared(3), { bundle: b, plannedMs: 10_000, intervalMs: 10_000, previous });
      expect(r.ramp?.limited).toBe('step');
      expect(prevEv - evOf(r.prepared.settings)).toBeLessThanOrEqual(step + 1e-9);
      expect(prevEv - evOf(r.prepared.settings)).toBeGreaterThan(step - 0.02);
      expect(r.prepared.settings).toMatchObject({ exposure_compensation: 0.3, awb_mode: 1 });
    }
    // Without the field: 1/3 stop.
    const r = rampPrepared(prepared(3), { bundle: bundle(), plannedMs: 1000, intervalMs: 1000, previous });
    expect(prevEv - evOf(r.prepared.settings)).toBeCloseTo(1 / 3, 1);
  });

  it('starts from the meter after a gap longer than 3 intervals (and at least a minute)', () => {
    const previous: PlannedFrame = { plannedMs: 0, iso: 100, shutter: '1/1000' };
    const target = ev100FromLux(3);
    const at = (plannedMs: number, intervalMs: number): number =>
      evOf(rampPrepared(prepared(3), { bundle: bundle(), plannedMs, intervalMs, previous }).prepared.settings);
    // A short outage (under a minute) continues the ramp...
    expect(at(RESET_MIN_GAP_MS, 1000)).toBeGreaterThan(target + 5);
    // ...a longer one starts over from the meter.
    expect(at(RESET_MIN_GAP_MS + 1000, 1000)).toBeCloseTo(target, 1);
    // With long intervals the limit is 3 intervals.
    expect(at(3 * 60_000, 60_000)).toBeGreaterThan(target + 5);
    expect(at(3 * 60_000 + 1, 60_000)).toBeCloseTo(target, 1);
  });
});

describe('the plan runner ramps across a restart', () => {
  let dir: string;
  let journal: Journal;
  let runner: PlanRunner | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-ramp-'));
    journal = Journal.open(join(dir, 'journal.sqlite'));
  });

  afterEach(async () => {
    await runner?.stop();
    runner = null;
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A camera service that meters `lux()` and journals what it was told to use, like the real one; each
   * capture takes `ms`. `unprepared` counts captures the runner did not prepare (and so could not ramp).
   */
  function service(
    lux: () => number,
    ms = 10,
  ): { service: CaptureService; used: { iso: number; shutter_speed: string }[]; unprepared: () => number } {
    const used: { iso: number; shutter_speed: string }[] = [];
    let running = 0;
    let unprepared = 0;
    const s = {
      busy: () => running > 0,
      prepare: () => Promise.resolve(prepared(lux())),
      capture: async (_request: unknown, options: CaptureOptions = {}): Promise<CaptureResponse> => {
        running++;
        const at = new Date();
        options.onExposureStart?.(at);
        if (!options.prepared) unprepared++;
        const settings = (options.prepared ?? prepared(lux())).settings;
        used.push(settings);
        await new Promise((r) => setTimeout(r, ms));
        const id = `c${journal.nextSeq()}`;
        journal.insert({
          capture_id: id,
          seq: journal.nextSeq(),
          file_name: `${id}.jpg`,
          captured_at: at.toISOString(),
          sha256: '0'.repeat(64),
          size_bytes: 1,
          width: 1,
          height: 1,
          settings_used: { ...settings, lux: lux() },
          profile: 'p',
          profile_version: '1.0.0',
          schedule: 's',
          test_id: null,
          variant: null,
          lux: lux(),
          temperature_c: null,
        });
        running--;
        return { capture_id: id, settings_used: settings } as CaptureResponse;
      },
    };
    return { service: s as unknown as CaptureService, used, unprepared: () => unprepared };
  }

  async function run(svc: CaptureService, b: DeploymentBundle): Promise<void> {
    const deployments = new DeploymentStore(dir, log);
    await deployments.deploy(b);
    runner = new PlanRunner({
      clock: AgentClock.forDataDir(dir),
      captures: svc,
      deployments,
      slots: journal.planSlots(),
      log,
      emit: () => undefined,
      previousFrame: (sinceMs) => lastJournalledFrame(journal.planSlots(), journal, sinceMs),
    });
    runner.start();
    const r = runner;
    const until = Date.now() + 15_000;
    while (r.status().state !== 'finished') {
      if (Date.now() > until) throw new Error('the plan did not finish');
      await new Promise((res) => setTimeout(res, 20));
    }
    await runner.stop();
    runner = null;
  }

  it('continues from the journalled frame after a restart, step by step, towards the new meter', async () => {
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    // Daylight: the first frame of a new window goes straight to the meter.
    const day = service(() => 5000);
    await run(day.service, bundle({ ramp: { max_step_ev: 0.5 } }, t0, 3));
    expect(day.used).toHaveLength(3);
    expect(evOf(day.used[0]!)).toBeCloseTo(ev100FromLux(5000), 1);
    expect(lastJournalledFrame(journal.planSlots(), journal, t0)).toMatchObject({
      plannedMs: t0 + 2000,
      iso: day.used[2]!.iso,
      shutter: day.used[2]!.shutter_speed,
    });

    // A new runner (a restarted agent) one slot later, under a much darker sky: it starts from the journal.
    const night = service(() => 3);
    await run(night.service, bundle({ ramp: { max_step_ev: 0.5 } }, t0 + 3000, 3));
    const evs = [...day.used, ...night.used].map(evOf);
    for (let i = 1; i < evs.length; i++) expect(Math.abs(evs[i]! - evs[i - 1]!)).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(evs[3]!).toBeCloseTo(evs[2]! - 0.5, 1);
    expect(evs.at(-1)!).toBeGreaterThan(ev100FromLux(3) + 5);
  });

  it('prepares and ramps a slot whose previous capture is still storing at the usual prepare time', async () => {
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    let lux = 5000;
    // Each capture takes 0.9 s of a 1 s interval: the camera is busy 150 ms before the next slot.
    const slow = service(() => lux, 900);
    const done = run(slow.service, bundle({}, t0, 4));
    await new Promise((r) => setTimeout(r, t0 - Date.now() + 500));
    lux = 3;
    await done;
    expect(slow.used).toHaveLength(4);
    expect(slow.unprepared()).toBe(0);
    const evs = slow.used.map(evOf);
    for (let i = 1; i < evs.length; i++) expect(Math.abs(evs[i]! - evs[i - 1]!)).toBeLessThanOrEqual(1 / 3 + 1e-9);
  });
});
