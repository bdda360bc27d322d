import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SCHEMA_VERSION } from './db/journal.js';
import { startAgent, type AgentOptions, type RunningAgent } from './index.js';
import {
  AckResponse,
  AgentEvent,
  CaptureListResponse,
  CaptureResponse,
  DeployResponse,
  ErrorResponse,
  HealthResponse,
  MeterResponse,
  SHA256_HEADER,
  StatusResponse,
  type DeploymentBundle,
} from './protocol/index.js';

const NOON = new Date('2025-06-21T18:00:00Z'); // 12:00 MDT at the seed 002 site
const MIDNIGHT = new Date('2025-06-22T06:00:00Z'); // 00:00 MDT

const running: RunningAgent[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function agent(extra: Partial<AgentOptions> = {}): Promise<RunningAgent> {
  const dataDir = extra.dataDir ?? (await mkdtemp(join(tmpdir(), 'skystation-agent-')));
  if (!extra.dataDir) dirs.push(dataDir);
  const a = await startAgent({
    dataDir,
    host: '127.0.0.1',
    port: 0,
    name: 'test-cam',
    mdns: false,
    simTime: NOON,
    simWidth: 640,
    simHeight: 360,
    timeScale: 0.01,
    logLevel: 'silent',
    ...extra,
  });
  running.push(a);
  return a;
}

/** Every request but /health needs the admin token (issue 4). */
function auth(a: RunningAgent, headers: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${a.token}`, ...headers };
}

async function getJson(a: RunningAgent, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${a.url}${path}`, { headers: auth(a) });
  return { status: res.status, body: await res.json() };
}

