/**
 * Seed 002 (Skylapse v2 "API Contracts" and "Monitoring"): every request
 * example, replayed against a real agent process, each response checked with
 * the agent's own zod schemas and its status code. Then the error answers and
 * the sync endpoints the station relies on.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AckResponse,
  CaptureListResponse,
  CaptureResponse,
  DeployResponse,
  ErrorResponse,
  HealthResponse,
  MeterResponse,
  SHA256_HEADER,
  StatusResponse,
} from '../../agent/src/protocol/index.js';
import { ClockSetResponse, ClockStatusResponse, PlanStatusResponse } from '../../agent/src/protocol/autonomy.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { agentHttp, agentToken, expectShape, type AgentHttp } from './client.js';

/** The seed's profile snapshot, with its "..." filled in from the seed's own profile definition. */
const SEED_SNAPSHOT = {
  profile_id: 'mountain_spot_winter_2025',
  version: '1.0.0',
  settings: {
    base: { metering_mode: 1, ev_compensation: 0.7, awb_mode: 1 },
    adaptive_wb: {
      lux_table: [
        [10000, 5500],
        [8000, 5500],
        [6000, 5450],
      ],
    },
    schedule_overrides: { sunrise: { ev_compensation: 0.9 } },
  },
};

describe('seed 002 contract against a real agent', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-c002-'));
    agent = await startAgentProcess(dir, ['--sim-time', '2025-10-01T17:00:00Z', '--sim-resolution', '320x240']);
    http = agentHttp(agent.port, dir);
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /health → status ok with the agent time', async () => {
    const r = await http.get('/health');
    expect(r.status).toBe(200);
    const body = expectShape(HealthResponse, r.body, 'GET /health');
    expect(Number.isNaN(Date.parse(body.time))).toBe(false);
    // The station negotiates on these tags (not on error texts): this agent takes exposure ramps.
    expect(body.features).toContain('exposure_ramp');
  });

  it('GET /meter → {lux, suggested_iso, suggested_shutter}', async () => {
    const r = await http.get('/meter');
    expect(r.status).toBe(200);
    const body = expectShape(MeterResponse, r.body, 'GET /meter');
    expect(body.lux).toBeGreaterThan(0);
  });

  it('deployed-profile capture before any deploy → 409 no_profile_deployed', async () => {
    const r = await http.post('/capture', { use_deployed_profile: true, schedule_type: 'sunset' });
    expect(r.status).toBe(409);
    expect(expectShape(ErrorResponse, r.body, 'POST /capture').error.code).toBe('no_profile_deployed');
  });

  it('POST /capture with explicit settings (mode 1) → success with image_path', async () => {
    const r = await http.post('/capture', {
      iso: 400,
      shutter_speed: '1/500',
      exposure_compensation: 0.7,
      awb_mode: 1,
      ae_metering_mode: 1,
      profile: 'f',
      schedule: 'sunset',
    });
    expect(r.status).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture');
    expect(body.image_path).toContain('/sunset/f/');
    expect(body.settings_used).toMatchObject({ iso: 400, shutter_speed: '1/500', exposure_compensation: 0.7 });
  });

  it('POST /profile/deploy with the seed snapshot → {status: deployed, profile_id}', async () => {
    const r = await http.post('/profile/deploy', SEED_SNAPSHOT);
    expect(r.status).toBe(200);
    const body = expectShape(DeployResponse, r.body, 'POST /profile/deploy');
    expect(body.profile_id).toBe('mountain_spot_winter_2025');
  });

  it('POST /capture {use_deployed_profile, schedule_type} (mode 2) → settings_used from the profile', async () => {
    const r = await http.post('/capture', { use_deployed_profile: true, schedule_type: 'sunset' });
    expect(r.status).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture');
    expect(body.profile).toBe('mountain_spot_winter_2025');
    expect(body.settings_used.exposure_compensation).toBe(0.7);
    expect(body.settings_used.ae_metering_mode).toBe(1);
    // The lux table is interpolated on the agent: every entry is 5450–5500 K.
    expect(body.settings_used.colour_temperature_k).toBeGreaterThanOrEqual(5450);
    expect(body.settings_used.colour_temperature_k).toBeLessThanOrEqual(5500);
  });

  it('POST /capture {schedule: "sunrise"} (the mode 2 flow) → the deployed profile with the sunrise override', async () => {
    const r = await http.post('/capture', { schedule: 'sunrise' });
    expect(r.status).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture');
    expect(body.schedule).toBe('sunrise');
    expect(body.settings_used.exposure_compensation).toBe(0.9);
  });

  it('override test (mode 3) applies once with its test_id, and the next capture reverts to the profile', async () => {
    const r = await http.post('/capture', {
      use_deployed_profile: true,
      schedule_type: 'sunset',
      override: { exposure_compensation: 0.9 },
      test_id: 'spring_tuning_test_3',
    });
    expect(r.status).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture');
    expect(body.test_id).toBe('spring_tuning_test_3');
    expect(body.settings_used.exposure_compensation).toBe(0.9);
    const next = expectShape(
      CaptureResponse,
      (await http.post('/capture', { use_deployed_profile: true, schedule_type: 'sunset' })).body,
      'POST /capture',
    );
    expect(next.test_id).toBeNull();
    expect(next.settings_used.exposure_compensation).toBe(0.7);
  });

  it('GET /status → camera ready, deployed profile, disk usage', async () => {
    const r = await http.get('/status');
    expect(r.status).toBe(200);
    const body = expectShape(StatusResponse, r.body, 'GET /status');
    expect(body.camera_ready).toBe(true);
    expect(body.deployed_profile).toEqual({ profile_id: 'mountain_spot_winter_2025', version: '1.0.0' });
    expect(body.disk_usage).toBeGreaterThanOrEqual(0);
    expect(body.captures.total).toBe(5);
  });

  it('GET /plan and /clock answer with their schemas', async () => {
    const plan = await http.get('/plan');
    expect(plan.status).toBe(200);
    expect(expectShape(PlanStatusResponse, plan.body, 'GET /plan').state).toBe('no_plan');
    const clock = await http.get('/clock');
    expect(clock.status).toBe(200);
    expect(expectShape(ClockStatusResponse, clock.body, 'GET /clock').system_clock_settable).toBe(false);
    const set = await http.post('/clock', { time: new Date().toISOString(), apply: false });
    expect(set.status).toBe(200);
    expect(expectShape(ClockSetResponse, set.body, 'POST /clock').applied).toBe('none');
  });

  it.each([
    ['unknown field', { iso: 400, shutter_speed: '1/500', flash: true }, 'flash'],
    ['ISO out of range', { iso: 5, shutter_speed: '1/500' }, 'iso'],
    ['malformed shutter', { iso: 400, shutter_speed: 'fast' }, 'shutter_speed'],
    ['override with an unknown key', { use_deployed_profile: true, override: { ev: 1 } }, 'override.ev'],
  ])('POST /capture with %s → 400 naming the field', async (_what, body, field) => {
    const r = await http.post('/capture', body);
    expect(r.status).toBe(400);
    expect(expectShape(ErrorResponse, r.body, 'POST /capture').error.field).toBe(field);
  });

  it('bad JSON, bad deploy and unknown paths answer with the error shape', async () => {
    const bad = await http.request('POST', '/capture', '{"iso": ');
    expect(bad.status).toBe(400);
    expect(expectShape(ErrorResponse, bad.body, 'bad JSON').error.code).toBe('invalid_json');
    const deploy = await http.post('/profile/deploy', { ...SEED_SNAPSHOT, version: 'one' });
    expect(deploy.status).toBe(400);
    expect(expectShape(ErrorResponse, deploy.body, 'bad deploy').error.field).toBe('version');
    const missing = await http.get('/no/such/path');
    expect(missing.status).toBe(404);
    expectShape(ErrorResponse, missing.body, 'unknown path');
    const method = await http.request('DELETE', '/meter');
    expect(method.status).toBe(405);
    expectShape(ErrorResponse, method.body, 'wrong method');
  });

  it('sync: list unsynced captures, fetch a file with its sha256, acknowledge it', async () => {
    const list = await http.get('/captures?unsynced=true&limit=2');
    expect(list.status).toBe(200);
    const page = expectShape(CaptureListResponse, list.body, 'GET /captures');
    expect(page.items).toHaveLength(2);
    expect(page.next_after).toBe(page.items[1]!.seq);
    const first = page.items[0]!;
    const token = agentToken(dir);
    const file = await fetch(`${http.base}/captures/${first.capture_id}/file`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(file.headers.get(SHA256_HEADER)).toBe(first.sha256);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);
    const ack = await http.post('/captures/ack', {
      captures: [
        { capture_id: first.capture_id, sha256: first.sha256 },
        { capture_id: 'nope', sha256: '0'.repeat(64) },
      ],
    });
    expect(ack.status).toBe(200);
    expect(expectShape(AckResponse, ack.body, 'POST /captures/ack')).toEqual({ acknowledged: 1, unknown: ['nope'] });
    const after = expectShape(CaptureListResponse, (await http.get('/captures?unsynced=true')).body, 'GET /captures');
    expect(after.items.map((c) => c.capture_id)).not.toContain(first.capture_id);
  });
});
