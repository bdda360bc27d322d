/**
 * The "holy grail" ramp in a real agent process (simulated camera and sky): a
 * deployed plan with a frame every second keeps every step between
 * consecutive frames within the profile's max_step_ev, still reaches the
 * metered exposure, and continues across a restart from the journal.
 *
 * A real sunset takes half an hour, far more than the ramp ever has to absorb
 * at one frame per second, so the test makes the transition sudden: the agent
 * is restarted (its clock continuing) at a longitude where the same instant is
 * civil dusk instead of sunset, a 7-stop fall in the meter between two frames
 * a few seconds apart. Then a re-deploy with a 1-stop limit and a restart back
 * at sunset: the way up follows the new limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev100FromLux, settingsEv } from '../../agent/src/exposure.js';
import {
  CaptureListResponse,
  DeployResponse,
  HealthResponse,
  shutterToSeconds,
  type CaptureRecord,
  type DeploymentBundle,
} from '../../agent/src/protocol/index.js';
import { DEFAULT_LOCATION, skyState } from '../../agent/src/sky/model.js';
import { agentHttp, expectShape, type AgentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

/** The simulated clock's shift from real time, the same across restarts: an evening at the seed site. */
const SIM_START = Date.parse('2025-06-21T02:00:00Z');
const SIM_OFFSET_MS = SIM_START - Date.now();
/** Shutter texts and integer ISO make EV a little coarse; the ramp itself stays within the step exactly. */
const TOLERANCE_EV = 0.02;

type Agent = RunningProcess & { port: number };

/** The longitude (evening side, sun in the west) where the simulated sky gives `lux` at `time`. */
function longitudeFor(lux: number, time: Date): number {
  let best = { lon: 0, err: Infinity };
  for (let lon = -180; lon <= 180; lon += 0.05) {
    const sky = skyState({ latitude: DEFAULT_LOCATION.latitude, longitude: lon }, time);
    if (sky.sunAzimuthDeg < 180) continue;
    const err = Math.abs(Math.log2(sky.lux / lux));
    if (err < best.err) best = { lon, err };
  }
  return Math.round(best.lon * 100) / 100;
}

function start(dir: string, longitude: number): Promise<Agent> {
  return startAgentProcess(dir, [
    '--sim-time',
    new Date(Date.now() + SIM_OFFSET_MS).toISOString(),
    '--sim-resolution',
    '64x48',
    `--latitude=${DEFAULT_LOCATION.latitude}`,
    `--longitude=${longitude}`,
  ]);
}

function bundle(version: string, maxStepEv: number, startMs: number): DeploymentBundle {
  return {
    profile_id: 'holy_grail',
    version,
    settings: {
      base: { metering_mode: 0, ev_compensation: 0, awb_mode: 0, iso_min: 100, iso_max: 3200 },
      ramp: { max_step_ev: maxStepEv },
    },
    plan: {
      generated_at: new Date(startMs - 60_000).toISOString(),
      horizon: new Date(startMs + 600_000).toISOString(),
      windows: [
        {
          start: new Date(startMs).toISOString(),
          end: new Date(startMs + 600_000).toISOString(),
          interval_seconds: 1,
          schedule: 'dusk',
        },
      ],
    },
  };
}

async function frames(http: AgentHttp): Promise<CaptureRecord[]> {
  const r = await http.get('/captures?limit=1000');
  expect(r.status).toBe(200);
  return expectShape(CaptureListResponse, r.body, 'GET /captures')
    .items.filter((c) => c.schedule === 'dusk')
    .sort((a, b) => Date.parse(a.captured_at) - Date.parse(b.captured_at));
}

// Settings are null only for a capture reconciled after a crash (none here): NaN fails every check.
const evOf = (c: CaptureRecord): number =>
  settingsEv(c.settings_used.iso ?? Number.NaN, shutterToSeconds(c.settings_used.shutter_speed ?? 'NaN'));
const meteredOf = (c: CaptureRecord): number => ev100FromLux(c.lux ?? Number.NaN);
const converged = (c: CaptureRecord | undefined): boolean => !!c && Math.abs(evOf(c) - meteredOf(c)) < 0.05;

async function agentNow(http: AgentHttp): Promise<number> {
  return Date.parse(expectShape(HealthResponse, (await http.get('/health')).body, 'GET /health').time);
}

