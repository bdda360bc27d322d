/**
 * Live preview benchmarks (issue 4): a real agent process (the built one,
 * agent/dist, as on a Pi; the TypeScript source through tsx when not built),
 * 1 and 5 WebSocket viewers on /preview at 1280×720. Latency is the client's
 * receive time minus the frame's capture time from its header; both sides use
 * performance.timeOrigin + performance.now() on the same machine.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { decodePreviewFrame } from '../agent/src/protocol/index.js';
import { run, waitForLine, type RunningProcess } from '../tests/helpers/processes.js';
import { percentile, result, type BenchResult } from './lib.js';

const ROOT = join(import.meta.dirname, '..');

/** The newest modification time of the agent's TypeScript sources (specs excluded). */
function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** agent/dist/cli.js when it is built and newer than every source file, else null. */
export function freshBuiltAgent(): string | null {
  const built = join(ROOT, 'agent/dist/cli.js');
  if (!existsSync(built)) return null;
  return statSync(built).mtimeMs >= newestSourceMs(join(ROOT, 'agent/src')) ? built : null;
}

export interface BenchAgent {
  proc: RunningProcess;
  port: number;
  token: string;
  pid: number;
  built: boolean;
  stop(): Promise<void>;
}

/** Starts an agent for a benchmark: agent/dist/cli.js when built, else the source through tsx. */
export async function startBenchAgent(
  extra: string[] = [],
  opts: { env?: Record<string, string>; nodeFlags?: string[] } = {},
): Promise<BenchAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'skys-bench-agent-'));
  const built = freshBuiltAgent();
  const entry = built ? [built] : ['--import', 'tsx', join(ROOT, 'agent/src/cli.ts')];
  const proc = run(
    process.execPath,
    [
      ...(opts.nodeFlags ?? []),
      ...entry,
      '--camera',
      'simulated',
      '--data-dir',
      dir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--no-mdns',
      ...extra,
    ],
    opts.env,
  );
  const line = await waitForLine(proc, /"event":"listening"/);
  const port = (JSON.parse(line) as { port: number }).port;
  const token = readFileSync(join(dir, 'auth', 'admin.token'), 'utf8').trim();
  return {
    proc,
    port,
    token,
    pid: proc.child.pid!,
    built: built !== null,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ViewerStats {
  frames: number;
  firstAt: number;
  lastAt: number;
  latencies: number[];
  bytes: number;
}

/** Opens `n` viewers and collects frames for `ms` after a warm-up. */
export async function watchPreview(
  agent: BenchAgent,
  n: number,
  ms: number,
  warmupMs = 2_000,
): Promise<{ viewers: ViewerStats[]; seconds: number; close(): void }> {
  const sockets: WebSocket[] = [];
  const viewers: ViewerStats[] = [];
  let measuring = false;
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/preview`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    const stats: ViewerStats = { frames: 0, firstAt: 0, lastAt: 0, latencies: [], bytes: 0 };
    ws.on('message', (data: Buffer) => {
      const received = performance.timeOrigin + performance.now();
      if (!measuring) return;
      const frame = decodePreviewFrame(data);
      if (stats.frames === 0) stats.firstAt = received;
      stats.lastAt = received;
      stats.frames++;
      stats.bytes += data.length;
      stats.latencies.push(received - frame.capturedAtMs);
    });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    sockets.push(ws);
    viewers.push(stats);
  }
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  return { viewers, seconds, close: () => sockets.forEach((s) => s.close()) };
}

export async function benchPreview(seconds = 8): Promise<BenchResult[]> {
  const agent = await startBenchAgent();
  const out: BenchResult[] = [];
  const how = agent.built ? 'agent/dist' : 'agent source via tsx (dist missing or older than the source)';
  try {
    for (const [n, fpsTarget, latTarget] of [
      [1, 25, 100],
      [5, 15, 150],
    ] as const) {
      const w = await watchPreview(agent, n, seconds * 1000);
      w.close();
      // Frames per second between the first and the last frame each viewer received.
      const fps = Math.min(...w.viewers.map((v) => (v.frames - 1) / ((v.lastAt - v.firstAt) / 1000)));
      const all = w.viewers.flatMap((v) => v.latencies);
      const kb = w.viewers.reduce((s, v) => s + v.bytes, 0) / Math.max(1, all.length) / 1024;
      const notes = `${how}; 1280×720 JPEG ~${kb.toFixed(0)} KB/frame; ${n} viewer(s) for ${w.seconds.toFixed(1)} s; fps is the slowest viewer's; p50 ${percentile(all, 50).toFixed(1)} ms`;
      out.push(
        result(`preview_${n}_fps`, fps, 'fps', { text: `≥ ${fpsTarget}`, ok: (v) => v >= fpsTarget }, notes),
        result(
          `preview_${n}_latency_p95_ms`,
          percentile(all, 95),
          'ms',
          { text: `≤ ${latTarget}`, ok: (v) => v <= latTarget },
          `capture → client receive over ${all.length} frames`,
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await agent.stop();
  }
  return out;
}
