/**
 * Gallery scroll in the app (issue #15): the built headless station with a
 * gallery of 100,000 captures (seeded straight into its SQLite, real JPEG
 * thumbnails), Debian's Chromium at 1400×900 on #/gallery, and the grid
 * scrolled from the newest capture to the oldest, one viewport per animation
 * frame (a fast flick, the worst case for a virtualised grid: every frame
 * shows rows it has not drawn before). The longest main-thread task while
 * scrolling comes from a PerformanceObserver('longtask') in the page (tasks of
 * 50 ms and more are reported; none means the longest was under 50 ms).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, HEADLESS_JS, openBrowser, startHeadlessStation } from '../tests/e2e/harness.js';
import type { RunningProcess } from '../tests/helpers/processes.js';
import { seedGallery } from '../tests/helpers/seed-gallery.js';
import { notMeasured, result, type BenchResult } from './lib.js';

const ID = 'ui_gallery_long_task_max_ms';
const TARGET = '≤ 50';
const ROWS = Number(process.env['BENCH_UI_GALLERY_ROWS'] ?? 100_000);

interface ScrollReport {
  frames: number;
  ms: number;
  reachedBottom: boolean;
  longTasks: number[];
  loadLongTasks: number[];
  lastCaptureId: string | null;
}

/** Runs in the page before its scripts: collects every long task's duration. */
const OBSERVE_LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
`;

/** Runs in the page (a string: the bench is compiled without the DOM's types). */
const SCROLL_TO_OLDEST = `(async () => {
  const loadLongTasks = window.__longTasks.splice(0);
  const el = document.querySelector('[data-testid="gallery-scroller"]');
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const start = performance.now();
  let frames = 0;
  while (el.scrollTop + el.clientHeight < el.scrollHeight - 1 && frames < 100000) {
    el.scrollTop += el.clientHeight;
    await frame();
    frames++;
  }
  const ms = performance.now() - start;
  // Let the last rows' captures arrive.
  for (let i = 0; i < 600; i++) {
    if (el.querySelectorAll('[data-testid="gallery-cell"]').length > 0 && el.querySelectorAll('.gallery-cell-loading').length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await frame();
  const cells = el.querySelectorAll('[data-testid="gallery-cell"]');
  return {
    frames,
    ms,
    reachedBottom: el.scrollTop + el.clientHeight >= el.scrollHeight - 1,
    longTasks: window.__longTasks.splice(0),
    loadLongTasks,
    lastCaptureId: cells.length ? cells[cells.length - 1].getAttribute('data-capture-id') : null,
  };
})()`;

export async function benchUiGallery(): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM) || !existsSync(HEADLESS_JS)) {
    return [notMeasured(ID, 'ms', TARGET, `needs ${CHROMIUM} and a build (npm run build)`)];
  }
  const dir = mkdtempSync(join(tmpdir(), 'skys-bench-ui-gallery-'));
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  try {
    const seedStart = performance.now();
    const seeded = await seedGallery(dir, { total: ROWS });
    const seedMs = performance.now() - seedStart;
    const started = await startHeadlessStation(dir, ['--embedded-agent', 'never']);
    station = started.station;
    const baseUrl = started.baseUrl;
    const errors: string[] = [];
    const opened = await openBrowser(errors, { width: 1400, height: 900 });
    browser = opened.browser;
    const page = opened.page;
    await page.addInitScript({ content: OBSERVE_LONG_TASKS });
    await page.goto(`${baseUrl}/#/gallery`);
    await page.getByTestId('gallery-cell').first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForTimeout(1_000);
    const report = await page.evaluate<ScrollReport>(SCROLL_TO_OLDEST);
    // The oldest minute holds one capture per camera; the first camera's is the last cell (lowest rowid).
    const oldest = `${seeded.cameras[0]}/s${ROWS - seeded.cameras.length}`;
    const max = report.longTasks.length === 0 ? 0 : Math.max(...report.longTasks);
    const note =
      `${ROWS.toLocaleString('en')} captures (seeded in ${(seedMs / 1000).toFixed(1)} s), scrolled newest→oldest in ` +
      `${report.frames} frames over ${(report.ms / 1000).toFixed(1)} s (one viewport per frame); ` +
      `${report.longTasks.length} long tasks while scrolling${report.longTasks.length === 0 ? ' (0 = every task under 50 ms)' : ''}; ` +
      `page load: ${report.loadLongTasks.length} long tasks, longest ${report.loadLongTasks.length ? Math.max(...report.loadLongTasks).toFixed(0) : '<50'} ms; ` +
      `reached the oldest: ${report.reachedBottom && report.lastCaptureId !== null ? 'yes' : 'no'} (last cell ${report.lastCaptureId ?? 'none'}, oldest seeded ${oldest})` +
      (errors.length ? `; page errors: ${errors.slice(0, 3).join(' | ')}` : '');
    if (!report.reachedBottom) return [notMeasured(ID, 'ms', TARGET, `the scroll did not reach the bottom: ${note}`)];
    return [result(ID, max, 'ms', { text: TARGET, ok: (v) => v <= 50 }, note)];
  } finally {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