async function postJson(a: RunningAgent, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${a.url}${path}`, {
    method: 'POST',
    headers: auth(a, { 'content-type': 'application/json' }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function capture(a: RunningAgent, body: unknown) {
  const r = await postJson(a, '/capture', body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return CaptureResponse.parse(r.body);
}

async function meanBrightness(path: string): Promise<number> {
  const stats = await sharp(path).stats();
  return stats.channels.slice(0, 3).reduce((s, c) => s + c.mean, 0) / 3;
}

async function totalCaptures(a: RunningAgent): Promise<number> {
  return StatusResponse.parse((await getJson(a, '/status')).body).captures.total;
}

const bundle: DeploymentBundle = {
  profile_id: 'mountain_spot_winter_2025',
  version: '1.0.0',
  settings: {
    base: { metering_mode: 1, ev_compensation: 0.7, awb_mode: 1 },
    adaptive_wb: {
      lux_table: [
        [100, 3800],
        [1000, 4500],
        [10000, 5500],
      ],
    },
    schedule_overrides: { sunset: { ev_compensation: 0.9 } },
  },
};

describe('agent HTTP API', () => {
  it('answers health, status and meter in the protocol shapes, and keeps its id across restarts', async () => {
    const a = await agent();
    const health = HealthResponse.parse((await getJson(a, '/health')).body);
    expect(health.id).toBe(a.id);
    expect(health.name).toBe('test-cam');
    const status = StatusResponse.parse((await getJson(a, '/status')).body);
    expect(status.camera.state).toBe('ready');
    expect(status.deployed_profile).toBeNull();
    expect(status.disk.total_bytes).toBeGreaterThan(0);
    expect(status.captures).toEqual({ total: 0, unsynced: 0, last_capture_at: null });
    const meter = MeterResponse.parse((await getJson(a, '/meter')).body);
    expect(meter.lux).toBeGreaterThan(50_000);
    expect(meter.suggested_iso).toBe(100);

    const id = a.id;
    await a.close();
    const again = await agent({ dataDir: a.dataDir });
    expect(again.id).toBe(id);
    const agentJson = JSON.parse(await readFile(join(a.dataDir, 'agent.json'), 'utf8')) as { id: string };
    expect(agentJson.id).toBe(id);
  });

  it('meters far less light at local midnight than at noon, and suggests a long high-ISO exposure', async () => {
    const noon = MeterResponse.parse((await getJson(await agent(), '/meter')).body);
    const night = MeterResponse.parse((await getJson(await agent({ simTime: MIDNIGHT }), '/meter')).body);
    expect(night.lux).toBeLessThan(1);
    expect(noon.lux / night.lux).toBeGreaterThan(1e5);
    expect(night.sun_altitude_deg).toBeLessThan(-18);
    expect(night.suggested_iso).toBe(1600);
    expect(night.suggested_shutter).toBe('30');
  });

  it('captures a real JPEG with explicit settings, hashed and journaled', async () => {
    const a = await agent();
    const r = await capture(a, {
      iso: 200,
      shutter_speed: '1/4000',
      exposure_compensation: 0.3,
      profile: 'f',
      schedule: 'sunset',
    });
    expect(r.settings_used).toMatchObject({ iso: 200, shutter_speed: '1/4000', exposure_compensation: 0.3 });
    expect(r.image_path).toContain(join('captures', '2025-06-21', 'sunset', 'f'));
    expect(r.image_path).toMatch(/20250621T1800\d{5}Z_test-cam_1\.jpg$/);
    const bytes = await readFile(r.image_path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
    expect(bytes.length).toBe(r.size_bytes);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([640, 360]);

    const db = new Database(join(a.dataDir, 'journal.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT capture_id, sha256, schedule, profile, synced FROM captures').get() as Record<
        string,
        unknown
      >;
      expect(row).toEqual({ capture_id: r.capture_id, sha256: r.sha256, schedule: 'sunset', profile: 'f', synced: 0 });
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('gives a darker image for a shorter shutter', async () => {
    const a = await agent();
    const bright = await capture(a, { iso: 100, shutter_speed: '1/1000' });
    const dark = await capture(a, { iso: 100, shutter_speed: '1/16000' });
    const mBright = await meanBrightness(bright.image_path);
    const mDark = await meanBrightness(dark.image_path);
    expect(mBright - mDark).toBeGreaterThan(30);
  });

  it('an auto capture at night still produces an image (stars, long exposure)', async () => {
    const a = await agent({ simTime: MIDNIGHT });
    const r = await capture(a, { auto: true });
    expect(r.settings_used).toMatchObject({ iso: 1600, shutter_speed: '30' });
    const stats = await sharp(r.image_path).stats();
    expect(stats.channels[0]!.max).toBeGreaterThan(150); // bright stars
    expect(await meanBrightness(r.image_path)).toBeLessThan(60);
  });

  it.each([
    [{ iso: 'fast', shutter_speed: '1/500' }, 'iso'],
    [{ iso: 100, shutter_speed: '1/500', flash: true }, 'flash'],
    [{ iso: 100, shutter_speed: 'quick' }, 'shutter_speed'],
    [{ use_deployed_profile: true, override: { exposure_compensation: 'lots' } }, 'override.exposure_compensation'],
  ])('rejects a malformed capture %j with 400 naming %s, and captures nothing', async (body, field) => {
    const a = await agent();
    const r = await postJson(a, '/capture', body);
    expect(r.status).toBe(400);
    const err = ErrorResponse.parse(r.body);
    expect(err.error.field).toBe(field);
    expect(err.error.message.startsWith(`${field}:`)).toBe(true);
    expect(await totalCaptures(a)).toBe(0);
  });

  it('rejects invalid JSON, oversize bodies and unknown paths without a 5xx', async () => {
    const a = await agent();
    const bad = await postJson(a, '/capture', '{nope');
    expect(bad.status).toBe(400);
    expect(ErrorResponse.parse(bad.body).error.code).toBe('invalid_json');
    const huge = await postJson(a, '/profile/deploy', { profile_id: 'x'.repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    const missing = await getJson(a, '/no/such/thing');
    expect(missing.status).toBe(404);
    ErrorResponse.parse(missing.body);
    const wrongMethod = await getJson(a, '/capture');
    expect(wrongMethod.status).toBe(405);
    expect(await totalCaptures(a)).toBe(0);
  });

  it('deploys a profile, captures with it, applies an override once, then reverts', async () => {
    const a = await agent({ simTime: new Date('2025-06-22T02:20:00Z') }); // near sunset
    const none = await postJson(a, '/capture', { use_deployed_profile: true, schedule_type: 'sunset' });
    expect(none.status).toBe(409);
    expect(ErrorResponse.parse(none.body).error.code).toBe('no_profile_deployed');

    const dep = await postJson(a, '/profile/deploy', bundle);
    expect(dep.status).toBe(200);
    expect(DeployResponse.parse(dep.body)).toMatchObject({ status: 'deployed', profile_id: bundle.profile_id });
    const onDisk = JSON.parse(await readFile(join(a.dataDir, 'deployment.json'), 'utf8')) as DeploymentBundle;
    expect(onDisk.profile_id).toBe(bundle.profile_id);

    const base = await capture(a, { use_deployed_profile: true, schedule_type: 'daytime' });
    expect(base.settings_used.exposure_compensation).toBe(0.7);
    expect(base.settings_used.ae_metering_mode).toBe(1);
    expect(base.profile).toBe(bundle.profile_id);
    const kelvin = base.settings_used.colour_temperature_k!;
    expect(kelvin).toBeGreaterThanOrEqual(3800);
    expect(kelvin).toBeLessThanOrEqual(5500);

    const sunset = await capture(a, { use_deployed_profile: true, schedule_type: 'sunset' });
    expect(sunset.settings_used.exposure_compensation).toBe(0.9);

    const test = await capture(a, {
      use_deployed_profile: true,
      schedule_type: 'sunset',
      override: { exposure_compensation: 2, colour_temperature_k: 3000 },
      test_id: 'spring_tuning_test_3',
    });
    expect(test.settings_used).toMatchObject({ exposure_compensation: 2, colour_temperature_k: 3000 });
    expect(test.test_id).toBe('spring_tuning_test_3');

    const after = await capture(a, { use_deployed_profile: true, schedule_type: 'sunset' });
    expect(after.settings_used.exposure_compensation).toBe(0.9);
    expect(after.settings_used.colour_temperature_k).not.toBe(3000);
    expect(after.test_id).toBeNull();

    // The deployment survives a restart.
    await a.close();
    const b = await agent({ dataDir: a.dataDir });
    const status = StatusResponse.parse((await getJson(b, '/status')).body);
    expect(status.deployed_profile).toEqual({ profile_id: bundle.profile_id, version: '1.0.0' });
  });

  it('lists, downloads (with Range) and acknowledges captures', async () => {
    const a = await agent();
    const shots = [];
    for (let i = 0; i < 3; i++) shots.push(await capture(a, { iso: 100, shutter_speed: '1/2000' }));

    const page1 = CaptureListResponse.parse((await getJson(a, '/captures?after=0&limit=2')).body);
    expect(page1.items.map((c) => c.seq)).toEqual([1, 2]);
    expect(page1.next_after).toBe(2);
    const page2 = CaptureListResponse.parse((await getJson(a, `/captures?after=${page1.next_after}&limit=2`)).body);
    expect(page2.items.map((c) => c.capture_id)).toEqual([shots[2]!.capture_id]);
    expect(page2.next_after).toBeNull();
    expect((await getJson(a, '/captures?limit=0')).status).toBe(400);

    const first = shots[0]!;
    const full = await fetch(`${a.url}/captures/${first.capture_id}/file`, { headers: auth(a) });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    expect(full.headers.get(SHA256_HEADER)).toBe(first.sha256);
    expect(Number(full.headers.get('content-length'))).toBe(first.size_bytes);
    const bytes = Buffer.from(await full.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);

    const part = await fetch(`${a.url}/captures/${first.capture_id}/file`, {
      headers: auth(a, { range: 'bytes=1000-' }),
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-${first.size_bytes - 1}/${first.size_bytes}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000))).toBe(true);
    const beyond = await fetch(`${a.url}/captures/${first.capture_id}/file`, {
      headers: auth(a, { range: `bytes=${first.size_bytes}-` }),
    });
    expect(beyond.status).toBe(416);
    await beyond.arrayBuffer();

    expect((await fetch(`${a.url}/captures/..%2F..%2Fagent.json/file`, { headers: auth(a) })).status).toBe(400);
    expect((await fetch(`${a.url}/captures/nope_1/file`, { headers: auth(a) })).status).toBe(404);

    const ack = await postJson(a, '/captures/ack', {
      captures: [
        { capture_id: first.capture_id, sha256: first.sha256 },
        { capture_id: shots[1]!.capture_id, sha256: '0'.repeat(64) },
        { capture_id: 'unknown_capture', sha256: first.sha256 },
      ],
    });
    expect(AckResponse.parse(ack.body)).toEqual({
      acknowledged: 1,
      unknown: [shots[1]!.capture_id, 'unknown_capture'],
    });
    const again = AckResponse.parse(
      (await postJson(a, '/captures/ack', { captures: [{ capture_id: first.capture_id, sha256: first.sha256 }] })).body,
    );
    expect(again).toEqual({ acknowledged: 1, unknown: [] });

    const unsynced = CaptureListResponse.parse((await getJson(a, '/captures?unsynced=true')).body);
    expect(unsynced.items.map((c) => c.seq)).toEqual([2, 3]);
    const status = StatusResponse.parse((await getJson(a, '/status')).body);
    expect(status.captures).toMatchObject({ total: 3, unsynced: 2 });
  });

  it('streams hello and capture.done over WS /events', async () => {
    const a = await agent();
    const ws = new WebSocket(`${a.url.replace('http', 'ws')}/events`, { headers: auth(a) });
    const events: AgentEvent[] = [];
    const gotDone = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const e = AgentEvent.parse(JSON.parse(data.toString('utf8')));
        events.push(e);
        if (e.type === 'capture.done') resolve();
      });
      ws.on('error', reject);
    });
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    await expect.poll(() => events.length).toBeGreaterThan(0);
    const r = await capture(a, { iso: 100, shutter_speed: '1/1000' });
    await gotDone;
    ws.close();
    expect(events[0]).toMatchObject({ type: 'hello', id: a.id });
    const done = events.find((e) => e.type === 'capture.done');
    expect(done?.type === 'capture.done' ? done.capture.capture_id : null).toBe(r.capture_id);
    // Before it, the exposure's start with its length (a UI counts down from it).
    const started = events.findIndex((e) => e.type === 'capture.started');
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThan(events.findIndex((e) => e.type === 'capture.done'));
    expect(events[started]).toMatchObject({
      type: 'capture.started',
      capture_id: r.capture_id,
      exposure_seconds: 0.001,
    });
  });

  it('reconciles at start: removes temp files and marks rows whose file vanished', async () => {
    const a = await agent();
    const r = await capture(a, { iso: 100, shutter_speed: '1/1000' });
    await a.close();
    await rm(r.image_path);
    const temp = join(a.dataDir, 'captures', '2025-06-21', '.tmp-abc-crash.jpg');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(temp, 'partial');
    const b = await agent({ dataDir: a.dataDir });
    const list = CaptureListResponse.parse((await getJson(b, '/captures')).body);
    expect(list.items).toEqual([]);
    await expect(readFile(temp)).rejects.toThrow();
    // A new capture gets a fresh sequence number, never reusing the missing one.
    const next = await capture(b, { iso: 100, shutter_speed: '1/1000' });
    expect(next.capture_id.endsWith('_2')).toBe(true);
  });
});
