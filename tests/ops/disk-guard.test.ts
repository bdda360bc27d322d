import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Journal } from '../../agent/src/db/journal.js';
import { AgentEvent, StatusResponse, type CaptureRecord } from '../../agent/src/protocol/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { parseMetrics, scrape } from './helpers.js';

// Retention and the disk guard on a REAL small filesystem: an 8 MiB tmpfs mounted for this test.

type Agent = RunningProcess & { port: number; token: string; auth: { authorization: string } };

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('disk-guard tests skipped: mounting a tmpfs needs root (run as root, as CI does).');

let dir: string;
let mnt: string;
let data: string;
let agent: Agent | null = null;
const events: AgentEvent[] = [];

async function usedPercent(): Promise<number> {
  const fs = await statfs(mnt);
  return ((fs.blocks - fs.bfree) / fs.blocks) * 100;
}

/** Grows a ballast file (outside the captures folder) until the filesystem is at least `percent` used. */
async function fillTo(percent: number): Promise<void> {
  const fs = await statfs(mnt);
  const wanted = Math.ceil(((percent / 100) * fs.blocks - (fs.blocks - fs.bfree)) * fs.bsize);
  if (wanted <= 0) return;
  const name = join(mnt, `ballast-${Date.now()}`);
  await writeFile(name, Buffer.alloc(wanted + fs.bsize, 1));
  expect(await usedPercent()).toBeGreaterThanOrEqual(percent);
}

