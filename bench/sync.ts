/**
 * sync_vs_curl_ratio: the station's sync engine pulling captures from a real
 * agent process over loopback (download, sha256 verify, fsync, rename, folder
 * fsync, index, acknowledge) against curl fetching the same URLs from the same
 * agent into files on the same disk.
 *
 * Like for like: the engine makes every copy durable before it indexes or
 * acknowledges it (fsync of the file, and of its folder after the rename), so
 * the reference is curl followed by `sync FILE… DIR` (coreutils fsyncs each
 * file and the folder). The ratio to curl alone (bytes left in the page cache)
 * is reported beside it.
 *
 * curl runs twice per round: one process with every URL on one kept-alive
 * connection, and one process with `--parallel --parallel-max N` (N = the
 * engine's concurrency). The faster of the two is the reference, so the ratio
 * never flatters the engine.
 *
 * The machine is shared, so one measurement means little: each round restores
 * the agent's data folder from a snapshot (the same unsynced captures), starts
 * the agent, warms it with one untimed curl pass, then times curl, the engine,
 * and curl again (the round's reference is the mean of the two curls, so load
 * that drifts during the round weighs on both sides alike). Before every timed
 * step the file system's dirty pages are written back (`sync -f`), so no step
 * pays for another's writes (the restored snapshot, curl's files). Round 0 is
 * a warm-up and is dropped. The result is the median of the per-round ratios,
 * with their spread.
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
import { FileHasher, HASHER_NICE, HASHER_THREADS } from '../src-main/sync/file-hasher.js';
import { SYNC_CONCURRENCY, SyncEngine } from '../src-main/sync/sync-engine.js';
import { createLogger } from '../src-main/util/log.js';
import { startAgentProcess, type RunningProcess } from '../tests/helpers/processes.js';
import { percentile, result, type BenchResult } from './lib.js';

const execFileP = promisify(execFile);
const CAPTURES = Number(process.env['SKYSTATION_BENCH_SYNC_CAPTURES'] ?? 120);
/** Measured rounds (one warm-up round more is run and dropped): single rounds range ±15 % on a shared machine. */
const ROUNDS = Number(process.env['SKYSTATION_BENCH_SYNC_ROUNDS'] ?? 9);
/** The Raspberry Pi HQ camera's full frame (12.3 MP). */
const RESOLUTION = '4056x3040';

type Agent = RunningProcess & { port: number; token?: string };

function clientFor(agent: Agent): AgentClient {
  return new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 60_000 });
}

interface CurlTime {
  /** Until curl exited: bytes in the page cache. */
  downloadMs: number;
  /** Until every file and the folder were fsynced as well. */
  durableMs: number;
}

/** Writes back every dirty page of the file system holding `dir`, so the next timed step starts clean. */
async function settle(dir: string): Promise<void> {
  await execFileP('sync', ['--file-system', dir]);
}

/** One curl process fetching every capture into its own file; `parallel`: that many connections, else one. */
async function curlAll(agent: Agent, ids: readonly string[], root: string, parallel: number): Promise<CurlTime> {
  const outDir = await mkdtemp(join(root, 'curl-'));
  try {
    await settle(root);
    const lines: string[] = [];
    if (agent.token) lines.push(`header = "Authorization: Bearer ${agent.token}"`);
    const files = ids.map((id) => join(outDir, `${id}.jpg`));
    ids.forEach((id, i) => {
      lines.push(`url = "http://127.0.0.1:${agent.port}/captures/${id}/file"`);
      lines.push(`output = "${files[i]!}"`);
    });
    const config = join(outDir, 'curl.cfg');
    await writeFile(config, `${lines.join('\n')}\n`);
    const args = ['--silent', '--fail', '--config', config];
    if (parallel > 1) args.unshift('--parallel', '--parallel-max', String(parallel));
    const t0 = performance.now();
    await execFileP('curl', args);
    const downloadMs = performance.now() - t0;
    await execFileP('sync', [...files, outDir]);
    return { downloadMs, durableMs: performance.now() - t0 };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

interface Round {
  /** The faster curl (one connection or parallel), downloaded and fsynced. */
  curlDurableMs: number;
  /** The faster curl, download only. */
  curlDownloadMs: number;
  /** How many of the round's two curl measurements the parallel curl won. */
  parallelWins: number;
  syncMs: number;
  /** From the start of the sync until every thumbnail and quality figure was made (last round only). */
  thumbsMs: number | null;
}

async function syncOnce(
  client: AgentClient,
  root: string,
  ids: readonly string[],
  hasher: FileHasher,
  waitThumbs: boolean,
) {
  const stationDir = await mkdtemp(join(root, 'station-'));
  const db = openDatabase(join(stationDir, 'gallery.sqlite'));
  try {
    const captures = new CapturesRepo(db);
    const log = createLogger(null, 'silent');
    await settle(root);
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
      hasher,
    });
    const t0 = performance.now();
    const r = await engine.sync('bench-agent', client);
    const syncMs = performance.now() - t0;
    let thumbsMs: number | null = null;
    if (waitThumbs) {
      await derivatives.idle();
      thumbsMs = performance.now() - t0;
    } else {
      // Thumbnails are not what is measured: stop them so they do not slow the next round.
      await derivatives.close();
    }
    if (r.imported !== ids.length || r.acknowledged !== ids.length || r.failed !== 0) {
      throw new Error(
        `sync imported ${r.imported} of ${ids.length} (${r.acknowledged} acknowledged, ${r.failed} failed)`,
      );
    }
    return { syncMs, thumbsMs };
  } finally {
    db.close();
    await rm(stationDir, { recursive: true, force: true });
  }
}

