/**
 * A copy that does not match the agent's journal (sha256) is never moved
 * under its final name, indexed or acknowledged: the file on the agent is
 * damaged after capture (same size, one byte changed), the sync reports it
 * failed and leaves nothing behind, and once the file is whole again the next
 * sync imports it.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import type { CaptureRecord } from '../../src-main/agents/protocol.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { SyncEngine } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { filesUnder } from '../helpers/files.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token?: string };

describe('sync of a copy that does not verify', () => {
  let dir: string;
  let agent: Agent;
  let db: Db;
  let repo: CapturesRepo;
  let records: CaptureRecord[];
  const client = (): AgentClient =>
    new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 30_000 });
  const engine = (): SyncEngine =>
    new SyncEngine({
      captures: repo,
      mediaDir: join(dir, 'media'),
      log: createLogger(null, 'silent'),
      onImported: () => undefined,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sync-verify-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '1280x960']);
    for (let i = 0; i < 2; i++) await client().capture({ iso: 800, shutter_speed: '1/60' });
    records = (await client().listCaptures(0, 100, true)).items;
    db = openDatabase(join(dir, 'gallery.sqlite'));
    repo = new CapturesRepo(db);
  }, 120_000);

  afterAll(async () => {
    db?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the damaged capture out of the gallery and unacknowledged, then imports it once it is whole', async () => {
    expect(records).toHaveLength(2);
    const damaged = records[1]!;
    const onAgent = join(dir, 'agent', 'captures', damaged.file_name);
    const original = readFileSync(onAgent);
    const broken = Buffer.from(original);
    broken[broken.length >> 1]! ^= 0xff;
    writeFileSync(onAgent, broken);

    const first = await engine().sync('a1', client());
    expect(first).toEqual({ imported: 1, acknowledged: 1, failed: 1 });
    expect(repo.page({ limit: 100 }).items.map((c) => c.captureId)).toEqual([records[0]!.capture_id]);
    const media = join(dir, 'media');
    // Nothing of the damaged copy is left: no final name, no partial file to resume from.
    expect(
      filesUnder(media).filter((f) =>
        f.includes(
          damaged.file_name
            .split('/')
            .pop()!
            .replace(/\.jpg$/, ''),
        ),
      ),
    ).toEqual([]);
    expect((await client().listCaptures(0, 100, true)).items.map((c) => c.capture_id)).toEqual([damaged.capture_id]);

    writeFileSync(onAgent, original);
    const second = await engine().sync('a1', client());
    expect(second).toEqual({ imported: 1, acknowledged: 1, failed: 0 });
    for (const row of repo.page({ limit: 100 }).items) {
      const sha = createHash('sha256')
        .update(readFileSync(join(media, row.imagePath)))
        .digest('hex');
      expect(sha).toBe(row.sha256);
    }
    expect(repo.page({ limit: 100 }).items).toHaveLength(2);
    expect((await client().listCaptures(0, 100, true)).items).toEqual([]);
  }, 120_000);
});
