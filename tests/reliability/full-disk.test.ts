/**
 * Issue 16, findings 1 and 2: an agent whose disk fills to 100 % (another
 * writer, or `hard_limit_percent: 100`) keeps running. Its plan runner records
 * the slots it could not take with the true reason and resumes by itself once
 * space is freed; a capture that cannot be stored is refused with 507 before
 * the image is written; and the agent starts on a still full disk, paused.
 * Everything on a real 8 MiB tmpfs.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanSlotsResponse, PlanStatusResponse, type PlanSlot } from '../../agent/src/protocol/autonomy.js';
import { HealthResponse, StatusResponse } from '../../agent/src/protocol/index.js';
import { agentHttp, expectShape, type AgentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { fillCompletely, isRoot, mountTmpfs, planBundle } from './helpers.js';

type Agent = RunningProcess & { port: number };

if (!isRoot) console.warn('full-disk tests skipped: mounting a tmpfs needs root (run as root, as CI does).');

const ENV = {
  SKYSTATION_AGENT_DISK_CHECK_INTERVAL_SECONDS: '0.2',
  SKYSTATION_AGENT_DISK_HARD_LIMIT_PERCENT: '100',
  SKYSTATION_AGENT_DISK_WARN_PERCENT: '90',
  SKYSTATION_AGENT_LOGGING_FILES: 'false',
};
const SIM_OFFSET_MS = Date.parse('2025-06-21T22:30:00Z') - Date.now();
const simArgs = (): string[] => [
  '--sim-time',
  new Date(Date.now() + SIM_OFFSET_MS).toISOString(),
  '--sim-resolution',
  '320x240',
];

let fs: Awaited<ReturnType<typeof mountTmpfs>>;
let data: string;
let agent: Agent | null = null;

async function slots(http: AgentHttp): Promise<PlanSlot[]> {
  const r = await http.get('/plan/slots?limit=5000');
  expect(r.status).toBe(200);
  return expectShape(PlanSlotsResponse, r.body, 'GET /plan/slots').items;
}

async function planStatus(http: AgentHttp): Promise<PlanStatusResponse> {
  return expectShape(PlanStatusResponse, (await http.get('/plan')).body, 'GET /plan');
}

async function agentNow(http: AgentHttp): Promise<number> {
  return Date.parse(expectShape(HealthResponse, (await http.get('/health')).body, 'GET /health').time);
}

const captured = (list: PlanSlot[], afterMs: number): number =>
  list.filter((s) => s.status === 'captured' && Date.parse(s.planned_at) > afterMs).length;

beforeAll(async () => {
  if (!isRoot) return;
  fs = await mountTmpfs('8m');
  data = join(fs.mnt, 'data');
});

afterAll(async () => {
  if (!isRoot) return;
  await agent?.stop();
  await fs.close();
});

describe.skipIf(!isRoot)('a 100 % full agent disk (8 MiB tmpfs)', { timeout: 120_000 }, () => {
  it('the plan runner survives the full disk, says why slots were lost, and resumes when space returns', async () => {
    agent = await startAgentProcess(data, simArgs(), ENV);
    const http = agentHttp(agent.port, data);
    const now = await agentNow(http);
    const start = Math.ceil(now / 1000) * 1000 + 1000;
    expect((await http.post('/profile/deploy', planBundle('1.0.0', start, start + 600_000))).status).toBe(200);
    await until(
      () => slots(http),
      (s) => captured(s, 0) >= 2,
      20_000,
    );

    const ballast = await fillCompletely(fs.mnt);
    const filledAt = await agentNow(http);
    // Slots keep coming due while the disk is full; give the runner several of them.
    await new Promise((r) => setTimeout(r, 4000));
    expect(agent.child.exitCode).toBeNull();
    await rm(ballast);
    const freedAt = await agentNow(http);

    // Without a restart, planned captures resume.
    const after = await until(
      () => slots(http),
      (s) => captured(s, freedAt + 1000) >= 3,
      30_000,
    );
    expect(agent.child.exitCode).toBeNull();
    expect((await planStatus(http)).state).not.toBe('stopped');
    // The slots in between were not "missed because the agent was not running": it was running.
    const between = after.filter((s) => Date.parse(s.planned_at) > filledAt && Date.parse(s.planned_at) < freedAt);
    const lost = between.filter((x) => x.status !== 'captured');
    expect(lost.length).toBeGreaterThan(0);
    for (const s of lost) {
      expect(s.error ?? '').not.toMatch(/not running/);
      expect(s.error ?? '').toMatch(/disk|full|space/i);
    }
    // No slot twice: the primary key guarantees one row per instant; captured ones have a capture id each.
    const ids = after.filter((s) => s.status === 'captured').map((s) => s.capture_id);
    expect(new Set(ids).size).toBe(ids.length);
    // A bundle without a plan ends it, so the next test's captures are only its own.
    expect(
      (await http.post('/profile/deploy', { profile_id: 'manual', version: '1.0.1', settings: { base: {} } })).status,
    ).toBe(200);
    await until(
      () => planStatus(http),
      (p) => p.state === 'no_plan',
    );
    await agent.stop();
    agent = null;
  });

  it('answers 507 instead of failing after the image is written, stays up, and starts paused on a full disk', async () => {
    agent = await startAgentProcess(data, simArgs(), ENV);
    let http = agentHttp(agent.port, data);
    const list = async (): Promise<{ capture_id: string; size_bytes: number }[]> =>
      ((await http.get('/captures?limit=1000')).body as { items: { capture_id: string; size_bytes: number }[] }).items;
    const first = await http.post('/capture', { auto: true });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const before = await list();
    const imageBytes = Math.max(...before.map((c) => c.size_bytes));
    // Room for about one image and nothing else: the image may fit, the journal's pages may not.
    const ballast = await fillCompletely(fs.mnt);
    const { truncate, stat } = await import('node:fs/promises');
    await truncate(ballast, (await stat(ballast)).size - imageBytes - 8192);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await http.post('/capture', { auto: true });
      statuses.push(r.status);
      if (r.status !== 200) expect((r.body as { error: { code: string } }).error.code).toBe('disk_full');
    }
    expect(statuses.every((s) => s === 200 || s === 507)).toBe(true);
    expect(statuses).toContain(507);
    expect(agent.child.exitCode).toBeNull();
    // Every capture answered 200 is journalled; nothing answered 507 left a row.
    expect((await list()).length).toBe(before.length + statuses.filter((s) => s === 200).length);

    // Restart on the completely full disk, with log files on: the agent starts, paused.
    await agent.stop();
    await fillCompletely(fs.mnt, 'ballast-2');
    agent = await startAgentProcess(data, simArgs(), { ...ENV, SKYSTATION_AGENT_LOGGING_FILES: 'true' });
    http = agentHttp(agent.port, data);
    const raw = (await http.get('/status')).body as { storage: Record<string, unknown> };
    const s = expectShape(StatusResponse, raw, 'GET /status');
    expect(s.storage?.capture_paused).toBe(true);
    // Both disk figures say which filesystem they are about and when they were measured (finding 7),
    // and the contract carries the labels to the station.
    expect(s.storage).toMatchObject({ path: data, mount_point: fs.mnt, filesystem: 'tmpfs' });
    expect(typeof s.storage?.checked_at).toBe('string');
    expect(s.disk).toMatchObject({ path: data, mount_point: fs.mnt, filesystem: 'tmpfs' });
    expect(typeof s.disk.checked_at).toBe('string');
    expect((await http.post('/capture', { auto: true })).status).toBe(507);

    await rm(ballast);
    await rm(join(fs.mnt, 'ballast-2'));
    await until(
      async () => (await http.post('/capture', { auto: true })).status,
      (status) => status === 200,
      20_000,
    );
    expect(agent.child.exitCode).toBeNull();
  });
});
