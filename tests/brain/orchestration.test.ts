/**
 * Issue #5 end to end in the brain, with real agent processes (simulated
 * cameras) on 127.0.0.1: seed 002 config import/export, schedules and
 * assignments, profiles, plan preview, deploy to two agents, capture across a
 * fleet with one agent dead, an override (A/B) test with per-variant results,
 * automatic redeploy near the plan horizon, alerts, and the seed 002
 * monitoring endpoints.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import type { AgentView, StationEvent } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { runCli } from '../../src-main/cli/main.js';
import { ROOT, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token?: string };

const SEED_CONFIG = join(ROOT, 'tests/schedule/fixtures/seed-002-config.json');
// Noon in Denver: daylight, so exposure differences show in the images.
const SIM_TIME = '2025-06-21T18:00:00Z';

describe('orchestration with real agents', () => {
  let dir: string;
  let station: Station;
  let server: StationServer;
  const agents: Agent[] = [];
  let dead: Agent;
  const ids: string[] = [];
  let deadId: string;
  const events: StationEvent[] = [];

  const clientFor = (i: number): AgentClient => {
    const a = agents[i]!;
    return new AgentClient({ host: '127.0.0.1', port: a.port }, a.token ? { token: a.token } : {});
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-orch-'));
    const started = await Promise.all(
      ['a', 'b', 'dead'].map((n) =>
        startAgentProcess(join(dir, `agent-${n}`), ['--name', `cam-${n}`, '--sim-time', SIM_TIME]),
      ),
    );
    agents.push(started[0]!, started[1]!);
    dead = started[2]!;
    station = await startStation({
      dataDir: join(dir, 'station'),
      embeddedAgent: false,
      pollIntervalMs: 300,
      // A short check interval so the redeploy test does not wait an hour.
      orchestration: { horizonCheckMs: 250, redeployWithinMs: 7 * 86_400_000, planDays: 30 },
    });
    station.onEvent((e) => events.push(e));
    server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
    for (const a of [...agents, dead]) {
      const v: AgentView = await station.call('addAgent', {
        host: '127.0.0.1',
        port: a.port,
        ...(a.token ? { token: a.token } : {}),
      });
      ids.push(v.id);
    }
    deadId = ids[2]!;
    ids.length = 2;
  }, 90_000);

  afterAll(async () => {
    await server?.close();
    await station?.close();
    await Promise.all([...agents, dead].map((a) => a?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports seed 002 config.json and exports it back unchanged', async () => {
    const text = readFileSync(SEED_CONFIG, 'utf8');
    const r = await station.call('importConfig', { config: text });
    expect(r).toEqual({ schedules: 3, cameras: 1, matched: [], unmatched: ['mountain_view'] });
    const { config } = await station.call('exportConfig');
    expect(config).toEqual(JSON.parse(text));
    const bad = await station.dispatch('importConfig', { config: { location: {}, schedules: {}, cameras: {} } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('CONFIG_INVALID');
  });

  it('keeps the location and schedules, and assigns schedules to cameras', async () => {
    await station.call('setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'America/Denver' });
    await station.call('createSchedule', {
      name: 'night',
      schedule: { type: 'night', twilight: 'nautical', interval_seconds: 60 },
    });
    const dup = await station.dispatch('createSchedule', {
      name: 'night',
      schedule: { type: 'night', interval_seconds: 60 },
    });
    expect(dup.ok ? 'ok' : dup.error.code).toBe('SCHEDULE_EXISTS');
    await station.call('updateSchedule', {
      name: 'night',
      schedule: { type: 'night', twilight: 'civil', interval_seconds: 45 },
    });
    for (const id of ids) await station.call('assignSchedules', { agentId: id, schedules: ['sunrise', 'night'] });
    const schedules = await station.call('listSchedules');
    expect(schedules.find((s) => s.name === 'night')?.schedule).toMatchObject({ twilight: 'civil' });
    expect(schedules.find((s) => s.name === 'night')?.usedBy).toHaveLength(2);
    const inUse = await station.dispatch('deleteSchedule', { name: 'night' });
    expect(inUse.ok ? 'ok' : inUse.error.code).toBe('SCHEDULE_IN_USE');
    const assignments = await station.call('listAssignments');
    expect(
      assignments
        .filter((a) => a.agentId !== null)
        .map((a) => a.agentId)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('previews 30 days of concrete windows per camera, nights crossing midnight', async () => {
    const [plan] = await station.call('planPreview', { agentIds: [ids[0]!] });
    expect(plan!.schedules).toEqual(['sunrise', 'night']);
    const nights = plan!.windows.filter((w) => w.schedule === 'night');
    expect(nights.length).toBeGreaterThanOrEqual(29);
    // A night window starts one local day and ends the next.
    expect(nights.some((w) => w.start.slice(0, 10) !== w.end.slice(0, 10))).toBe(true);
    expect(plan!.captures).toBeGreaterThan(1000);
    expect(Date.parse(plan!.horizon) - Date.now()).toBeGreaterThan(28 * 86_400_000);
  });

  it('ships presets A–F and versions, extends, diffs and rolls back profiles', async () => {
    const list = await station.call('listProfiles');
    expect(list.map((p) => p.profileId)).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd', 'e', 'f']));
    const child = await station.call('extendProfile', {
      draft: { profile_id: 'ridge', name: 'Ridge', settings: { ev_compensation: 0.3 } },
      parent: { profile_id: 'f' },
    });
    expect(child.version).toBe('1.0.0');
    const v2 = await station.call('saveProfileVersion', { profileId: 'ridge', settings: { ev_compensation: 1 } });
    expect(v2.version).toBe('1.1.0');
    const diff = await station.call('diffProfile', { profileId: 'ridge', from: '1.0.0', to: '1.1.0' });
    expect(diff).toEqual([{ field: 'settings.ev_compensation', from: 0.3, to: 1 }]);
    const back = await station.call('rollbackProfile', { profileId: 'ridge', toVersion: '1.0.0' });
    expect(back.version).toBe('1.1.1');
    const detail = await station.call('getProfile', { profileId: 'ridge' });
    expect(detail.resolved.settings).toMatchObject({ ev_compensation: 0.3, metering_mode: 1 });
    expect(detail.resolved.lineage).toEqual(['f@1.0.0']);
    const bad = await station.dispatch('createProfile', {
      draft: { profile_id: 'broken', settings: { iso_min: 3 } },
    });
    expect(bad.ok).toBe(false);
  });

  it('deploys a profile with its plan to two agents; each reports it and listAgents shows the version', async () => {
    const results = await station.call('deployProfile', { agentIds: ids, profileId: 'ridge' });
    expect(results.map((r) => [r.ok, r.version])).toEqual([
      [true, '1.1.1'],
      [true, '1.1.1'],
    ]);
    for (let i = 0; i < 2; i++) {
      const status = await clientFor(i).status();
      expect(status.deployed_profile).toEqual({ profile_id: 'ridge', version: '1.1.1' });
    }
    const deployment = JSON.parse(readFileSync(join(dir, 'agent-a', 'deployment.json'), 'utf8')) as {
      plan: { windows: unknown[]; horizon: string };
    };
    expect(deployment.plan.windows.length).toBe(results[0]!.windows);
    const views = await station.call('listAgents');
    for (const id of ids) {
      const v = views.find((a) => a.id === id);
      expect(v?.deployment).toMatchObject({ profileId: 'ridge', version: '1.1.1', status: 'deployed' });
    }
    const assignments = await station.call('listAssignments');
    expect(assignments.find((a) => a.agentId === ids[0])?.profileId).toBe('ridge');
  });

  it('captures on the whole fleet in parallel; the dead camera fails alone', async () => {
    await dead.stop();
    await until(
      () => station.call('listAgents'),
      (list) => list.find((a) => a.id === deadId)?.state === 'offline',
    );
    const results = await station.call('captureFleet', { agentIds: [...ids, deadId] });
    const byId = new Map(results.map((r) => [r.agentId, r]));
    for (const id of ids) {
      const r = byId.get(id)!;
      expect(r.error).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.settings?.iso).toBeGreaterThan(0);
      const page = await station.call('listCaptures', { agentId: id });
      expect(page.items.map((c) => c.id)).toContain(r.galleryId);
    }
    const failed = byId.get(deadId)!;
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toMatch(/agent_unreachable|agent_timeout/);
    // The dead agent's deploy fails per camera too, without stopping the others.
    const deploy = await station.call('deployProfile', { agentIds: [ids[0]!, deadId], profileId: 'ridge' });
    expect(deploy.map((d) => d.ok)).toEqual([true, false]);
  });

  it('raises alerts: camera offline and capture failure', async () => {
    const alerts = await until(
      () => station.call('listAlerts', {}),
      (list) => list.some((a) => a.code === 'camera_offline' && a.agentId === deadId),
    );
    expect(alerts.some((a) => a.code === 'capture_failed' && a.agentId === deadId)).toBe(true);
    // Its failed deploy leaves it without a plan: the horizon check reports that while it stays offline.
    await until(
      () => station.call('listAlerts', {}),
      (list) => list.some((a) => a.code === 'plan_expiring' && a.agentId === deadId && a.resolvedAt === null),
    );
    expect(events.some((e) => e.event === 'alert' && e.data.code === 'camera_offline')).toBe(true);
  });

  it('runs an interleaved override test and compares the variants from the gallery', async () => {
    const test = await station.call('runTest', {
      agentIds: ids,
      rounds: 2,
      variants: [
        { name: 'bright', override: { iso: 800, shutter_speed: '1/60' } },
        { name: 'dark', override: { iso: 100, shutter_speed: '1/8000' } },
      ],
    });
    expect(test.status).toBe('done');
    expect(test.failures).toEqual([]);
    // Quality figures may be measured just after import: wait until every variant has them.
    const results = await until(
      () => station.call('testResults', { testId: test.id }),
      (r) => r.variants.every((v) => v.meanBrightness !== null),
    );
    const bright = results.variants.find((v) => v.variant === 'bright')!;
    const dark = results.variants.find((v) => v.variant === 'dark')!;
    expect(bright.captures).toBe(4);
    expect(dark.captures).toBe(4);
    expect(bright.isoValues).toEqual([800]);
    expect(dark.shutterSpeeds).toEqual(['1/8000']);
    expect(bright.meanBrightness).not.toBeNull();
    expect(bright.meanBrightness!).toBeGreaterThan(dark.meanBrightness!);
    // Interleaved: per camera the variants alternate in time.
    const order = [...bright.items.map((i) => ({ ...i, v: 'bright' })), ...dark.items.map((i) => ({ ...i, v: 'dark' }))]
      .filter((i) => i.agentId === ids[0])
      .sort((x, y) => x.capturedAt.localeCompare(y.capturedAt))
      .map((i) => i.v);
    expect(order).toEqual(['bright', 'dark', 'bright', 'dark']);
    // The variant is stored with each capture in the gallery.
    const page = await station.call('listCaptures', { agentId: ids[0]!, limit: 50 });
    expect(page.items.filter((c) => c.testId === test.id)).toHaveLength(4);
    expect((await station.call('listTests')).map((t) => t.id)).toContain(test.id);
  });

  it('redeploys automatically when a plan nears its horizon', async () => {
    const [short] = await station.call('deployProfile', { agentIds: [ids[1]!], profileId: 'ridge', days: 2 });
    expect(short!.ok).toBe(true);
    expect(Date.parse(short!.horizon!) - Date.now()).toBeLessThan(7 * 86_400_000);
    const refreshed = await until(
      () => station.call('listDeployments'),
      (list) => {
        const d = list.find((x) => x.agentId === ids[1]);
        return d !== undefined && d.horizon !== null && Date.parse(d.horizon) - Date.now() > 7 * 86_400_000;
      },
      30_000,
    );
    const d = refreshed.find((x) => x.agentId === ids[1])!;
    expect(d.redeploys).toBeGreaterThanOrEqual(1);
    expect(d.status).toBe('deployed');
    const onAgent = JSON.parse(readFileSync(join(dir, 'agent-b', 'deployment.json'), 'utf8')) as {
      plan: { horizon: string };
    };
    expect(Date.parse(onAgent.plan.horizon) - Date.now()).toBeGreaterThan(7 * 86_400_000);
  });

  it('serves seed 002 GET /health, /status and /cameras/{id}/status', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as {
      scheduler: { running: boolean; deployments: number };
      lastCaptureTimes: Record<string, string | null>;
    };
    expect(health.scheduler.running).toBe(true);
    expect(health.scheduler.deployments).toBe(3);
    expect(health.lastCaptureTimes['cam-a']).toMatch(/^\d{4}-/);
    const status = (await (await fetch(`${server.url}/status`)).json()) as {
      cameras: { name: string; state: string; schedules: string[] }[];
      schedules: string[];
    };
    expect(status.schedules).toContain('night');
    expect(status.cameras.find((c) => c.name === 'cam-a')?.schedules).toEqual(['sunrise', 'night']);
    expect(status.cameras.find((c) => c.name === 'cam-dead')?.state).toBe('offline');
    const cam = await fetch(`${server.url}/cameras/cam-a/status`);
    expect(cam.status).toBe(200);
    expect(await cam.json()).toMatchObject({ name: 'cam-a', state: 'online', deployment: { profileId: 'ridge' } });
    const missing = await fetch(`${server.url}/cameras/nope/status`);
    expect(missing.status).toBe(404);
  });

  it('drives schedules export/import, deploy and an A/B test from the command line', async () => {
    const url = `${server.url.replace(/^http/, 'ws')}/api/ws`;
    const cli = async (...argv: string[]): Promise<{ code: number; out: string }> => {
      const lines: string[] = [];
      const code = await runCli([...argv, '--url', url], (l) => lines.push(l));
      return { code, out: lines.join('\n') };
    };
    const file = join(dir, 'exported-config.json');
    expect((await cli('schedules', 'export', file)).code).toBe(0);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { cameras: Record<string, { schedules: string[] }> };
    expect(exported.cameras['cam-a']?.schedules).toEqual(['sunrise', 'night']);
    const imported = await cli('schedules', 'import', file, '--json');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.out)).toMatchObject({ cameras: 3, unmatched: ['mountain_view'] });

    const deploy = await cli('deploy', 'ridge', '--cameras', 'cam-a,cam-b');
    expect(deploy.code).toBe(0);
    expect(deploy.out).toMatch(/cam-a\s+deployed\s+1\.1\.1/);
    expect((await cli('agents')).out).toMatch(/cam-a .* ridge 1\.1\.1/);

    const run = await cli(
      'test',
      'run',
      '--cameras',
      'cam-a,cam-b',
      '--variant',
      'hi:{"iso":1600,"shutter_speed":"1/125"}',
      '--variant',
      'lo:{"iso":100,"shutter_speed":"1/4000"}',
      '--json',
    );
    expect(run.code).toBe(0);
    const results = JSON.parse(run.out) as { test: { id: string }; variants: { variant: string; captures: number }[] };
    expect(results.variants.map((v) => [v.variant, v.captures])).toEqual([
      ['hi', 2],
      ['lo', 2],
    ]);
    const table = await cli('test', 'results', results.test.id);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^hi\s+2\s+\d/m);
    expect(table.out).toMatch(/^lo\s+2\s+\d/m);
    const fleet = await cli('capture-fleet', '--cameras', 'cam-a,cam-dead', '--json');
    expect(fleet.code).toBe(1);
    expect((JSON.parse(fleet.out) as { agentName: string; ok: boolean }[]).map((r) => [r.agentName, r.ok])).toEqual([
      ['cam-a', true],
      ['cam-dead', false],
    ]);
    const alerts = await cli('alerts');
    expect(alerts.out).toMatch(/camera_offline/);
    const usage = await cli('test', 'run', '--cameras', 'cam-a', '--variant', 'broken');
    expect(usage.code).toBe(2);
  });
});
