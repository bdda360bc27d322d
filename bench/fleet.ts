/**
 * fleet_event_loop_lag_p99_ms: 20 real agent processes, each capturing every
 * 5 s (staggered, as their own plans would), into one station running in this
 * process: event streams, status polling, sync on every capture.done,
 * verification, indexing and thumbnails. The station's event-loop delay is
 * sampled at 1 ms resolution (the resolution is subtracted) while the fleet runs,
 * and the sync backlog is sampled every second to show it stays bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AgentClient } from '../src-main/agents/agent-client.js';
import { startStation, type Station } from '../src-main/brain/index.js';
import { startAgentProcess, type RunningProcess } from '../tests/helpers/processes.js';
import { result, type BenchResult } from './lib.js';

const AGENTS = Number(process.env['SKYSTATION_BENCH_FLEET_AGENTS'] ?? 20);
const SECONDS = Number(process.env['SKYSTATION_BENCH_FLEET_SECONDS'] ?? 60);
const INTERVAL_MS = 5_000;

type Agent = RunningProcess & { port: number; token: string };

export async function benchFleet(): Promise<BenchResult[]> {
  const root = await mkdtemp(join(tmpdir(), 'skys-bench-fleet-'));
  const agents: Agent[] = [];
  let station: Station | null = null;
  const timers: NodeJS.Timeout[] = [];
  try {
    for (let i = 0; i < AGENTS; i++) {
      agents.push(await startAgentProcess(join(root, `agent-${i}`), ['--name', `cam-${i}`]));
    }
    station = await startStation({
      dataDir: join(root, 'station'),
      embeddedAgent: false,
      discovery: false,
      pollIntervalMs: 2_000,
    });
    const ids: string[] = [];
    for (const a of agents) {
      const view = await station.call('addAgent', { host: '127.0.0.1', port: a.port, token: a.token });
      ids.push(view.id);
    }
    const st = station;
    const deadline = Date.now() + 20_000;
    while ((await st.call('listAgents')).filter((v) => v.state === 'online').length < AGENTS) {
      if (Date.now() > deadline) throw new Error('not every agent came online within 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }

    let imported = 0;
    st.onEvent((e) => {
      if (e.event === 'capture.added') imported++;
    });
    const clients = agents.map(
      (a) => new AgentClient({ host: '127.0.0.1', port: a.port }, { token: a.token, timeoutMs: 30_000 }),
    );
    let triggered = 0;
    let failed = 0;
    const lag = monitorEventLoopDelay({ resolution: 1 });
    lag.enable();
    // Each agent captures every 5 s, spread evenly over the interval.
    clients.forEach((c, i) => {
      const fire = (): void => {
        triggered++;
        c.capture({ iso: 400, shutter_speed: '1/125', schedule: 'fleet' }).catch(() => {
          failed++;
        });
      };
      timers.push(
        setTimeout(
          () => {
            fire();
            timers.push(setInterval(fire, INTERVAL_MS));
          },
          (i * INTERVAL_MS) / clients.length,
        ),
      );
    });
    const backlog: number[] = [];
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      backlog.push(triggered - failed - imported);
    }
    for (const t of timers) clearInterval(t);
    lag.disable();
    // Let the last captures land, then check nothing is left behind.
    const drainDeadline = Date.now() + 30_000;
    while (imported < triggered - failed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 200));

    const p99 = Math.max(0, lag.percentile(99) / 1e6 - 1);
    const maxBacklog = Math.max(...backlog);
    const secondHalf = backlog.slice(Math.floor(backlog.length / 2));
    return [
      result(
        'fleet_event_loop_lag_p99_ms',
        p99,
        'ms',
        { text: '≤ 20', ok: (v) => v <= 20 },
        `${AGENTS} agents × 1 capture / ${INTERVAL_MS / 1000} s for ${SECONDS} s (1920×1080): ${triggered} captures, ` +
          `${imported} imported (${failed} capture requests failed); backlog max ${maxBacklog}, ` +
          `second-half max ${Math.max(...secondHalf)}, ${triggered - failed - imported} left after drain; ` +
          `lag max ${(lag.max / 1e6 - 1).toFixed(1)} ms`,
      ),
    ];
  } finally {
    for (const t of timers) clearInterval(t);
    await station?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await rm(root, { recursive: true, force: true });
  }
}