async function curlBest(agent: Agent, ids: readonly string[], root: string) {
  const one = await curlAll(agent, ids, root, 1);
  const par = await curlAll(agent, ids, root, SYNC_CONCURRENCY);
  const best = par.durableMs < one.durableMs ? par : one;
  return {
    curlDurableMs: best.durableMs,
    curlDownloadMs: Math.min(one.downloadMs, par.downloadMs),
    parallelWon: best === par,
  };
}

export async function benchSync(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'skys-bench-sync-'));
  const agentDir = join(root, 'agent');
  const snapshot = join(root, 'agent-snapshot');
  let agent: Agent = await startAgentProcess(agentDir, ['--sim-resolution', RESOLUTION]);
  let hasher: FileHasher | null = null;
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

    const rounds: Round[] = [];
    // One hashing worker for all rounds, as a running station has (the engine is new each round).
    hasher = new FileHasher();
    for (let round = 0; round <= ROUNDS; round++) {
      await rm(agentDir, { recursive: true, force: true });
      await cp(snapshot, agentDir, { recursive: true });
      agent = await startAgentProcess(agentDir, ['--sim-resolution', RESOLUTION]);
      client = clientFor(agent);
      // Warm the agent (JIT, page cache of its files) before anything is timed.
      await curlAll(agent, ids, root, 1);
      const before = await curlBest(agent, ids, root);
      const synced = await syncOnce(client, root, ids, hasher, round === ROUNDS);
      const after = await curlBest(agent, ids, root);
      await agent.stop();
      if (round > 0) {
        rounds.push({
          curlDurableMs: (before.curlDurableMs + after.curlDurableMs) / 2,
          curlDownloadMs: (before.curlDownloadMs + after.curlDownloadMs) / 2,
          parallelWins: Number(before.parallelWon) + Number(after.parallelWon),
          ...synced,
        });
      }
    }

    const mb = bytes / 1e6;
    const rate = (ms: number): number => mb / (ms / 1000);
    const ratios = rounds.map((r) => r.curlDurableMs / r.syncMs);
    const ratiosDownload = rounds.map((r) => r.curlDownloadMs / r.syncMs);
    const median = (xs: number[]): number => percentile(xs, 50);
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
    const parallelWins = rounds.reduce((n, r) => n + r.parallelWins, 0);
    const thumbs = rounds.at(-1)?.thumbsMs;
    return [
      result(
        'sync_vs_curl_ratio',
        median(ratios),
        'ratio',
        { text: '≥ 0.9', ok: (v) => v >= 0.9 },
        `${ids.length} captures at ${RESOLUTION}, ${mb.toFixed(0)} MB; median of ${rounds.length} rounds ` +
          `(min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}: ${fmt(ratios)}); ` +
          `medians: sync ${rate(median(rounds.map((r) => r.syncMs))).toFixed(0)} MB/s (sha256 verified on up to ${HASHER_THREADS} worker threads at nice ${HASHER_NICE}, fsynced, indexed, acknowledged) ` +
          `vs curl + fsync ${rate(median(rounds.map((r) => r.curlDurableMs))).toFixed(0)} MB/s ` +
          `(faster of one connection and ${SYNC_CONCURRENCY} parallel; parallel won ${parallelWins} of ${rounds.length * 2}); ` +
          `against curl without fsync (${rate(median(rounds.map((r) => r.curlDownloadMs))).toFixed(0)} MB/s) ` +
          `the ratio is ${median(ratiosDownload).toFixed(2)} (${fmt(ratiosDownload)}); ` +
          `thumbnails and quality figures follow in the background, all done after ${thumbs == null ? '?' : (thumbs / 1000).toFixed(1)} s`,
      ),
    ];
  } finally {
    await hasher?.close();
    await agent.stop();
    await rm(root, { recursive: true, force: true });
  }
}