async function start(env: Record<string, string> = {}): Promise<Agent> {
  const a = await startAgentProcess(data, ['--sim-resolution', '1920x1080', '--sim-time', '2025-06-21T18:00:00Z'], {
    SKYSTATION_AGENT_DISK_CHECK_INTERVAL_SECONDS: '0.2',
    SKYSTATION_AGENT_LOGGING_FILES: 'false',
    ...env,
  });
  const ws = new WebSocket(`ws://127.0.0.1:${a.port}/events?access_token=${a.token}`);
  ws.on('message', (m: Buffer) => events.push(AgentEvent.parse(JSON.parse(m.toString('utf8')))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  a.child.once('exit', () => ws.close());
  return a;
}

const capture = (a: Agent): Promise<Response> =>
  fetch(`http://127.0.0.1:${a.port}/capture`, {
    method: 'POST',
    headers: { ...a.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ auto: true }),
  });

async function status(a: Agent): Promise<StatusResponse> {
  return StatusResponse.parse(await (await fetch(`http://127.0.0.1:${a.port}/status`, { headers: a.auth })).json());
}

async function list(a: Agent): Promise<CaptureRecord[]> {
  const body = (await (await fetch(`http://127.0.0.1:${a.port}/captures?limit=1000`, { headers: a.auth })).json()) as {
    items: CaptureRecord[];
  };
  return body.items;
}

async function fileIntact(c: CaptureRecord): Promise<boolean> {
  const path = join(data, 'captures', c.file_name);
  if (!existsSync(path)) return false;
  return (
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex') === c.sha256
  );
}

beforeAll(async () => {
  if (!isRoot) return;
  dir = await mkdtemp(join(tmpdir(), 'skys-disk-'));
  mnt = join(dir, 'mnt');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  data = join(mnt, 'data');
});

afterAll(async () => {
  if (!isRoot) return;
  await agent?.stop();
  try {
    execFileSync('umount', [mnt]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe.skipIf(!isRoot)('disk guard and retention on an 8 MiB tmpfs', () => {
  let kept: CaptureRecord[] = [];

  it('retention deletes synced captures past their age and never touches unsynced ones', async () => {
    await mkdir(data, { recursive: true });
    // Retention age 0: a capture may go as soon as the station acknowledged it; retention runs every second.
    await writeFile(join(data, 'agent.yaml'), 'retention:\n  synced_max_age_hours: 0\n  interval_seconds: 1\n');
    agent = await start();
    for (let i = 0; i < 3; i++) expect((await capture(agent)).status).toBe(200);
    const [first, ...rest] = await list(agent);
    const ack = await fetch(`http://127.0.0.1:${agent.port}/captures/ack`, {
      method: 'POST',
      headers: { ...agent.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ captures: [{ capture_id: first!.capture_id, sha256: first!.sha256 }] }),
    });
    expect(await ack.json()).toEqual({ acknowledged: 1, unknown: [] });
    await until(
      () => existsSync(join(data, 'captures', first!.file_name)),
      (present) => !present,
    );
    const s = await until(
      () => status(agent!),
      (v) => v.storage?.retention.deleted['synced_expired'] === 1,
    );
    expect(s.captures.total).toBe(2);
    for (const c of rest) expect(await fileIntact(c)).toBe(true);
    await agent.stop();
    agent = null;
    await rm(join(data, 'agent.yaml'));
  });

  it('warns above 80 %, pauses above 95 % with 507 disk_full, and keeps every unsynced capture', async () => {
    agent = await start();
    for (let i = 0; i < 6; i++) expect((await capture(agent)).status).toBe(200);
    kept = await list(agent);
    expect(kept).toHaveLength(8);
    expect((await status(agent)).storage?.state).toBe('ok');

    await fillTo(85);
    const warned = await until(
      () => status(agent!),
      (v) => v.storage?.state === 'warning',
    );
    expect(warned.storage?.capture_paused).toBe(false);
    await until(
      () => events.some((e) => e.type === 'warning' && e.code === 'disk_warning'),
      (ok) => ok,
    );
    expect((await capture(agent)).status).toBe(200);
    kept = await list(agent);

    await fillTo(96);
    const refused = await capture(agent);
    expect(refused.status).toBe(507);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('disk_full');
    expect(body.error.message).toMatch(/paused/);
    const paused = await status(agent);
    expect(paused.storage).toMatchObject({ state: 'paused', capture_paused: true, emergency_delete_unsynced: false });
    expect(paused.storage?.message).toMatch(/unsynced captures are kept/);
    await until(
      () => events.some((e) => e.type === 'warning' && e.code === 'disk_full'),
      (ok) => ok,
    );
    const metrics = parseMetrics((await scrape(agent.port)).text);
    expect(metrics.get('skystation_capture_paused')).toBe(1);
    expect(metrics.get('skystation_capture_errors_total{error_type="disk_full"}')).toBe(1);
    // No unsynced capture was lost.
    expect(await list(agent)).toEqual(kept);
    for (const c of kept) expect(await fileIntact(c)).toBe(true);
    await agent.stop();
    agent = null;
  });

  it('with emergency deletion enabled, deletes the oldest unsynced captures until captures can resume', async () => {
    await fillTo(96); // closing the journal checkpointed its WAL and freed a little
    agent = await start({ SKYSTATION_AGENT_DISK_EMERGENCY_DELETE_UNSYNCED: 'true' });
    const s = await until(
      () => status(agent!),
      (v) => v.storage?.state !== 'paused',
    );
    expect(s.storage?.emergency_delete_unsynced).toBe(true);
    const remaining = await list(agent);
    expect(remaining.length).toBeLessThan(kept.length);
    expect(remaining.length).toBeGreaterThan(0);
    // Oldest first: what remains is the newest tail of what was kept.
    expect(remaining).toEqual(kept.slice(kept.length - remaining.length));
    for (const c of remaining) expect(await fileIntact(c)).toBe(true);
    for (const c of kept.slice(0, kept.length - remaining.length)) expect(await fileIntact(c)).toBe(false);
    expect(await usedPercent()).toBeLessThan(95);
    expect((await capture(agent)).status).toBe(200);
    await agent.stop();
    agent = null;
    const journal = Journal.open(join(data, 'journal.sqlite'));
    try {
      expect(journal.deletedCounts()).toEqual({
        synced_expired: 1,
        disk_emergency_unsynced: kept.length - remaining.length,
      });
    } finally {
      journal.close();
    }
  });
});
