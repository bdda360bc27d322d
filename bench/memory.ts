/**
 * Agent memory (issue 4): resident set size of a real agent process, read
 * from /proc/PID/status. Idle: VmRSS after it has settled with nothing
 * connected. Loaded: VmHWM (the peak) while it captures 1920×1080 stills
 * once a second and streams the live preview to 5 viewers.
 */
import { readFileSync } from 'node:fs';
import { notMeasured, result, type BenchResult } from './lib.js';
import { startBenchAgent, watchPreview } from './preview.js';

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

interface MemoryFigures {
  idle: number;
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
    await new Promise((r) => setTimeout(r, 5_000));
    const idle = procStatusMb(agent.pid, 'VmRSS');

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
    return { idle, peak, end, captures, frames, built: agent.built };
  } finally {
    await agent.stop();
  }
}

/** The allocator and V8 settings recommended for a Pi (systemd unit): fewer malloc arenas, a small young generation. */
export const PI_TUNING = { env: { MALLOC_ARENA_MAX: '2' }, nodeFlags: ['--max-semi-space-size=1'] };

export async function benchMemory(loadedSeconds = 15): Promise<BenchResult[]> {
  if (process.platform !== 'linux') {
    return [
      notMeasured('agent_rss_idle_mb', 'MB', '≤ 60', 'needs /proc (Linux)'),
      notMeasured('agent_rss_loaded_mb', 'MB', '≤ 120', 'needs /proc (Linux)'),
    ];
  }
  const plain = await measure(loadedSeconds, {});
  const tuned = await measure(loadedSeconds, PI_TUNING);
  const how = plain.built
    ? 'agent/dist under plain node'
    : 'agent source via tsx (dist missing or stale; tsx adds memory)';
  const tuning = 'MALLOC_ARENA_MAX=2 node --max-semi-space-size=1';
  return [
    result(
      'agent_rss_idle_mb',
      plain.idle,
      'MB',
      { text: '≤ 60', ok: (v) => v <= 60 },
      `${how}; VmRSS 5 s after start with a few /status calls; with ${tuning}: ${tuned.idle.toFixed(1)} MB`,
    ),
    result(
      'agent_rss_loaded_mb',
      plain.peak,
      'MB',
      { text: '≤ 120', ok: (v) => v <= 120 },
      `${how}; VmHWM (peak) over ${loadedSeconds} s with ${plain.captures} 1920×1080 stills and 5 preview viewers (${plain.frames} frames), VmRSS at the end ${plain.end.toFixed(1)} MB; with ${tuning}: peak ${tuned.peak.toFixed(1)} MB`,
    ),
  ];
}
