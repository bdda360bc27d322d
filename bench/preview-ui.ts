/**
 * The live preview as the operator sees it (issue 14): the built headless
 * station with its embedded simulated agent, the station's relay, and Debian's
 * Chromium painting the preview page at 1280×720. Frame rate and latency come
 * from the frame element's data-frame-seq and data-frame-captured-at (the
 * agent's capture time from the frame header) against the page's clock at the
 * moment the attribute changes, i.e. right after the frame was drawn.
 * Station CPU per relayed frame and its RSS with five viewers go in the notes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, HEADLESS_JS, openBrowser, startHeadlessStation } from '../tests/e2e/harness.js';
import { agentPreviewClients, onlineAgent, recordFrames, type PaintRecord } from '../tests/e2e/preview-helpers.js';
import type { RunningProcess } from '../tests/helpers/processes.js';
import { notMeasured, percentile, result, type BenchResult } from './lib.js';

const VIEWPORT = { width: 1280, height: 720 };
const MEASURE_MS = 10_000;
const WARMUP_MS = 3_000;

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; here indexed from field 3.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : NaN;
}

async function counter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text);
  return m?.[1] ? Number(m[1]) : NaN;
}

async function openPreview(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.goto(url);
  await page.locator('[data-testid="preview-frame"][data-frame-seq]').waitFor({ state: 'attached', timeout: 30_000 });
  return page;
}

const fpsOf = (r: PaintRecord): number => r.frames / r.seconds;

export async function benchUiPreview(): Promise<BenchResult[]> {
  const ids: [string, string, string][] = [
    ['ui_preview_fps', 'fps', '≥ 25'],
    ['ui_preview_latency_p95_ms', 'ms', '≤ 100'],
    ['ui_preview_5_fps', 'fps', '≥ 15'],
  ];
  if (!existsSync(HEADLESS_JS) || !existsSync(CHROMIUM)) {
    const why = !existsSync(HEADLESS_JS) ? 'the app is not built (npm run build)' : `no Chromium at ${CHROMIUM}`;
    return ids.map(([id, unit, target]) => notMeasured(id, unit, target, why));
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'skys-bench-ui-preview-'));
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  try {
    const started = await startHeadlessStation(dataDir, ['--sim-time', '2025-06-21T18:00:00Z'], {
      SKYSTATION_SIM_TIME_SCALE: '0.01',
    });
    station = started.station;
    const { baseUrl } = started;
    const pid = station.child.pid!;
    const agent = await onlineAgent(baseUrl);
    const url = `${baseUrl}/#/preview/${encodeURIComponent(agent.id)}`;
    const errors: string[] = [];
    ({ browser } = await openBrowser(errors, VIEWPORT));

    // One viewer.
    const one = await openPreview(browser, url);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const cpu1 = cpuSeconds(pid);
    const relayed1 = await counter(baseUrl, 'skystation_station_preview_frames_relayed_total');
    const rec1 = await recordFrames(one, MEASURE_MS);
    const cpuPerFrame1 =
      ((cpuSeconds(pid) - cpu1) * 1000) /
      ((await counter(baseUrl, 'skystation_station_preview_frames_relayed_total')) - relayed1);
    const rss1 = rssMb(pid);

    // Five viewers (the first page plus four more).
    const pages = [one];
    for (let i = 0; i < 4; i++) pages.push(await openPreview(browser, url));
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const upstreams = await agentPreviewClients(agent);
    const cpu5 = cpuSeconds(pid);
    const received5 = await counter(baseUrl, 'skystation_station_preview_frames_received_total');
    const relayed5 = await counter(baseUrl, 'skystation_station_preview_frames_relayed_total');
    const recs = await Promise.all(pages.map((p) => recordFrames(p, MEASURE_MS)));
    const cpuMs5 = (cpuSeconds(pid) - cpu5) * 1000;
    const gotIn = (await counter(baseUrl, 'skystation_station_preview_frames_received_total')) - received5;
    const sentOut = (await counter(baseUrl, 'skystation_station_preview_frames_relayed_total')) - relayed5;
    const rss5 = rssMb(pid);
    const lat5 = recs.flatMap((r) => r.latenciesMs);

    const base = `headless station + embedded simulated agent (1280×720 JPEG) → relay → Chromium (${CHROMIUM}, 1280×720, headless, no GPU)`;
    return [
      result(
        'ui_preview_fps',
        fpsOf(rec1),
        'fps',
        { text: '≥ 25', ok: (v) => v >= 25 },
        `${base}; ${rec1.frames} frames painted in ${rec1.seconds} s; station CPU ${cpuPerFrame1.toFixed(2)} ms per relayed frame, RSS ${rss1.toFixed(0)} MB`,
      ),
      result(
        'ui_preview_latency_p95_ms',
        percentile(rec1.latenciesMs, 95),
        'ms',
        { text: '≤ 100', ok: (v) => v <= 100 },
        `capture (frame header) → painted (attribute set as the frame goes to the canvas); p50 ${percentile(rec1.latenciesMs, 50).toFixed(1)} ms over ${rec1.latenciesMs.length} frames`,
      ),
      result(
        'ui_preview_5_fps',
        Math.min(...recs.map(fpsOf)),
        'fps',
        { text: '≥ 15', ok: (v) => v >= 15 },
        `slowest of 5 pages (${recs.map((r) => fpsOf(r).toFixed(1)).join(', ')} fps); p95 latency ${percentile(lat5, 95).toFixed(1)} ms; upstream connections at the agent: ${upstreams}; station: ${gotIn} frames in, ${sentOut} out, ${(cpuMs5 / Math.max(1, sentOut)).toFixed(2)} ms CPU per relayed frame (${(cpuMs5 / Math.max(1, gotIn)).toFixed(2)} per received), RSS ${rss5.toFixed(0)} MB with 5 viewers${errors.length > 0 ? `; page errors: ${errors.slice(0, 2).join(' | ')}` : ''}`,
      ),
    ];
  } catch (err) {
    const why = `failed: ${err instanceof Error ? err.message : String(err)}${station ? `; station stderr: ${station.stderr.slice(-5).join(' ')}` : ''}`;
    return ids.map(([id, unit, target]) => notMeasured(id, unit, target, why));
  } finally {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
