/**
 * Issue 6, capture side: POST /capture with `bracket: {evs}` takes a bracketed
 * set on a real agent process (simulated camera): one journal row per image
 * with a shared group, exposure and brightness rising with the offset. A
 * camera without bracketing (a v4l2 USB camera, through the ffmpeg stand-in
 * first on PATH) refuses with 409 and captures nothing; bad offsets are 400s
 * that capture nothing either.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureListResponse,
  CaptureResponse,
  ErrorResponse,
  shutterToSeconds,
  type CaptureRecord,
} from '../../agent/src/protocol/index.js';
import { agentHttp, expectShape, type AgentHttp } from '../contract/client.js';
import { ROOT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';

/** Mean level of an image (all channels), 0..255. */
async function meanLevel(path: string): Promise<number> {
  const { channels } = await sharp(path).stats();
  return channels.slice(0, 3).reduce((sum, c) => sum + c.mean, 0) / 3;
}

// Null only for a capture reconciled after a crash (none here): NaN would fail the checks below.
const exposureOf = (s: { iso: number | null; shutter_speed: string | null }): number =>
  shutterToSeconds(s.shutter_speed ?? 'NaN') * (s.iso ?? Number.NaN);

describe('bracketed sets on a simulated camera', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let http: AgentHttp;

  const journal = async (): Promise<CaptureRecord[]> =>
    expectShape(CaptureListResponse, (await http.get('/captures?limit=1000')).body, 'GET /captures').items;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-bracket-'));
    // Mid-afternoon in Colorado: a bright sky that the metered exposure puts mid-grey.
    agent = await startAgentProcess(dir, ['--sim-time', '2025-10-01T20:00:00Z', '--sim-resolution', '320x180']);
    http = agentHttp(agent.port, dir);
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a metered bracket of -2, 0, +2 yields 3 journalled captures in one group, each brighter than the last', async () => {
    const status = (await http.get('/status')).body as { camera: { capabilities?: string[] } };
    expect(status.camera.capabilities).toContain('bracketing');
    const r = await http.post('/capture', { auto: true, bracket: { evs: [-2, 0, 2] } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture (bracket)');
    expect(body.bracket_group).toEqual(expect.any(String));
    expect(body.captures).toHaveLength(3);
    // The seed 002 fields describe the first image of the set.
    expect(body.capture_id).toBe(body.captures![0]!.capture_id);
    expect(body.captures!.map((c) => c.bracket)).toEqual([
      { group: body.bracket_group, index: 0, count: 3, ev: -2 },
      { group: body.bracket_group, index: 1, count: 3, ev: 0 },
      { group: body.bracket_group, index: 2, count: 3, ev: 2 },
    ]);

    const rows = (await journal()).filter((c) => c.bracket?.group === body.bracket_group);
    expect(rows.map((c) => c.capture_id)).toEqual(body.captures!.map((c) => c.capture_id));
    expect(rows.map((c) => c.frame_kind)).toEqual(['light', 'light', 'light']);
    expect(new Set(rows.map((c) => c.sha256)).size).toBe(3);

    const exposures = rows.map((c) => exposureOf(c.settings_used));
    // Each step is 2 stops: 4x the exposure (within the shutter's rounding).
    expect(exposures[1]! / exposures[0]!).toBeCloseTo(4, 0);
    expect(exposures[2]! / exposures[1]!).toBeCloseTo(4, 0);
    // Shutter first: the ISO stays where the meter put it.
    expect(new Set(rows.map((c) => c.settings_used.iso)).size).toBe(1);

    const levels = await Promise.all(body.captures!.map((c) => meanLevel(c.image_path)));
    expect(levels[1]! - levels[0]!, `levels ${levels.join(', ')}`).toBeGreaterThan(15);
    expect(levels[2]! - levels[1]!, `levels ${levels.join(', ')}`).toBeGreaterThan(15);
  });

  it('explicit settings at the shutter limit move the rest of the offset to ISO', async () => {
    const r = await http.post('/capture', {
      iso: 400,
      shutter_speed: '1/500000',
      bracket: { evs: [0, -2] },
      schedule: 'hdr',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture (bracket)');
    const used = body.captures!.map((c) => c.settings_used);
    expect(used[0]).toMatchObject({ iso: 400, shutter_speed: '1/500000' });
    // The shortest shutter the wire carries is 1/999999 s: one stop there, the other from ISO.
    expect(used[1]).toMatchObject({ iso: 200, shutter_speed: '1/999999' });
    expect(body.schedule).toBe('hdr');
  });

  it('a deployed-profile capture takes a bracket too', async () => {
    const deployed = await http.post('/profile/deploy', {
      profile_id: 'hdr_test',
      version: '1.0.0',
      settings: { base: { ev_compensation: 0 } },
    });
    expect(deployed.status).toBe(200);
    const r = await http.post('/capture', {
      use_deployed_profile: true,
      schedule_type: 'sunset',
      bracket: { evs: [1, -1] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = expectShape(CaptureResponse, r.body, 'POST /capture (bracket)');
    expect(body.profile).toBe('hdr_test');
    const [a, b] = body.captures!.map((c) => exposureOf(c.settings_used));
    expect(a! / b!).toBeCloseTo(4, 0);
  });

  it('a single capture keeps seed 002’s response, without bracket fields', async () => {
    const r = await http.post('/capture', { iso: 100, shutter_speed: '1/1000' });
    const body = expectShape(CaptureResponse, r.body, 'POST /capture');
    expect(body.bracket_group).toBeUndefined();
    expect(body.captures).toBeUndefined();
    const row = (await journal()).find((c) => c.capture_id === body.capture_id);
    expect(row?.bracket ?? null).toBeNull();
    expect(row?.frame_kind).toBe('light');
  });

  it.each([
    ['one offset', { evs: [0] }],
    ['ten offsets', { evs: [-4.5, -4, -3, -2, -1, 0, 1, 2, 3, 4] }],
    ['the same offset twice', { evs: [0, 0, 2] }],
    ['an offset beyond 6 stops', { evs: [-7, 0] }],
    ['a non-number', { evs: ['-2', 0] }],
    ['an unknown field', { evs: [-1, 1], step: 1 }],
    ['no evs', {}],
  ])('refuses a bracket with %s (400) and captures nothing', async (_what, bracket) => {
    const before = (await journal()).length;
    const r = await http.post('/capture', { auto: true, bracket });
    expect(r.status).toBe(400);
    const error = expectShape(ErrorResponse, r.body, 'POST /capture').error;
    expect(error.message).toMatch(/bracket/);
    expect((await journal()).length).toBe(before);
  });
});

describe('a camera without bracketing', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-bracket-v4l2-'));
    // There is no /dev/video device here: the v4l2 driver runs `ffmpeg` from PATH, the stand-in.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(ROOT, 'tests/fixtures/bin/ffmpeg-v4l2'), join(bin, 'ffmpeg'));
    agent = await startAgentProcess(join(dir, 'data'), ['--camera', 'v4l2', '--v4l2-device', '/dev/video7'], {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      SKYSTATION_FAKE_V4L2_CONTROL: join(dir, 'control.json'),
      SKYSTATION_FAKE_V4L2_LOG: join(dir, 'runs.jsonl'),
    });
    http = agentHttp(agent.port, join(dir, 'data'));
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 409 bracketing_unsupported and captures nothing', async () => {
    const status = (await http.get('/status')).body as { camera: { driver: string; capabilities?: string[] } };
    expect(status.camera.driver).toMatch(/v4l2/);
    // /status says so up front (the station hides the bracket controls for this camera).
    expect(status.camera.capabilities).toBeDefined();
    expect(status.camera.capabilities).not.toContain('bracketing');
    const r = await http.post('/capture', { iso: 400, shutter_speed: '1/60', bracket: { evs: [-2, 0, 2] } });
    expect(r.status).toBe(409);
    const error = expectShape(ErrorResponse, r.body, 'POST /capture').error;
    expect(error.code).toBe('bracketing_unsupported');
    expect(error.message).toMatch(/cannot take bracketed sets/);
    const list = expectShape(CaptureListResponse, (await http.get('/captures')).body, 'GET /captures');
    expect(list.items).toHaveLength(0);
    // The same camera still takes single frames.
    const single = await http.post('/capture', { iso: 400, shutter_speed: '1/60' });
    expect(single.status, JSON.stringify(single.body)).toBe(200);
  });
});
