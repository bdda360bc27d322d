/**
 * Benchmark group "discovery": how long until the station's mDNS browser sees
 * a Skystation agent, on a LAN made of network namespaces (tests/netns/lab.ts;
 * nothing leaves the machine). A real agent process advertises; the browser
 * is tests/netns/browse.ts (src-main/discovery/browser.ts) in its own process.
 *
 * Two kinds of run, all on one distribution:
 *   query         the agent is running; a browser starts: first query sent → agent seen.
 *                 Every 4th run the bridge drops the first query (multicast to
 *                 the agent's port off until the browser has sent it), so only
 *                 the re-query can find the agent.
 *   announcement  the browser is running; the agent starts: its first
 *                 announcement sent → agent seen.
 *
 * discovery_p50_ms / discovery_p95_ms: targets p50 ≤ 50 ms, p95 ≤ 1.5 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../tests/helpers/processes.js';
import { JsonProcess } from '../tests/netns/json-proc.js';
import { createLab, netnsUnavailableReason, type Lab, type LabHost } from '../tests/netns/lab.js';
import { notMeasured, percentile, result, type BenchResult } from './lib.js';

const QUERY_RUNS = 18;
const ANNOUNCE_RUNS = 6;
const P50 = { text: '≤ 50', ok: (v: number) => v <= 50 };
const P95 = { text: '≤ 1500', ok: (v: number) => v <= 1500 };

function agentProcess(lab: Lab, host: LabHost, dataDir: string): JsonProcess {
  return new JsonProcess(
    'agent',
    lab.spawn(
      host,
      process.execPath,
      [
        '--import',
        'tsx',
        'agent/src/cli.ts',
        '--data-dir',
        dataDir,
        '--host',
        '0.0.0.0',
        '--port',
        '8080',
        '--name',
        'bench',
        '--sim-resolution',
        '320x240',
        '--log-level',
        'info',
      ],
      { SKYSTATION_MDNS: 'on' },
      ROOT,
    ),
  );
}

function browserProcess(lab: Lab, host: LabHost): JsonProcess {
  return new JsonProcess(
    'browser',
    lab.spawn(host, process.execPath, ['--import', 'tsx', 'tests/netns/browse.ts'], { SKYSTATION_MDNS: 'on' }, ROOT),
  );
}

export async function benchDiscovery(): Promise<BenchResult[]> {
  const why = await netnsUnavailableReason();
  if (why) {
    return [
      notMeasured('discovery_p50_ms', 'ms', P50.text, `not measured: ${why}`),
      notMeasured('discovery_p95_ms', 'ms', P95.text, `not measured: ${why}`),
    ];
  }
  const lab = await createLab('bench', 2);
  const [agentHost, stationHost] = lab.hosts as [LabHost, LabHost];
  const dataDir = await mkdtemp(join(tmpdir(), 'skys-bench-disc-'));
  const running: JsonProcess[] = [];
  const queryTimes: number[] = [];
  const lostTimes: number[] = [];
  const announceTimes: number[] = [];
  try {
    // Query runs: one agent stays up; a fresh browser process each time.
    const agent = agentProcess(lab, agentHost, dataDir);
    running.push(agent);
    await agent.waitFor((l) => l.event === 'mdns.announced', 60_000);
    for (let i = 0; i < QUERY_RUNS; i++) {
      const lose = i % 4 === 3;
      if (lose) await lab.setMulticastTo(agentHost, false);
      const browser = browserProcess(lab, stationHost);
      running.push(browser);
      try {
        const first = await browser.waitFor((l) => l.event === 'query' && l['n'] === 1, 30_000);
        if (lose) await lab.setMulticastTo(agentHost, true);
        const up = await browser.waitFor((l) => l.event === 'up', 30_000);
        const ms = (up.t ?? 0) - (first.t ?? 0);
        (lose ? lostTimes : queryTimes).push(ms);
      } finally {
        await lab.setMulticastTo(agentHost, true);
        await browser.stop();
        running.splice(running.indexOf(browser), 1);
      }
    }
    await agent.stop();
    running.splice(running.indexOf(agent), 1);

    // Announcement runs: the browser stays up; the agent restarts each time (goodbye, then a new announcement).
    const browser = browserProcess(lab, stationHost);
    running.push(browser);
    await browser.waitFor((l) => l.event === 'query' && l['n'] === 1, 30_000);
    for (let i = 0; i < ANNOUNCE_RUNS; i++) {
      const from = browser.lines.length;
      const a = agentProcess(lab, agentHost, dataDir);
      running.push(a);
      try {
        const announced = await a.waitFor((l) => l.event === 'mdns.announced', 60_000);
        const up = await browser.waitFor((l) => l.event === 'up', 30_000, from);
        // The agent stamps its announcement after the send completes (Date.now(), ms), so a few tenths of a
        // millisecond can come out negative; such a run counts as 0.
        announceTimes.push(Math.max(0, (up.t ?? 0) - Number(announced['at'])));
        const gone = browser.lines.length;
        await a.stop();
        await browser.waitFor((l) => l.event === 'down', 30_000, gone);
      } finally {
        await a.stop();
        running.splice(running.indexOf(a), 1);
      }
    }
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return [
      notMeasured('discovery_p50_ms', 'ms', P50.text, `run failed: ${message}`),
      notMeasured('discovery_p95_ms', 'ms', P95.text, `run failed: ${message}`),
    ];
  } finally {
    await Promise.all(running.map((p) => p.stop()));
    await lab.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }

  const all = [...queryTimes, ...lostTimes, ...announceTimes];
  const fmt = (xs: number[]): string => (xs.length ? `median ${percentile(xs, 50).toFixed(1)} ms` : 'none');
  const notes =
    `${all.length} runs in network namespaces: ${queryTimes.length} browser-start (${fmt(queryTimes)}), ` +
    `${lostTimes.length} with the first query dropped (${fmt(lostTimes)}), ` +
    `${announceTimes.length} agent-start announcements (${fmt(announceTimes)}); max ${Math.max(...all).toFixed(1)} ms`;
  const rows: [string, string, string][] = [
    ['kind', 'runs', 'p50 ms / max ms'],
    [
      'query',
      String(queryTimes.length),
      `${percentile(queryTimes, 50).toFixed(1)} / ${Math.max(...queryTimes).toFixed(1)}`,
    ],
    [
      'lost query',
      String(lostTimes.length),
      `${percentile(lostTimes, 50).toFixed(1)} / ${Math.max(...lostTimes).toFixed(1)}`,
    ],
    [
      'announcement',
      String(announceTimes.length),
      `${percentile(announceTimes, 50).toFixed(1)} / ${Math.max(...announceTimes).toFixed(1)}`,
    ],
  ];
  process.stderr.write(`${rows.map((r) => r.map((c) => c.padEnd(14)).join('')).join('\n')}\n`);
  return [
    result('discovery_p50_ms', percentile(all, 50), 'ms', P50, notes),
    result('discovery_p95_ms', percentile(all, 95), 'ms', P95, notes),
  ];
}
