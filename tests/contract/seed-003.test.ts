/**
 * Seed 003 (CinePi dashboard): the requests of its integration and end-to-end
 * tests, replayed with the same paths and bodies against a real agent process,
 * each answer checked with a zod schema and its status code; then the rest of
 * the dashboard's integration points (snapshot, captures, delete, config with
 * backups, logs) and a timelapse session surviving a restart.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CinePiBackupCreated,
  CinePiBackupList,
  CinePiCameraStatus,
  CinePiCaptureList,
  CinePiConfigResponse,
  CinePiConfigUpdateResponse,
  CinePiError,
  CinePiLogs,
  CinePiOk,
  CinePiRestoreResponse,
  CinePiSettingsResponse,
  CinePiSettingsUpdateResponse,
  SnapshotResponse,
  TimelapseStartResponse,
  TimelapseStatusResponse,
} from '../../agent/src/protocol/cinepi.js';
import { CaptureListResponse } from '../../agent/src/protocol/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { agentHttp, expectShape, type AgentHttp } from './client.js';

type Agent = RunningProcess & { port: number };
const ARGS = ['--sim-time', '2025-10-01T17:00:00Z', '--sim-resolution', '160x120'];

describe('seed 003 (CinePi dashboard) contract against a real agent', () => {
  let dir: string;
  let agent: Agent;
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-c003-'));
    agent = await startAgentProcess(dir, ARGS);
    http = agentHttp(agent.port, dir);
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('test_full_capture_workflow: start {interval: 30}, status active, stop', async () => {
    const start = await http.post('/api/capture/start', { interval: 30 });
    expect(start.status).toBe(200);
    const started = expectShape(TimelapseStartResponse, start.body, 'POST /api/capture/start');
    expect(started.success).toBe(true);
    expect(started.message).toBe('Session started with 30s interval');

    const status = await http.get('/api/capture/status');
    expect(status.status).toBe(200);
    expect(expectShape(TimelapseStatusResponse, status.body, 'GET /api/capture/status').status).toBe('active');
    // The first frame is taken at once, the next one 30 s after the session's start.
    const start30 = Date.parse(started.session.start_time) + 30_000;
    await until(
      async () => expectShape(TimelapseStatusResponse, (await http.get('/api/capture/status')).body, 'status'),
      (s) => s.session?.captures === 1 && Date.parse(s.session.next_capture_at ?? '') === start30,
    );

    const again = await http.post('/api/capture/start', { interval: 30 });
    expect(again.status).toBe(409);
    expect(expectShape(CinePiError, again.body, 'second start').code).toBe('session_active');

    const stop = await http.post('/api/capture/stop');
    expect(stop.status).toBe(200);
    expect(expectShape(CinePiOk, stop.body, 'POST /api/capture/stop').success).toBe(true);
    const after = expectShape(TimelapseStatusResponse, (await http.get('/api/capture/status')).body, 'status');
    expect(after.status).toBe('inactive');
    expect(after.session?.stop_reason).toBe('stopped by request');
  });

  it.each([[0], [3601], ['30'], [1.5]])(
    'start with interval %j → 400 in the dashboard error shape',
    async (interval) => {
      const r = await http.post('/api/capture/start', { interval });
      expect(r.status).toBe(400);
      expect(expectShape(CinePiError, r.body, 'bad interval').success).toBe(false);
    },
  );

  it('stop with no session → 409 no_active_session', async () => {
    const r = await http.post('/api/capture/stop');
    expect(r.status).toBe(409);
    expect(expectShape(CinePiError, r.body, 'stop').code).toBe('no_active_session');
  });

  it('test_camera_settings_integration: PUT the seed settings, GET shows them applied', async () => {
    const settings = { exposure_mode: 'manual', iso: 800, gain: 4.0, resolution: '4056x3040' };
    const put = await http.request('PUT', '/api/camera/settings', settings);
    expect(put.status).toBe(200);
    expect(expectShape(CinePiSettingsUpdateResponse, put.body, 'PUT /api/camera/settings').success).toBe(true);
    const get = await http.get('/api/camera/settings');
    expect(get.status).toBe(200);
    const body = expectShape(CinePiSettingsResponse, get.body, 'GET /api/camera/settings');
    expect(body.exposure_mode).toBe('manual');
    expect(body.iso).toBe(800);
    expect(body.gain).toBe(4);
  });

  it.each([
    [{ iso: 1600 }],
    [{ gain: 9 }],
    [{ exposure_mode: 'bulb' }],
    [{ resolution: '123x45' }],
    [{ iso: 400, shutter: '1/10' }],
    [{}],
  ])('camera settings %j → 400, settings unchanged', async (patch) => {
    const r = await http.request('PUT', '/api/camera/settings', patch);
    expect(r.status).toBe(400);
    expectShape(CinePiError, r.body, 'bad settings');
    const get = expectShape(CinePiSettingsResponse, (await http.get('/api/camera/settings')).body, 'settings');
    expect(get.iso).toBe(800);
  });

  it('camera status in the dashboard shape', async () => {
    const r = await http.get('/api/camera/status');
    expect(r.status).toBe(200);
    expect(expectShape(CinePiCameraStatus, r.body, 'GET /api/camera/status')).toMatchObject({
      status: 'connected',
      connected: true,
      error: null,
    });
  });

  it('manual snapshot uses the manual ISO, is listed first, and is deleted by its validated file name', async () => {
    const snap = await http.post('/api/capture/snapshot');
    expect(snap.status).toBe(200);
    const shot = expectShape(SnapshotResponse, snap.body, 'POST /api/capture/snapshot');
    expect(shot.filename).toMatch(/\.jpg$/);

    const list = expectShape(CinePiCaptureList, (await http.get('/api/captures?limit=5')).body, 'GET /api/captures');
    expect(list.captures[0]!.filename).toBe(shot.filename);
    const path = join(dir, 'captures', list.captures[0]!.path);
    expect(existsSync(path)).toBe(true);
    const id = shot.filename.replace(/\.jpg$/, '');
    const record = expectShape(CaptureListResponse, (await http.get('/captures')).body, 'GET /captures').items.find(
      (c) => c.capture_id === id,
    );
    expect(record?.settings_used.iso).toBe(800);

    for (const bad of ['..%2Fjournal.sqlite', '%2E%2E%2Fidentity.json', 'a%2Fb.jpg', 'x.png', '..jpg']) {
      const r = await http.request('DELETE', `/api/captures/${bad}`);
      expect(r.status, bad).toBe(400);
      expectShape(CinePiError, r.body, `DELETE ${bad}`);
    }
    const unknown = await http.request('DELETE', '/api/captures/nothing_here.jpg');
    expect(unknown.status).toBe(404);

    const del = await http.request('DELETE', `/api/captures/${shot.filename}`);
    expect(del.status).toBe(200);
    expect(expectShape(CinePiOk, del.body, 'DELETE').message).toBe('File deleted successfully');
    expect(existsSync(path)).toBe(false);
    const again = expectShape(CinePiCaptureList, (await http.get('/api/captures')).body, 'GET /api/captures');
    expect(again.captures.map((c) => c.filename)).not.toContain(shot.filename);
    expect((await http.request('DELETE', `/api/captures/${shot.filename}`)).status).toBe(404);
  });

  it('configuration: get, update with automatic timestamped backups, list and restore', async () => {
    const get = await http.get('/api/config');
    expect(get.status).toBe(200);
    expectShape(CinePiConfigResponse, get.body, 'GET /api/config');

    const first = await http.request('PUT', '/api/config', { retention: { synced_max_age_hours: 24 } });
    expect(first.status).toBe(200);
    const u1 = expectShape(CinePiConfigUpdateResponse, first.body, 'PUT /api/config');
    expect(u1.backup_file).toBeNull();
    const second = await http.request('PUT', '/api/config', { retention: { synced_max_age_hours: 12 } });
    const u2 = expectShape(CinePiConfigUpdateResponse, second.body, 'PUT /api/config');
    expect(u2.backup_file).toMatch(/^agent-\d{8}T\d{6}Z(-\d+)?\.yaml$/);

    const bad = await http.request('PUT', '/api/config', { retention: { synced_max_age_hours: -1 } });
    expect(bad.status).toBe(400);
    expectShape(CinePiError, bad.body, 'bad config');

    const made = expectShape(CinePiBackupCreated, (await http.post('/api/config/backups')).body, 'POST backups');
    expect(made.backup_file).not.toBeNull();
    const list = expectShape(CinePiBackupList, (await http.get('/api/config/backups')).body, 'GET backups');
    expect(list.backups.length).toBeGreaterThanOrEqual(2);

    // Restore the backup taken before the second change: 24 hours again.
    const restore = await http.post(`/api/config/backups/${u2.backup_file}/restore`);
    expect(restore.status).toBe(200);
    expectShape(CinePiRestoreResponse, restore.body, 'restore');
    const now = expectShape(CinePiConfigResponse, (await http.get('/api/config')).body, 'GET /api/config');
    expect((now.config['retention'] as { synced_max_age_hours: number }).synced_max_age_hours).toBe(24);

    const missing = await http.post('/api/config/backups/agent-20000101T000000Z.yaml/restore');
    expect(missing.status).toBe(404);
    expectShape(CinePiError, missing.body, 'restore unknown');
    const traversal = await http.post('/api/config/backups/..%2Fagent.yaml/restore');
    expect(traversal.status).toBe(404);
  });

  it('recent log entries in the dashboard shape', async () => {
    const r = await http.get('/api/logs?limit=20');
    expect(r.status).toBe(200);
    const logs = expectShape(CinePiLogs, r.body, 'GET /api/logs');
    expect(logs.logs.length).toBeGreaterThan(0);
    expect(logs.logs.length).toBeLessThanOrEqual(20);
    // Newest first, as the dashboard shows them; this session's own actions are there.
    const times = logs.logs.map((l) => Date.parse(l.timestamp));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const all = expectShape(CinePiLogs, (await http.get('/api/logs?limit=1000')).body, 'GET /api/logs');
    expect(all.logs.some((l) => l.message === 'timelapse session started' && l.module === 'cinepi')).toBe(true);
    const warnings = expectShape(CinePiLogs, (await http.get('/api/logs?level=warning')).body, 'GET /api/logs');
    expect(warnings.logs.every((l) => l.level === 'warning' || l.level === 'error')).toBe(true);
    const bad = await http.get('/api/logs?level=loud');
    expect(bad.status).toBe(400);
  });

  it('a running timelapse session survives a restart and keeps capturing', async () => {
    const start = await http.post('/api/capture/start', { interval: 1 });
    expect(start.status).toBe(200);
    await until(
      async () => expectShape(TimelapseStatusResponse, (await http.get('/api/capture/status')).body, 'status'),
      (s) => (s.session?.captures ?? 0) >= 2,
    );
    await agent.stop();
    agent = await startAgentProcess(dir, ARGS);
    http = agentHttp(agent.port, dir);
    const resumed = expectShape(TimelapseStatusResponse, (await http.get('/api/capture/status')).body, 'status');
    expect(resumed.status).toBe('active');
    expect(resumed.session?.resumed_at).not.toBeNull();
    const before = resumed.session!.captures;
    await until(
      async () => expectShape(TimelapseStatusResponse, (await http.get('/api/capture/status')).body, 'status'),
      (s) => (s.session?.captures ?? 0) >= before + 2,
    );
    expect((await http.post('/api/capture/stop')).status).toBe(200);
  }, 60_000);
});
