/**
 * Agent memory (issue 4): resident set size of a real agent process, read
 * from /proc/PID/status. Idle: VmRSS after it has settled with nothing
 * connected. Loaded: VmHWM (the peak) while it captures 1920×1080 stills
 * once a second and streams the live preview to 5 viewers. The agent runs
 * with the environment and node flags of the systemd unit it ships with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { notMeasured, result, type BenchResult } from './lib.js';
import { startBenchAgent, watchPreview } from './preview.js';

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

interface MemoryFigures {
  /** VmRSS once settled (see settledRss). */
  idle: number;
  /** VmRSS 5 s after the status calls: start-up garbage not yet given back. */
  idleAt5s: number;
  /** Seconds until it settled. */
  settledAfter: number;
  peak: number;
  end: number;
  captures: number;
  frames: number;
  built: boolean;
}

async function measure(loadedSeconds: number, opts: Parameters<typeof startBenchAgent>[1]): Promise<MemoryFigures> {
  const agent = await startBenchAgent([], opts);
  try {
    const base = `http://127.0.0.1:${agent.port}`;
    const headers = { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' };
    // A few requests, as a station's status poll would make, then let it settle.
    for (let i = 0; i < 5; i++) await (await fetch(`${base}/status`, { headers })).arrayBuffer();
    const { at5s: idleAt5s, settled: idle, after: settledAfter } = await settledRss(agent.pid);

    let capturing = true;
    let captures = 0;
    const loop = (async () => {
      while (capturing) {
        const res = await fetch(`${base}/capture`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ iso: 100, shutter_speed: '1/250' }),
        });
        await res.arrayBuffer();
        if (res.ok) captures++;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    const w = await watchPreview(agent, 5, loadedSeconds * 1000, 1_000);
    capturing = false;
    await loop;
    const peak = procStatusMb(agent.pid, 'VmHWM');
    const end = procStatusMb(agent.pid, 'VmRSS');
    w.close();
    const frames = w.viewers.reduce((s, v) => s + v.frames, 0);
    return { idle, idleAt5s, settledAfter, peak, end, captures, frames, built: agent.built };
  } finally {
    await agent.stop();
  }
}

/**
 * An idle agent's resident size once it has settled. V8 gives start-up garbage
 * back once a process has been quiet for a while (its memory reducer starts
 * about 8 s after allocation stops), so the figure 5 s after start is a
 * transient. VmRSS is read at 5 s and, as the idle figure, at 20 s.
 */
async function settledRss(pid: number): Promise<{ at5s: number; settled: number; after: number }> {
  await new Promise((r) => setTimeout(r, 5_000));
  const at5s = procStatusMb(pid, 'VmRSS');
  await new Promise((r) => setTimeout(r, 15_000));
  return { at5s, settled: procStatusMb(pid, 'VmRSS'), after: 20 };
}

/**
 * How the agent is launched on a Pi, read from the systemd unit that
 * install-agent.sh installs (resources/skystation-agent.service): every
 * `Environment=` assignment and the node flags of `ExecStart=`. The bench runs
 * the agent with exactly these, so what it measures is what ships.
 */
export function shippedLaunch(unitPath = join(import.meta.dirname, '../resources/skystation-agent.service')): {
  env: Record<string, string>;
  nodeFlags: string[];
} {
  const env: Record<string, string> = {};
  let nodeFlags: string[] | null = null;
  for (const raw of readFileSync(unitPath, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Environment=')) {
      for (const assignment of line.slice('Environment='.length).split(/\s+/)) {
        const eq = assignment.indexOf('=');
        if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
    } else if (line.startsWith('ExecStart=')) {
      const words = line.slice('ExecStart='.length).split(/\s+/);
      if (!/(^|\/)node$/.test(words[0] ?? '')) throw new Error(`${unitPath}: ExecStart does not run node`);
      nodeFlags = [];
      for (const w of words.slice(1)) {
        if (!w.startsWith('-')) break; // the script: its own arguments follow
        nodeFlags.push(w);
      }
    }
  }
  if (nodeFlags === null) throw new Error(`${unitPath} has no ExecStart line`);
  return { env, nodeFlags };
}

function describe(launch: { env: Record<string, string>; nodeFlags: string[] }): string {
  return [...Object.entries(launch.env).map(([k, v]) => `${k}=${v}`), 'node', ...launch.nodeFlags].join(' ');
}

export async function benchMemory(loadedSeconds = 15): Promise<BenchResult[]> {
  if (process.platform !== 'linux') {
    return [
      notMeasured('agent_rss_idle_mb', 'MB', '≤ 60', 'needs /proc (Linux)'),
      notMeasured('agent_rss_loaded_mb', 'MB', '≤ 120', 'needs /proc (Linux)'),
    ];
  }
  const launch = shippedLaunch();
  const shipped = await measure(loadedSeconds, launch);
  // For comparison only: the same agent under plain `node` with none of the unit's settings.
  const plain = await measure(loadedSeconds, {});
  const how = shipped.built
    ? `agent/dist as the systemd unit runs it (${describe(launch)})`
    : 'agent source via tsx (dist missing or stale; tsx adds memory)';
  return [
    result(
      'agent_rss_idle_mb',
      shipped.idle,
      'MB',
      { text: '≤ 60', ok: (v) => v <= 60 },
      `${how}; VmRSS once settled (${shipped.settledAfter} s after a few /status calls; ${shipped.idleAt5s.toFixed(1)} MB at 5 s, before V8's memory reducer ran); plain node without the unit's settings: ${plain.idle.toFixed(1)} MB`,
    ),
    result(
      'agent_rss_loaded_mb',
      shipped.peak,
      'MB',
      { text: '≤ 120', ok: (v) => v <= 120 },
      `VmHWM (peak) over ${loadedSeconds} s with ${shipped.captures} 1920×1080 stills and 5 preview viewers (${shipped.frames} frames), VmRSS at the end ${shipped.end.toFixed(1)} MB; plain node: peak ${plain.peak.toFixed(1)} MB`,
    ),
  ];
}
