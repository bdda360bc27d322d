/**
 * The live preview end to end (issue 14): the built headless station with its
 * embedded simulated agent (a daytime sky, long exposures sped up), Debian's
 * Chromium at 1280×720. Opens the preview from the camera card, from the
 * camera wall and by its own address; counts painted frames for 10 s and
 * computes paint latency from the frame element's data attributes, with one
 * viewer and with five pages; checks zoom, histogram and focus figures, a
 * still capture, and that five viewers cost the agent ONE connection.
 * No timed thresholds: speed is measured by the bench (ui_preview_*).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';
import { agentPreviewClients, onlineAgent, percentile, recordFrames, type AgentLite } from './preview-helpers.js';

const SHOTS = join(ROOT, 'test-results');
const VIEWPORT = { width: 1280, height: 720 };
/** Polls wait generously: a busy CI machine may take seconds to re-render. */
const POLL = { timeout: 15_000 };

describe('live preview in a browser', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  let agent: AgentLite;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-preview-'));
    ({ station, baseUrl } = await startHeadlessStation(dataDir, ['--sim-time', '2025-06-21T18:00:00Z'], {
      SKYSTATION_SIM_TIME_SCALE: '0.01',
    }));
    ({ browser, page } = await openBrowser(pageErrors, VIEWPORT));
    agent = await onlineAgent(baseUrl);
    mkdirSync(SHOTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${station?.stderr.slice(-40).join('\n') ?? ''}`;

  const firstFrame = (p: Page): Promise<unknown> =>
    p
      .locator('[data-testid="preview-frame"][data-frame-seq]')
      .waitFor({ state: 'attached', timeout: 30_000 })
      .catch(async (err: unknown) => {
        const status = await p.getByTestId('preview-status').textContent();
        throw new Error(`No preview frame was painted: ${String(err)}\nstatus: ${status ?? ''}${diagnostics()}`);
      });

  it('opens from the camera card and paints advancing frames with a measurable latency', async () => {
    await page.goto(baseUrl);
    const live = page.getByTestId('open-preview').first();
    await live.waitFor({ state: 'visible', timeout: 30_000 });
    await live.click();
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash), POLL)
      .toBe(`#/preview/${agent.id}`);
    await firstFrame(page);

    const rec = await recordFrames(page, 10_000);
    expect(rec.frames, diagnostics()).toBeGreaterThan(0);
    expect(rec.lastSeq!).toBeGreaterThan(rec.firstSeq!);
    expect(rec.latenciesMs.length).toBe(rec.frames);
    for (const l of rec.latenciesMs) expect(Number.isFinite(l)).toBe(true);
    console.log(
      `1 viewer: ${rec.frames} frames in 10 s (${(rec.frames / 10).toFixed(1)} fps), paint latency median ${percentile(rec.latenciesMs, 50).toFixed(1)} ms, p95 ${percentile(rec.latenciesMs, 95).toFixed(1)} ms`,
    );
    // The view's own readouts agree that frames arrive.
    await expect.poll(() => page.getByTestId('preview-fps').textContent(), POLL).toMatch(/^\d+(\.\d)? fps$/);
    await expect.poll(() => page.getByTestId('preview-resolution').textContent(), POLL).toMatch(/^\d+×\d+$/);
    expect(await page.getByTestId('preview-latency').textContent()).toMatch(/ms/);
    expect(await page.getByTestId('preview-bandwidth').textContent()).toMatch(/bit\/s/);
    await page.screenshot({ path: join(SHOTS, 'e2e-preview.png') });
  }, 90_000);

  it('zooms, draws a histogram and a focus figure that change with the scene', async () => {
    await page.goto(`${baseUrl}/#/preview/${encodeURIComponent(agent.id)}`);
    await firstFrame(page);
    const stage = page.locator('.preview-stage');
    const fitScale = Number(await stage.getAttribute('data-scale'));
    await page.getByTestId('preview-zoom-200').click();
    await expect.poll(() => stage.getAttribute('data-zoom'), POLL).toBe('2');
    const zoomed = Number(await stage.getAttribute('data-scale'));
    expect(zoomed).toBeGreaterThan(fitScale);
    await page.getByTestId('preview-zoom-100').click();
    await expect.poll(async () => Number(await stage.getAttribute('data-scale')), POLL).toBeLessThan(zoomed);

    // Histogram and focus are measured a few times a second on the live frames; the sky's noise and
    // clouds move them, and panning the focus crop (at 100 %) to the ground changes the scene under it.
    const hist = page.getByTestId('preview-histogram');
    const focus = page.getByTestId('preview-focus-value');
    await expect.poll(() => hist.getAttribute('data-mean-luma'), { timeout: 20_000 }).toMatch(/^\d+(\.\d+)?$/);
    await expect.poll(() => focus.textContent(), { timeout: 20_000 }).toMatch(/\d/);
    const lumas = new Set<string>();
    const focusValues = new Set<string>();
    const viewport = page.getByTestId('preview-viewport');
    const box = (await viewport.boundingBox())!;
    for (let i = 0; i < 12; i++) {
      lumas.add((await hist.getAttribute('data-mean-luma')) ?? '');
      focusValues.add((await focus.textContent()) ?? '');
      if (i === 5) {
        // Drag the picture up: the centre of the view moves down towards the horizon.
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width / 2, box.y + 20, { steps: 5 });
        await page.mouse.up();
      }
      await page.waitForTimeout(400);
    }
    expect(lumas.size, `mean luminance seen: ${[...lumas].join(', ')}`).toBeGreaterThan(1);
    expect(focusValues.size, `focus values seen: ${[...focusValues].join(', ')}`).toBeGreaterThan(1);
    expect(await page.getByTestId('preview-focus-best').textContent()).toMatch(/\d/);
    // Overlays and orientation.
    await page.getByTestId('preview-grid').click();
    await page.getByTestId('preview-crosshair').click();
    await expect(page.getByTestId('preview-grid-lines').count()).resolves.toBe(1);
    await expect(page.getByTestId('preview-crosshair-lines').count()).resolves.toBe(1);
    await page.getByTestId('preview-rotate').click();
    await expect
      .poll(() => stage.evaluate((e) => (e as unknown as { style: { transform: string } }).style.transform), POLL)
      .toMatch(/rotate\(90deg\)/);
    await page.screenshot({ path: join(SHOTS, 'e2e-preview-zoomed.png') });
  }, 90_000);

  it('captures a still from the view and the preview carries on afterwards', async () => {
    await page.goto(`${baseUrl}/#/preview/${encodeURIComponent(agent.id)}`);
    await firstFrame(page);
    await page.getByTestId('preview-capture-still').click();
    await page
      .getByTestId('preview-still-image')
      .waitFor({ state: 'visible', timeout: 60_000 })
      .catch(async (err: unknown) => {
        throw new Error(
          `No still was shown: ${String(err)}\n${(await page.locator('.preview-still').textContent()) ?? ''}${diagnostics()}`,
        );
      });
    const rec = await recordFrames(page, 3_000);
    expect(rec.frames, 'frames after the still').toBeGreaterThan(0);
  }, 90_000);

  it('shows every online camera on the Live wall; a tile opens its preview', async () => {
    await page.goto(`${baseUrl}/#/live`);
    const tile = page.getByTestId(`wall-tile-${agent.id}`);
    await tile.locator('canvas[data-frame-seq]').waitFor({ state: 'attached', timeout: 30_000 });
    const rec = await recordFrames(page, 3_000, '[data-testid="wall-frame"]');
    expect(rec.frames).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'e2e-preview-wall.png') });
    await tile.click();
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash), POLL)
      .toBe(`#/preview/${agent.id}`);
    await firstFrame(page);
  }, 60_000);

  it('serves five pages at 1280×720 over ONE upstream connection to the agent', async () => {
    await page.goto(`${baseUrl}/#/cameras`); // this page stops watching
    const context = await browser!.newContext({ viewport: VIEWPORT });
    try {
      const pages = await Promise.all(Array.from({ length: 5 }, () => context.newPage()));
      for (const p of pages) p.on('pageerror', (err) => pageErrors.push(err.message));
      await Promise.all(pages.map((p) => p.goto(`${baseUrl}/#/preview/${encodeURIComponent(agent.id)}`)));
      await Promise.all(pages.map(firstFrame));
      expect(await agentPreviewClients(agent)).toBe(1);
      const recs = await Promise.all(pages.map((p) => recordFrames(p, 10_000)));
      for (const [i, rec] of recs.entries()) {
        expect(rec.frames, `page ${i + 1}${diagnostics()}`).toBeGreaterThan(0);
        expect(rec.lastSeq!).toBeGreaterThan(rec.firstSeq!);
      }
      const all = recs.flatMap((r) => r.latenciesMs);
      console.log(
        `5 viewers: ${recs.map((r) => (r.frames / 10).toFixed(1)).join(', ')} fps; paint latency p95 ${percentile(all, 95).toFixed(1)} ms`,
      );
      expect(await agentPreviewClients(agent)).toBe(1);
      const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^skystation_station_preview_viewers 5$/m);
    } finally {
      await context.close();
    }
    // The last viewer gone, the station closes its upstream.
    await expect.poll(() => agentPreviewClients(agent), { timeout: 20_000 }).toBe(0);
  }, 120_000);
});
