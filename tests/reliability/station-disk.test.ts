/**
 * Issue 16, finding 3 (and issue 13's small gap): the station on a data disk
 * that fills up. Its log never throws into the code that logs (a full disk
 * used to end the process from inside pino's synchronous write), the log file
 * rotates by size, and a sync that meets the full disk pauses with one clear
 * message instead of failing capture after capture, then resumes by itself once
 * there is room. Everything on a real 8 MiB tmpfs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { SyncEngine, type SyncPause } from '../../src-main/sync/sync-engine.js';
import { createLogger, RotatingLogFile } from '../../src-main/util/log.js';
import { SIM_MIDNIGHT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { fillCompletely, isRoot, mountTmpfs } from './helpers.js';

if (!isRoot) console.warn('station-disk tests skipped: mounting a tmpfs needs root (run as root, as CI does).');

let fs: Awaited<ReturnType<typeof mountTmpfs>>;

beforeAll(async () => {
  if (!isRoot) return;
  fs = await mountTmpfs('8m');
});

afterAll(async () => {
  if (!isRoot) return;
  await fs.close();
});

describe.skipIf(!isRoot)('the station on a full data disk (8 MiB tmpfs)', { timeout: 120_000 }, () => {
  it('logs on a full disk without throwing, and says later how many lines were lost', async () => {
    const dataDir = join(fs.mnt, 'log-station');
    await mkdir(dataDir);
    const log = createLogger(dataDir, 'info');
    log.info({ n: 0 }, 'before the disk filled');
    const ballast = await fillCompletely(fs.mnt);
    // Long lines: each needs new blocks, which a full disk cannot give.
    for (let i = 1; i <= 200; i++) log.warn({ n: i, pad: 'x'.repeat(8192) }, 'while the disk is full');
    await rm(ballast);
    await new Promise((r) => setTimeout(r, 5500)); // the file is tried again 5 s after a failed write
    log.info({ n: 201 }, 'after space returned');
    const lines = readFileSync(join(dataDir, 'logs', 'station.log'), 'utf8')
      .trim()
      .split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { event?: string; dropped?: number; n?: number });
    expect(parsed[0]!.n).toBe(0);
    const note = parsed.find((p) => p.event === 'log.dropped');
    expect(note?.dropped).toBeGreaterThan(0);
    expect(parsed[parsed.length - 1]!.n).toBe(201);
    await rm(dataDir, { recursive: true });
  });

  it('rotates the log by size and keeps the newest N files', async () => {
    const dir = join(fs.mnt, 'rotate');
    await mkdir(dir);
    const file = new RotatingLogFile(join(dir, 'station.log'), 4096, 3);
    for (let i = 0; i < 200; i++) file.write(`${JSON.stringify({ i, pad: 'y'.repeat(100) })}\n`);
    file.close();
    expect(readdirSync(dir).sort()).toEqual(['station.log', 'station.log.1', 'station.log.2', 'station.log.3']);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(4096);
    // The newest lines are in station.log, the ones just before in .1.
    const last = readFileSync(join(dir, 'station.log'), 'utf8').trim().split('\n').pop()!;
    expect((JSON.parse(last) as { i: number }).i).toBe(199);
    const prev = readFileSync(join(dir, 'station.log.1'), 'utf8').trim().split('\n').pop()!;
    expect((JSON.parse(prev) as { i: number }).i).toBeLessThan(199);
    await rm(dir, { recursive: true });
  });

  describe('a sync into a full disk', () => {
    let agent: RunningProcess & { port: number; token: string };
    beforeAll(async () => {
      // Noisy frames at the camera's midnight: by day they are small enough that "room for one" holds them all.
      agent = await startAgentProcess(join(fs.dir, 'agent'), ['--sim-resolution', '1600x1200', ...SIM_MIDNIGHT]);
      const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
      for (let i = 0; i < 6; i++) await client.capture({ iso: 25600, shutter_speed: '1/30' });
    }, 120_000);
    afterAll(async () => {
      await agent?.stop();
    });

    /** A sync engine with its gallery in a new folder on the small disk, and what it reported. */
    const engineOnDisk = async (name: string) => {
      const station = join(fs.mnt, name);
      await mkdir(station);
      const db = openDatabase(join(station, 'gallery.sqlite'));
      const repo = new CapturesRepo(db);
      const seen = { pauses: [] as SyncPause[], resumed: 0, bytes: 0 };
      const engine = new SyncEngine({
        captures: repo,
        mediaDir: join(station, 'media'),
        log: createLogger(station, 'info'),
        onImported: () => undefined,
        onBytes: (n) => (seen.bytes += n),
        onPaused: (p) => seen.pauses.push(p),
        onResumed: () => seen.resumed++,
      });
      return { station, db, repo, engine, seen };
    };

    it('pauses with one message, asks the agent nothing while full, and resumes once there is room', async () => {
      const { station, db, repo, engine, seen } = await engineOnDisk('station');
      const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
      const all = (await client.listCaptures(0, 100, true)).items;
      expect(all).toHaveLength(6);
      // Room for about one image.
      const ballast = await fillCompletely(fs.mnt);
      const { truncate, stat } = await import('node:fs/promises');
      await truncate(ballast, (await stat(ballast)).size - all[0]!.size_bytes - 256 * 1024);

      await expect(engine.sync('a1', client)).rejects.toMatchObject({ code: 'station_disk_full' });
      expect(seen.pauses).toHaveLength(1);
      expect(seen.pauses[0]!.message).toMatch(/disk is full/);
      expect(engine.paused()).not.toBeNull();
      // Still full: refused at once, nothing asked of the agent, no second alert.
      const before = seen.bytes;
      await expect(engine.sync('a1', client)).rejects.toMatchObject({ code: 'station_disk_full' });
      expect(seen.bytes).toBe(before);
      expect(seen.pauses).toHaveLength(1);
      // Nothing unverified was acknowledged: the agent still has every capture the gallery lacks.
      const unsynced = (await client.listCaptures(0, 100, true)).items.length;
      expect(unsynced + repo.page({ limit: 100 }).items.length).toBe(6);

      await rm(ballast);
      const r = await engine.sync('a1', client);
      expect(seen.resumed).toBe(1);
      expect(engine.paused()).toBeNull();
      expect(r.failed).toBe(0);
      expect(repo.page({ limit: 100 }).items).toHaveLength(6);
      expect((await client.listCaptures(0, 100, true)).items).toEqual([]);
      expect(existsSync(join(station, 'logs', 'station.log'))).toBe(true);
      db.close();
    });

    it('keeps the prefix a short write left, so a paused sync stays paused instead of fetching the image again', async () => {
      const { station, db, repo, engine, seen } = await engineOnDisk('station-short');
      const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
      await client.capture({ iso: 25600, shutter_speed: '1/30' });
      const [image] = (await client.listCaptures(0, 100, true)).items;
      // Room for part of the image only, but more than the 5 % (410 KiB) a paused sync waits for.
      const ballast = await fillCompletely(fs.mnt);
      const { truncate, stat, statfs } = await import('node:fs/promises');
      await truncate(ballast, (await stat(ballast)).size - Math.floor(image!.size_bytes * 0.6));
      await expect(engine.sync('a1', client)).rejects.toMatchObject({ code: 'station_disk_full' });
      // Whatever reached the disk is kept as the partial copy: the disk stays full.
      const parts = readdirSync(join(station, 'media'), { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.part'),
      );
      expect(parts).toHaveLength(1);
      expect(statSync(join(station, 'media', parts[0]!)).size).toBe(seen.bytes);
      expect(seen.bytes).toBeGreaterThan(0);
      const free = await statfs(fs.mnt);
      expect(free.bavail * free.bsize).toBeLessThan(0.05 * free.blocks * free.bsize);
      // So the next sync is refused without resuming (which would ask the camera for the image again).
      const before = seen.bytes;
      await expect(engine.sync('a1', client)).rejects.toMatchObject({ code: 'station_disk_full' });
      expect(seen.resumed).toBe(0);
      expect(seen.bytes).toBe(before);
      // With room, the copy resumes after the prefix and is verified.
      await rm(ballast);
      const r = await engine.sync('a1', client);
      expect(r.failed).toBe(0);
      expect(seen.resumed).toBe(1);
      expect(seen.bytes).toBe(image!.size_bytes);
      expect(repo.page({ limit: 10 }).items.map((c) => c.captureId)).toEqual([image!.capture_id]);
      db.close();
      await rm(station, { recursive: true, force: true });
    });

    it('a whole station raises one station_disk_full alert, keeps answering, and resolves it when there is room', async () => {
      const { startStation } = await import('../../src-main/brain/index.js');
      await rm(join(fs.mnt, 'station'), { recursive: true, force: true }); // the test before's gallery
      const dataDir = join(fs.mnt, 'station-2');
      const st = await startStation({ dataDir, embeddedAgent: false, discovery: false });
      try {
        // New captures on the camera, then a disk with room for the station's database but not for an image.
        const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
        for (let i = 0; i < 3; i++) await client.capture({ iso: 25600, shutter_speed: '1/30' });
        const ballast = await fillCompletely(fs.mnt);
        const { truncate, stat } = await import('node:fs/promises');
        await truncate(ballast, (await stat(ballast)).size - 384 * 1024);
        const { id: agentId } = await st.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token });
        await expect(st.call('syncAgent', { agentId })).rejects.toMatchObject({ code: 'station_disk_full' });
        await expect(st.call('syncAgent', { agentId })).rejects.toMatchObject({ code: 'station_disk_full' });
        const open = (await st.call('listAlerts', {})).filter(
          (a) => a.code === 'station_disk_full' && a.resolvedAt === null,
        );
        expect(open).toHaveLength(1);
        expect(open[0]!.level).toBe('error');
        // Still serving the UI's calls while paused.
        expect((await st.call('health', {})).status).toBe('ok');
        await rm(ballast);
        await st.call('syncAgent', { agentId });
        const after = (await st.call('listAlerts', {})).filter((a) => a.code === 'station_disk_full');
        expect(after.every((a) => a.resolvedAt !== null)).toBe(true);
        expect((await st.call('listCaptures', { agentId, limit: 10 })).items).toHaveLength(3);
      } finally {
        await st.close();
      }
    });
  });
});
