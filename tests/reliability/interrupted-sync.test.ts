/**
 * Issue 16, finding 4: a sync through a slow link (5 MB/s) whose station is
 * SIGKILLed shortly after every start keeps its progress. Each verified copy is
 * committed (gallery row + acknowledgement) within a moment, a verified copy
 * already in originals/ is adopted after re-hashing, and a partial one resumes
 * with a Range request, so across all the interrupted runs the link carries
 * the images once plus, per kill, only the bytes that had not reached the disk.
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
import { openDatabase } from '../../src-main/db/database.js';
import { SYNC_CONCURRENCY } from '../../src-main/sync/sync-engine.js';
import { ROOT, run, SIM_MIDNIGHT, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token: string };

const RATE_BYTES_PER_S = 5_000_000;
const CAPTURES = 16;
/** Bytes a run may move before it is killed. */
const CUT_BYTES = 8_000_000;

interface SlowRelay {
  port: number;
  moved: () => number;
  /**
   * Let only `bytes` more through, then hold the link: the returned promise resolves when they have crossed it.
   * The cut is made here, on the byte that spends the budget, not by a poll that a loaded host runs late.
   */
  cutAfter: (bytes: number) => Promise<void>;
  close: () => Promise<void>;
}

/** A loopback relay that passes the agent's answers at `rate` bytes/s and counts them. */
async function slowRelay(port: number, rate: number): Promise<SlowRelay> {
  let moved = 0;
  let cutAt = Infinity;
  let onCut: (() => void) | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = createConnection({ host: '127.0.0.1', port });
    sockets.add(down).add(up);
    down.on('close', () => sockets.delete(down));
    up.on('close', () => sockets.delete(up));
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    down.on('data', (chunk: Buffer) => up.write(chunk));
    // A link, not a buffer: what the station does not take stays with the agent (TCP flow control), so
    // `moved` counts bytes handed to the station's socket, not bytes queued in this relay.
    up.on('data', (chunk: Buffer) => {
      up.pause();
      // Past the cut the link holds: the chunk never reaches the station, and the upstream stays paused until the
      // station's end closes.
      if (moved >= cutAt) return;
      moved += chunk.length;
      if (moved >= cutAt) {
        onCut?.();
        onCut = null;
      }
      const resume = (): void => void setTimeout(() => up.resume(), (chunk.length / rate) * 1000);
      if (down.write(chunk)) resume();
      else down.once('drain', resume);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    moved: () => moved,
    cutAfter: (bytes) =>
      new Promise<void>((resolve) => {
        cutAt = moved + bytes;
        onCut = resolve;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a sync killed again and again through a slow link', () => {
  let dir: string;
  let agent: Agent;
  let records: CaptureRecord[];
  let totalBytes = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sync-cut-'));
    // Noisy 6 MP frames (ISO 25600 at the camera's midnight), over a megabyte each; by day they fit in one run.
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '3000x2000', ...SIM_MIDNIGHT]);
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 60_000 });
    for (let i = 0; i < CAPTURES; i++) await client.capture({ iso: 25600, shutter_speed: '1/30' });
    records = (await client.listCaptures(0, 100, true)).items;
    totalBytes = records.reduce((n, r) => n + r.size_bytes, 0);
  }, 180_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every verified copy: a kill costs only the bytes the client held in memory', async () => {
    expect(records).toHaveLength(CAPTURES);
    const relay = await slowRelay(agent.port, RATE_BYTES_PER_S);
    const media = join(dir, 'media');
    const gallery = join(dir, 'gallery.sqlite');
    const args = [
      '--import',
      'tsx',
      join(ROOT, 'tests/reliability/sync-child.ts'),
      String(relay.port),
      agent.token,
      media,
      gallery,
    ];
    const indexed = (): number => {
      const db = openDatabase(gallery);
      try {
        return new CapturesRepo(db).page({ limit: 100 }).items.length;
      } finally {
        db.close();
      }
    };
    let cycles = 0;
    let completed = false;
    let kills = 0;
    let grew = 0;
    let indexedBefore = 0;
    /** Each run's result line (or how it ended) and its warnings, for the failure messages. */
    const runs: string[] = [];
    try {
      // Each run is killed mid-transfer: once it has moved CUT_BYTES (several images; the link then holds, so no run
      // can move more), or 3 s after its first byte crossed the link, whichever comes first.
      for (; cycles < 20 && !completed; cycles++) {
        const startedWith = relay.moved();
        const spent = relay.cutAfter(CUT_BYTES);
        const child = run(process.execPath, args);
        const exited = new Promise<number | null>((resolve) => child.child.once('exit', resolve));
        const first = await Promise.race([
          until(
            () => relay.moved(),
            (m) => m > startedWith,
            60_000,
          ).then(() => 'moving' as const),
          exited.then(() => 'exited' as const),
        ]);
        if (first === 'moving') {
          const cut = await Promise.race([
            spent.then(() => true),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 3000)),
            exited.then(() => false),
          ]);
          if (cut) child.child.kill('SIGKILL');
        }
        await exited;
        if (child.child.signalCode === 'SIGKILL') {
          kills++;
          const n = indexed();
          if (n > indexedBefore) grew++;
          indexedBefore = n;
        }
        const line = child.stdout.find((l) => l.startsWith('{'));
        runs.push(`run ${cycles + 1}: ${line ?? `ended by ${child.child.signalCode ?? child.child.exitCode}`}`);
        runs.push(...child.stderr.slice(-10).map((l) => `  ${l}`));
        completed = line?.startsWith('{"imported"') === true;
      }
    } finally {
      await relay.close();
    }
    expect(completed, `the sync finished within ${cycles} runs`).toBe(true);
    // No run moves more than CUT_BYTES (plus the chunk that spent it), so the images alone need three runs.
    expect(totalBytes, 'the images fill more than two runs').toBeGreaterThan(2 * CUT_BYTES + 1024 * 1024);
    expect(cycles, `the sync was cut short at least twice (${relay.moved()} bytes moved)`).toBeGreaterThanOrEqual(3);
    expect(indexed(), runs.join('\n')).toBe(CAPTURES);
    const ratio = relay.moved() / totalBytes;
    console.log(
      `interrupted sync: ${cycles} runs (${kills} killed), ${relay.moved()} bytes moved for ${totalBytes} bytes of images (${ratio.toFixed(3)}, target 1.1)`,
    );
    // Each killed run kept what it had verified: the gallery grew from run to run.
    expect(grew, `the gallery grew in ${grew} of ${kills} killed runs`).toBeGreaterThanOrEqual(Math.ceil(kills / 2));
    // The issue's target is 1.1 (measured here: 1.07 over 4 kills; it was 1.41 while each run asked for files it then
    // dropped, adopted or resumed, and its reader held up to a MiB per download before writing it). What a kill still
    // costs is what each of the SYNC_CONCURRENCY downloads held in memory or in socket buffers: the bytes of the last
    // ~50 ms (lean-get's partial blocks, the engine's write batches), at 5 MB/s a quarter MiB each. Bounded here at
    // one MiB each, since a heavily loaded machine fires those timers late (the old code lost about two MiB each), plus
    // the list and reply heads: nothing verified or written is fetched again, and no request is sent only to be dropped.
    // The ratio itself is printed above; the figure against the target is the README's, from a quiet machine.
    const allowed = totalBytes + kills * SYNC_CONCURRENCY * 1024 * 1024 + cycles * 64 * 1024;
    expect(relay.moved()).toBeLessThanOrEqual(allowed);
    const db = openDatabase(gallery);
    try {
      for (const row of new CapturesRepo(db).page({ limit: 100 }).items) {
        const sha = createHash('sha256')
          .update(readFileSync(join(media, row.imagePath)))
          .digest('hex');
        expect(sha).toBe(row.sha256);
      }
    } finally {
      db.close();
    }
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 60_000 });
    expect((await client.listCaptures(0, 100, true)).items).toEqual([]);
  }, 300_000);
});
