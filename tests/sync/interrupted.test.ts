/**
 * Sync with the agent killed mid-download: the partial copy is never under its
 * final name, nothing is indexed that did not verify, and the next sync resumes
 * the partial file with a Range request instead of starting over, imports
 * every capture exactly once and leaves nothing unsynced on the agent.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import type { CaptureRecord } from '../../src-main/agents/protocol.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { SyncEngine, type SyncResult } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { filesUnder } from '../helpers/files.js';
import { SIM_MIDNIGHT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token?: string };

/**
 * A loopback TCP relay in front of the agent that passes at most `budget` bytes of
 * responses, then SIGKILLs the agent and cuts every connection. The kernel's socket
 * buffers can hold a whole frame, so killing the agent on the station's byte count
 * alone may let the interrupted file finish; the relay makes the cut land exactly
 * where the test asks for it.
 */
async function cuttingRelay(
  target: () => Agent,
  budget: number,
): Promise<{ port: number; killed: () => Promise<number | null> | null; close: () => Promise<void> }> {
  let passed = 0;
  let killed: Promise<number | null> | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = createConnection({ host: '127.0.0.1', port: target().port });
    sockets.add(down).add(up);
    down.on('close', () => sockets.delete(down));
    up.on('close', () => sockets.delete(up));
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('data', (chunk: Buffer) => up.write(chunk));
    up.on('data', (chunk: Buffer) => {
      if (killed !== null) return;
      const room = budget - passed;
      if (chunk.length < room) {
        passed += chunk.length;
        down.write(chunk);
        return;
      }
      passed = budget;
      down.write(chunk.subarray(0, room), () => {
        for (const s of sockets) s.destroy();
      });
      killed = target().stop('SIGKILL');
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    killed: () => killed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('sync with the agent killed mid-download', () => {
  let dir: string;
  let agent: Agent;
  let db: Db;
  let repo: CapturesRepo;
  let records: CaptureRecord[];
  let totalBytes = 0;
  let downloaded = 0;
  const client = (port = agent.port): AgentClient =>
    new AgentClient({ host: '127.0.0.1', port }, { token: agent.token, timeoutMs: 30_000 });
  const engine = (): SyncEngine =>
    new SyncEngine({
      captures: repo,
      mediaDir: join(dir, 'media'),
      log: createLogger(null, 'silent'),
      concurrency: 1,
      onBytes: (n) => {
        downloaded += n;
      },
      onImported: () => undefined,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sync-kill-'));
    // Noisy 6 MP frames (ISO 25600 at the camera's midnight, over a megabyte each) so the cut lands well inside the second file.
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '3000x2000', ...SIM_MIDNIGHT]);
    for (let i = 0; i < 3; i++) await client().capture({ iso: 25600, shutter_speed: '1/30' });
    records = (await client().listCaptures(0, 100, true)).items;
    totalBytes = records.reduce((n, r) => n + r.size_bytes, 0);
    db = openDatabase(join(dir, 'gallery.sqlite'));
    repo = new CapturesRepo(db);
  }, 120_000);

  afterAll(async () => {
    db?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only verified copies, resumes the partial one and imports everything exactly once', async () => {
    expect(records).toHaveLength(3);
    // Kill the agent once about half of the second file has arrived (the list and the
    // headers take a few kilobytes of the budget).
    const relay = await cuttingRelay(() => agent, records[0]!.size_bytes + Math.floor(records[1]!.size_bytes / 2));
    let first: SyncResult | Error;
    try {
      first = await engine().sync('a1', client(relay.port));
    } catch (err) {
      first = err as Error;
    } finally {
      await relay.close();
    }
    expect(relay.killed(), 'the agent was killed during the first sync').not.toBeNull();
    await relay.killed();
    // Whatever the first run managed, nothing unverified is in the gallery or under a final name.
    const indexed = repo.page({ limit: 100 }).items;
    expect(indexed.length).toBeLessThan(3);
    const media = join(dir, 'media');
    const finals = filesUnder(join(media, 'originals')).filter((f) => f.endsWith('.jpg'));
    const parts = filesUnder(join(media, 'originals')).filter((f) => f.endsWith('.part'));
    for (const f of finals) {
      const sha = createHash('sha256').update(readFileSync(f)).digest('hex');
      expect(records.map((r) => r.sha256)).toContain(sha);
    }
    expect(
      parts.length,
      `a partial download is kept for resuming (${first instanceof Error ? first.message : JSON.stringify(first)})`,
    ).toBe(1);
    const downloadedBefore = downloaded;
    expect(downloadedBefore).toBeLessThan(totalBytes);

    // The agent comes back (same data folder, new port); the next sync finishes the job.
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '3000x2000', ...SIM_MIDNIGHT]);
    const second = await engine().sync('a1', client());
    expect(second.failed).toBe(0);
    // Resumed, not restarted: every byte was written once.
    expect(downloaded).toBe(totalBytes);
    const all = repo.page({ limit: 100 }).items;
    expect(all.map((c) => c.captureId).sort()).toEqual(records.map((r) => r.capture_id).sort());
    for (const row of all) {
      const sha = createHash('sha256')
        .update(readFileSync(join(media, row.imagePath)))
        .digest('hex');
      expect(sha).toBe(row.sha256);
    }
    expect(filesUnder(join(media, 'originals')).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect((await client().listCaptures(0, 100, true)).items).toEqual([]);

    // A third run imports nothing twice.
    const third = await engine().sync('a1', client());
    expect(third).toEqual({ imported: 0, acknowledged: 0, failed: 0 });
    expect(repo.page({ limit: 100 }).items).toHaveLength(3);
  }, 120_000);
});