/** The largest step between consecutive frames, checking each against `limit`. */
function checkSteps(list: readonly CaptureRecord[], limit: number): number {
  let largest = 0;
  for (let i = 1; i < list.length; i++) {
    const step = Math.abs(evOf(list[i]!) - evOf(list[i - 1]!));
    expect(step, `frames ${list[i - 1]!.capture_id} → ${list[i]!.capture_id}`).toBeLessThanOrEqual(
      limit + TOLERANCE_EV,
    );
    largest = Math.max(largest, step);
  }
  return largest;
}

describe('exposure ramp across a dusk transition (deployed plan)', () => {
  let dir: string;
  let agent: Agent | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-ramp-'));
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('limits every step to max_step_ev, survives a restart, converges, and honours a new limit', async () => {
    const simNow = new Date(Date.now() + SIM_OFFSET_MS + 30_000);
    const sunsetLon = longitudeFor(400, simNow); // sun on the horizon, EV ~7.3
    const duskLon = longitudeFor(3, simNow); // civil dusk, EV ~0.3
    expect(sunsetLon).toBeLessThan(duskLon);

    agent = await start(dir, sunsetLon);
    let http = agentHttp(agent.port, dir);
    const t0 = Math.ceil((await agentNow(http)) / 1000) * 1000 + 2000;
    // A step outside 0.05–2 stops is refused, naming the field.
    const refused = await http.post('/profile/deploy', bundle('0.9.0', 3, t0));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/max_step_ev/);
    const deploy = await http.post('/profile/deploy', bundle('1.0.0', 1 / 3, t0));
    expect(deploy.status).toBe(200);
    expectShape(DeployResponse, deploy.body, 'POST /profile/deploy');
    const before = await until(
      () => frames(http),
      (l) => l.length >= 4,
      20_000,
    );
    // A new window starts on the meter.
    expect(converged(before[0])).toBe(true);

    // Dusk falls between two frames: restart under a sky 7 stops darker.
    await agent.stop();
    agent = await start(dir, duskLon);
    http = agentHttp(agent.port, dir);
    const down = await until(
      () => frames(http),
      (l) => l.length >= before.length + 10 && converged(l.at(-1)),
      60_000,
    );
    // The meter really fell by more than 5 stops between two frames, and the ramp held the exposure back...
    const jump = down.findIndex((c, i) => i > 0 && meteredOf(down[i - 1]!) - meteredOf(c) > 5);
    expect(jump).toBeGreaterThan(0);
    expect(down.slice(jump).filter((c) => !converged(c)).length).toBeGreaterThanOrEqual(12);
    // ...the frame after the restart continued from the journalled one, and no step exceeded 1/3 stop.
    expect(checkSteps(down, 1 / 3)).toBeGreaterThan(1 / 3 - TOLERANCE_EV);
    // Shutter first: ISO rose above its base only with the shutter at its longest for a 1 s interval (0.5 s).
    for (const c of down)
      if ((c.settings_used.iso ?? 0) > 105)
        expect(shutterToSeconds(c.settings_used.shutter_speed ?? 'NaN')).toBeGreaterThan(0.49);

    // A 1-stop limit, and back to sunset: the way up takes bigger steps, never above 1 stop.
    const redeploy = await http.post('/profile/deploy', bundle('1.0.1', 1, t0));
    expect(redeploy.status).toBe(200);
    await until(
      () => frames(http),
      (l) => l.at(-1)?.profile_version === '1.0.1',
      20_000,
    );
    await agent.stop();
    agent = await start(dir, sunsetLon);
    http = agentHttp(agent.port, dir);
    const all = await until(
      () => frames(http),
      (l) => l.length >= down.length + 6 && converged(l.at(-1)) && meteredOf(l.at(-1)!) > 5,
      60_000,
    );
    const rise = all.filter((c) => c.profile_version === '1.0.1');
    expect(meteredOf(rise.at(-1)!) - meteredOf(rise[0]!)).toBeGreaterThan(5);
    const largest = checkSteps(rise, 1);
    expect(largest).toBeGreaterThan(0.9);
    // The whole sequence, both limits, never jumped more than the larger one.
    checkSteps(all, 1);
  }, 180_000);
});
