/**
 * Bench group "capture": timing of real agent processes (simulated camera,
 * 64×48 frames, exposures scaled by SKYSTATION_SIM_TIME_SCALE=0.01).
 *
 * - capture_trigger_p99_ms: POST /capture sent → exposure started, from the
 *   client's send time and the journal's captured_at (the instant the agent
 *   told the camera to expose). Same machine, same clock.
 * - plan_start_error_p99_ms: the plan runner's started_at − planned_at, as the
 *   agent measured it on its monotonic clock and journalled it (GET /plan/slots),
 *   over every slot of 3 agents.
 * - capture_skew_p99_ms: for each planned instant, latest − earliest exposure
 *   start across the 3 agents (planned_at + start error, per agent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanSlotsResponse } from '../agent/src/protocol/autonomy.js';
import { CaptureResponse, HealthResponse, type DeploymentBundle } from '../agent/src/protocol/index.js';
import { agentHttp, type AgentHttp } from '../tests/contract/client.js';
import { startAgentProcess, type RunningProcess } from '../tests/helpers/processes.js';
import { notMeasured, percentile, result, type BenchResult } from './lib.js';

const ARGS = ['--sim-resolution', '64x48'];
const TRIGGERS = 200;
const AGENTS = 3;
const SLOTS = 50;

interface Agent {
  proc: RunningProcess & { port: number };
  http: AgentHttp;
  dir: string;
}

/** Other work on this shared 2-core machine skews timing figures: the notes say how busy it was. */
function load(): string {
  return `load average ${loadavg()[0]!.toFixed(1)} on 2 cores`;
}

async function startAgents(n: number): Promise<Agent[]> {
  const agents: Agent[] = [];
  for (let i = 0; i < n; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'skys-bench-capture-'));
    const proc = await startAgentProcess(dir, ARGS);
    agents.push({ proc, http: agentHttp(proc.port, dir), dir });
  }
  return agents;
}

async function stopAgents(agents: Agent[]): Promise<void> {
  for (const a of agents) {
    await a.proc.stop();
    rmSync(a.dir, { recursive: true, force: true });
  }
}

async function triggerLatencies(agent: Agent): Promise<number[]> {
  const out: number[] = [];
  const body = { iso: 100, shutter_speed: '1/1000', schedule: 'bench' };
  for (let i = 0; i < TRIGGERS + 10; i++) {
    const sent = Date.now();
    const r = await agent.http.post('/capture', body);
    if (r.status !== 200) throw new Error(`POST /capture answered ${r.status}: ${JSON.stringify(r.body)}`);
    const captured = Date.parse(CaptureResponse.parse(r.body).captured_at);
    if (i >= 10) out.push(captured - sent); // the first few warm the JIT and the camera
  }
  return out;
}

function planBundle(startMs: number): DeploymentBundle {
  return {
    profile_id: 'bench',
    version: '1.0.0',
    settings: {
      base: { iso: 100, shutter_speed: '1/1000' },
      schedule_overrides: { bench: { iso: 100, shutter_speed: '1/1000' } },
    },
    plan: {
      generated_at: new Date(startMs - 10_000).toISOString(),
      horizon: new Date(startMs + SLOTS * 1000).toISOString(),
      windows: [
        {
          start: new Date(startMs).toISOString(),
          end: new Date(startMs + SLOTS * 1000).toISOString(),
          interval_seconds: 1,
          schedule: 'bench',
        },
      ],
    },
  };
}

export async function benchCapture(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const single = await startAgents(1);
  try {
    const lat = await triggerLatencies(single[0]!);
    rows.push(
      result(
        'capture_trigger_p99_ms',
        percentile(lat, 99),
        'ms',
        { text: '≤ 20', ok: (v) => v <= 20 },
        `${lat.length} POST /capture, p50 ${percentile(lat, 50)} ms; 1 ms resolution (journal timestamps); ${load()}`,
      ),
    );
  } catch (err) {
    rows.push(notMeasured('capture_trigger_p99_ms', 'ms', '≤ 20', `failed: ${(err as Error).message}`));
  } finally {
    await stopAgents(single);
  }

  const agents = await startAgents(AGENTS);
  try {
    const now = Date.parse(HealthResponse.parse((await agents[0]!.http.get('/health')).body).time);
    const start = Math.ceil(now / 1000) * 1000 + 3000;
    for (const a of agents) {
      const r = await a.http.post('/profile/deploy', planBundle(start));
      if (r.status !== 200) throw new Error(`deploy answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    const endWait = start + SLOTS * 1000 + 1500 - Date.now();
    process.stderr.write(`  plan: ${SLOTS} slots × ${AGENTS} agents, ${Math.round(endWait / 1000)} s…\n`);
    await new Promise((r) => setTimeout(r, endWait));
    const errors: number[] = [];
    const starts = new Map<string, number[]>();
    let captured = 0;
    let other = 0;
    for (const a of agents) {
      const slots = PlanSlotsResponse.parse((await a.http.get('/plan/slots?limit=5000')).body).items;
      for (const s of slots) {
        if (s.start_error_ms === null || (s.status !== 'captured' && s.status !== 'started')) {
          other++;
          continue;
        }
        captured++;
        errors.push(s.start_error_ms);
        const list = starts.get(s.planned_at) ?? [];
        list.push(Date.parse(s.planned_at) + s.start_error_ms);
        starts.set(s.planned_at, list);
      }
    }
    const skews = [...starts.values()].filter((l) => l.length === AGENTS).map((l) => Math.max(...l) - Math.min(...l));
    rows.push(
      result(
        'plan_start_error_p99_ms',
        errors.length >= 100 ? percentile(errors, 99) : null,
        'ms',
        { text: '≤ 10', ok: (v) => v <= 10 },
        `${captured} slots started (${other} not), p50 ${percentile(errors, 50).toFixed(3)} ms, max ${Math.max(...errors).toFixed(3)} ms; ${load()}`,
      ),
      result(
        'capture_skew_p99_ms',
        skews.length > 0 ? percentile(skews, 99) : null,
        'ms',
        { text: '≤ 20', ok: (v) => v <= 20 },
        `${skews.length} planned instants × ${AGENTS} agent processes on one machine, p50 ${percentile(skews, 50).toFixed(3)} ms; ${load()}`,
      ),
    );
  } catch (err) {
    const why = `failed: ${(err as Error).message}`;
    rows.push(
      notMeasured('plan_start_error_p99_ms', 'ms', '≤ 10', why),
      notMeasured('capture_skew_p99_ms', 'ms', '≤ 20', why),
    );
  } finally {
    await stopAgents(agents);
  }
  return rows;
}
