/**
 * Issue 13: "Capture now" pulls its frame first. The capture reply names the
 * new frame; sync(agentId, client, { first }) copies, indexes and acknowledges
 * it at once, beside a run in flight that is still copying a backlog of 200
 * older captures, and the backlog follows. No file is downloaded twice, even
 * when a run in flight and the first-copy race for the same capture.
 *
 * The agent is a real process; the station's own client has its downloads of
 * backlog captures held at a gate the test opens, so "before the backlog
 * finishes" is a fact of the order of events, not of timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { SyncEngine, seqOfCaptureId } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token: string };

const BACKLOG = 200;

describe('a capture copied first', () => {
  let dir: string;
  let agent: Agent;
  const dbs: Db[] = [];

  const engineFor = (name: string): { engine: SyncEngine; repo: CapturesRepo } => {
    const db = openDatabase(join(dir, `${name}.sqlite`));
    dbs.push(db);
    const repo = new CapturesRepo(db);
    const engine = new SyncEngine({
      captures: repo,
      mediaDir: join(dir, name),
      log: createLogger(null),
      onImported: () => undefined,
    });
    return { engine, repo };
  };

  /** The station's client; downloads of every capture but `free` wait at the gate until it opens. */
  const gatedClient = (
    downloads: Map<string, number>,
  ): { client: AgentClient; free: Set<string>; open: () => void; waiting: () => number } => {
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 60_000 });
    const download = client.download.bind(client);
    const free = new Set<string>();
    let opened = false;
    let waiters: (() => void)[] = [];
    client.download = async (captureId, ...rest) => {
      downloads.set(captureId, (downloads.get(captureId) ?? 0) + 1);
      if (!opened && !free.has(captureId)) await new Promise<void>((resolve) => waiters.push(resolve));
      return download(captureId, ...rest);
    };
    return {
      client,
      free,
      open: () => {
        opened = true;
        for (const w of waiters) w();
        waiters = [];
      },
      waiting: () => waiters.length,
    };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sync-first-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '320x240']);
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
    for (let i = 0; i < BACKLOG; i++) await client.capture({ iso: 800, shutter_speed: '1/60' });
  }, 180_000);

  afterAll(async () => {
    for (const db of dbs) db.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the new frame in the gallery while a backlog of 200 is still being copied, then the backlog', async () => {
    const { engine, repo } = engineFor('a');
    const downloads = new Map<string, number>();
    const gate = gatedClient(downloads);
    // A run in flight, stuck on its first backlog downloads.
    const backlog = engine.sync('a1', gate.client);
    await until(
      () => gate.waiting(),
      (n) => n > 0,
      30_000,
    );

    const shot = await gate.client.capture({ iso: 1600, shutter_speed: '1/30' });
    expect(shot.seq).toBeGreaterThan(BACKLOG);
    gate.free.add(shot.capture_id);
    const first = await engine.sync('a1', gate.client, { first: [shot] });
    expect(first).toEqual({ imported: 1, acknowledged: 1, failed: 0 });
    // In the gallery, with its thumbnail, while no capture of the backlog is.
    const row = repo.get('a1', shot.capture_id);
    expect(row).toMatchObject({ iso: 1600, shutterSpeed: '1/30', sha256: shot.sha256 });
    expect(row!.meanBrightness).not.toBeNull();
    expect(repo.count()).toBe(1);
    expect(gate.waiting()).toBeGreaterThan(0);

    gate.open();
    await backlog;
    // The backlog run and the one asked after the first copy finish; everything is in once.
    await until(
      () => repo.count(),
      (n) => n === BACKLOG + 1,
      120_000,
    );
    await until(
      async () => (await gate.client.listCaptures(0, 10, true)).items.length,
      (n) => n === 0,
      60_000,
    );
    expect(downloads.get(shot.capture_id)).toBe(1);
    expect([...downloads.values()].every((n) => n === 1)).toBe(true);
    expect(downloads.size).toBe(BACKLOG + 1);
  }, 240_000);

  it('downloads a capture once when a run in flight and the first-copy race for it', async () => {
    const { engine, repo } = engineFor('b');
    const downloads = new Map<string, number>();
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
    const download = client.download.bind(client);
    client.download = (captureId, ...rest) => {
      downloads.set(captureId, (downloads.get(captureId) ?? 0) + 1);
      return download(captureId, ...rest);
    };
    for (let round = 0; round < 5; round++) {
      const shot = await client.capture({ iso: 400, shutter_speed: '1/125' });
      const [general, first] = await Promise.all([
        engine.sync('a1', client),
        engine.sync('a1', client, { first: [{ capture_id: shot.capture_id, sha256: shot.sha256 }] }),
      ]);
      expect(general.failed + first.failed).toBe(0);
      expect(repo.get('a1', shot.capture_id)?.sha256).toBe(shot.sha256);
      expect(downloads.get(shot.capture_id)).toBe(1);
    }
  }, 120_000);

  it('reads the journal position from a capture id when the agent does not say it', () => {
    expect(seqOfCaptureId('20250621T223000000Z_roof-cam_42')).toBe(42);
    expect(seqOfCaptureId('20250621T223000000Z_cam_7_r9')).toBeNull();
    expect(seqOfCaptureId('no-number')).toBeNull();
  });
});
