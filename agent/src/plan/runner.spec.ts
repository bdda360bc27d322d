import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureOptions, CaptureService, PreparedCapture } from '../capture-service.js';
import { AgentClock } from '../clock/agent-clock.js';
import { Journal } from '../db/journal.js';
import { DeploymentStore } from '../profile/deployment-store.js';
import type { CaptureRequest, CaptureResponse, DeploymentBundle } from '../protocol/index.js';
import { PlanRunner } from './runner.js';

const log = pino({ level: 'silent' });

/** A plain-object camera service: records what the runner asked for; each capture takes `ms`. */
function fakeCaptures(ms: number, onCapture?: (n: number) => void) {
  const calls: { request: CaptureRequest; prepared: boolean; at: number }[] = [];
  let running = 0;
  const prepared: PreparedCapture = {
    settings: { iso: 100, shutter_speed: '1/1000', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 },
    lux: 1000,
    profile: 'p',
    profileVersion: '1.0.0',
    schedule: 's',
    testId: null,
    variant: null,
  };
  const service = {
    busy: () => running > 0,
    prepare: () => Promise.resolve(prepared),
    capture: async (request: CaptureRequest, options: CaptureOptions = {}): Promise<CaptureResponse> => {
      running++;
      const at = new Date();
      options.onExposureStart?.(at);
      calls.push({ request, prepared: options.prepared !== undefined, at: at.getTime() });
      onCapture?.(calls.length);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return { capture_id: `c${calls.length}`, captured_at: at.toISOString() } as CaptureResponse;
    },
  };
  return { service: service as unknown as CaptureService, calls };
}

function bundle(version: string, startMs: number, slots: number): DeploymentBundle {
  return {
    profile_id: 'p',
    version,
    settings: { base: {} },
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
  };
}

async function waitFor(ok: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PlanRunner', () => {
  let dir: string;
  let journal: Journal;
  let deployments: DeploymentStore;
  let runner: PlanRunner | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-runner-'));
    journal = Journal.open(join(dir, 'journal.sqlite'));
    deployments = new DeploymentStore(dir, log);
  });

  afterEach(async () => {
    await runner?.stop();
    runner = null;
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(service: CaptureService): PlanRunner {
    runner = new PlanRunner({
      clock: AgentClock.forDataDir(dir),
      captures: service,
      deployments,
      slots: journal.planSlots(),
      log,
      emit: () => undefined,
    });
    runner.start();
    return runner;
  }

  it('has no plan until one is deployed, then finishes after its last slot', async () => {
    const { service, calls } = fakeCaptures(10);
    const r = start(service);
    await waitFor(() => r.status().state === 'no_plan');
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await deployments.deploy(bundle('1.0.0', t0, 2));
    await waitFor(() => r.status().state === 'finished');
    expect(calls.map((c) => c.request)).toEqual([
      { use_deployed_profile: true, schedule_type: 's' },
      { use_deployed_profile: true, schedule_type: 's' },
    ]);
    expect(calls.every((c) => c.prepared)).toBe(true);
    expect(r.status().counts.captured).toBe(2);
  });

  it('a re-deploy during a capture neither repeats nor drops a slot', async () => {
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const redeploys: Promise<void>[] = [];
    const { service, calls } = fakeCaptures(50, (n) => {
      // Re-deploy the same window (new version) while the second slot's capture runs.
      if (n === 2) redeploys.push(deployments.deploy(bundle('1.0.1', t0, 4)));
    });
    await deployments.deploy(bundle('1.0.0', t0, 4));
    const r = start(service);
    await waitFor(() => r.status().state === 'finished');
    await Promise.all(redeploys);
    expect(redeploys).toHaveLength(1);
    const slots = journal.planSlots().list(0, 100);
    expect(slots.map((s) => Date.parse(s.planned_at) - t0)).toEqual([0, 1000, 2000, 3000]);
    expect(slots.map((s) => s.status)).toEqual(['captured', 'captured', 'captured', 'captured']);
    expect(slots.map((s) => s.profile_version)).toEqual(['1.0.0', '1.0.0', '1.0.1', '1.0.1']);
    expect(calls).toHaveLength(4);
  });

  it('journals an overrun when the previous capture is still running', async () => {
    const t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const { service, calls } = fakeCaptures(1500);
    await deployments.deploy(bundle('1.0.0', t0, 3));
    const r = start(service);
    await waitFor(() => r.status().state === 'finished');
    await waitFor(() => r.status().counts.captured === 2);
    expect(
      journal
        .planSlots()
        .list(0, 10)
        .map((s) => s.status),
    ).toEqual(['captured', 'overrun', 'captured']);
    expect(calls).toHaveLength(2);
  });
});
