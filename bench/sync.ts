/**
 * sync_vs_curl_ratio: the station's sync engine pulling captures from a real
 * agent process over loopback (download, sha256 verify, fsync, rename,
 * thumbnail, index, acknowledge) against curl downloading the same files in
 * one process with a kept-alive connection (bytes to disk, nothing else).
 *
 * Each round restores the agent's data folder from a snapshot, so curl and the
 * sync engine see the same unsynced captures every time.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AgentClient } from '../src-main/agents/agent-client.js';
import { openDatabase } from '../src-main/db/database.js';
import { CapturesRepo } from '../src-main/db/captures-repo.js';
import { DerivativesQueue } from '../src-main/media/derivatives.js';
import { SyncEngine } from '../src-main/sync/sync-engine.js';
import { createLogger } from '../src-main/util/log.js';
import { startAgentProcess, type RunningProcess } from '../tests/helpers/processes.js';
import { result, type BenchResult } from './lib.js';

const execFileP = promisify(execFile);
const CAPTURES = Number(process.env['SKYSTATION_BENCH_SYNC_CAPTURES'] ?? 120);
const ROUNDS = 3;
/** The Raspberry Pi HQ camera's full frame (12.3 MP). */
const RESOLUTION = '4056x3040';

type Agent = RunningProcess & { port: number; token?: string };

function clientFor(agent: Agent): AgentClient {
  return new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 60_000 });
}

async function curlAll(agent: Agent, ids: string[], outDir: string): Promise<number> {
  // One curl process, every URL on one kept-alive connection, each to its own file.
  const lines: string[] = [];
  if (agent.token) lines.push(`header = "Authorization: Bearer ${agent.token}"`);
  for (const id of ids) {
    lines.push(`url = "http://127.0.0.1:${agent.port}/captures/${id}/file"`);
    lines.push(`output = "${join(outDir, `${id}.jpg`)}"`);
  }
  const config = join(outDir, 'curl.cfg');
  await writeFile(config, `${lines.join('\n')}\n`);
  const t0 = performance.now();
  await execFileP('curl', ['--silent', '--fail', '--config', config]);
  return performance.now() - t0;
}

export async function benchSync(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'skys-bench-sync-'));
  const agentDir = join(root, 'agent');
  const snapshot = join(root, 'agent-snapshot');
  let agent: Agent = await startAgentProcess(agentDir, ['--sim-resolution', RESOLUTION]);
  try {
    let client = clientFor(agent);
    for (let i = 0; i < CAPTURES; i++) {
      await client.capture({ iso: 1600, shutter_speed: '1/60' });
    }
    const listed = await client.listCaptures(0, 1000, true);
    const ids = listed.items.map((c) => c.capture_id);
    const bytes = listed.items.reduce((n, c) => n + c.size_bytes, 0);
    await agent.stop();
    await cp(agentDir, snapshot, { recursive: true });

    const curlMs: number[] = [];
    const syncMs: number[] = [];
    const thumbsMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await rm(agentDir, { recursive: true, force: true });
      await cp(snapshot, agentDir, { recursive: true });
      agent = await startAgentProcess(agentDir, ['--sim-resolution', RESOLUTION]);
      client = clientFor(agent);

      const curlDir = await mkdtemp(join(root, 'curl-'));
      curlMs.push(await curlAll(agent, ids, curlDir));
      await rm(curlDir, { recursive: true, force: true });

      const stationDir = await mkdtemp(join(root, 'station-'));
      const db = openDatabase(join(stationDir, 'gallery.sqlite'));
      const captures = new CapturesRepo(db);
      const log = createLogger(null, 'silent');
      const derivatives = new DerivativesQueue({
        captures,
        mediaDir: join(stationDir, 'media'),
        log,
        onReady: () => undefined,
      });
      const engine = new SyncEngine({
        captures,
        mediaDir: join(stationDir, 'media'),
        log,
        derivatives,
        onImported: () => undefined,
      });
      const t0 = performance.now();
      const r = await engine.sync('bench-agent', client);
      syncMs.push(performance.now() - t0);
      await derivatives.idle();
      thumbsMs.push(performance.now() - t0);
      db.close();
      if (r.imported !== ids.length || r.failed !== 0) {
        throw new Error(`sync imported ${r.imported} of ${ids.length} (${r.failed} failed)`);
      }
      await agent.stop();
      await rm(stationDir, { recursive: true, force: true });
    }
    const best = (xs: number[]): number => Math.min(...xs);
    const mb = bytes / 1e6;
    const curlRate = mb / (best(curlMs) / 1000);
    const syncRate = mb / (best(syncMs) / 1000);
    return [
      result(
        'sync_vs_curl_ratio',
        syncRate / curlRate,
        'ratio',
        { text: '≥ 0.9', ok: (v) => v >= 0.9 },
        `${ids.length} captures at ${RESOLUTION}, ${mb.toFixed(0)} MB; best of ${ROUNDS}: sync ${syncRate.toFixed(0)} MB/s ` +
          `(sha256 verified, fsynced, indexed, acknowledged) vs curl ${curlRate.toFixed(0)} MB/s (download only); ` +
          `thumbnails and quality figures follow in the background, all done after ${(best(thumbsMs) / 1000).toFixed(1)} s`,
      ),
    ];
  } finally {
    await agent.stop();
    await rm(root, { recursive: true, force: true });
  }
}
