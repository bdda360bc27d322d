/**
 * The live preview's settings end to end (issue 14): the built headless
 * station with its embedded simulated agent, Debian's Chromium.
 *
 * - By day: the view shows the frame header's ISO; choosing another size
 *   repaints the frame at that resolution, on this page and on a second page
 *   watching the same camera (size and quality are the camera's); a higher
 *   JPEG quality makes bigger frames.
 * - At night (a second station whose simulated clock is after dusk): the
 *   high-gain preview shows stars, so the focus aid gives a half-flux radius
 *   as a number, and the ISO is the preview's high gain.
 *
 * Screenshots of the view with its settings, by day and in night mode, go to
 * test-results/ (and to $SKYSTATION_SHOTS_DIR when set).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';
import { agentPreviewClients, onlineAgent, type AgentLite } from './preview-helpers.js';

const SHOTS = process.env['SKYSTATION_SHOTS_DIR'] ?? join(ROOT, 'test-results');
const VIEWPORT = { width: 1280, height: 800 };
/** Polls wait generously: a busy CI machine may take seconds to restart a stream. */
const POLL = { timeout: 30_000 };

interface Running {
  dataDir: string;
  station: RunningProcess;
  baseUrl: string;
  agent: AgentLite;
}

async function startStation(simTime: string): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-preview-settings-'));
  const { station, baseUrl } = await startHeadlessStation(dataDir, ['--sim-time', simTime], {
    SKYSTATION_SIM_TIME_SCALE: '0.01',
  });
  return { dataDir, station, baseUrl, agent: await onlineAgent(baseUrl) };
}

async function stopStation(r: Running | null): Promise<void> {
  if (!r) return;
  await r.station.stop();
  rmSync(r.dataDir, { recursive: true, force: true });
}

const frame = (p: Page) => p.getByTestId('preview-frame');

async function openPreview(p: Page, r: Running, diagnostics: () => string): Promise<void> {
  await p.goto(`${r.baseUrl}/#/preview/${encodeURIComponent(r.agent.id)}`);
  await p
    .locator('[data-testid="preview-frame"][data-frame-seq]')
    .waitFor({ state: 'attached', timeout: 30_000 })
    .catch(async (err: unknown) => {
      const status = await p.getByTestId('preview-status').textContent();
      throw new Error(`No preview frame was painted: ${String(err)}\nstatus: ${status ?? ''}${diagnostics()}`);
    });
}

/** A screenshot with the settings scrolled into view, once the frame rate readout has a figure. */
async function shot(p: Page, name: string): Promise<void> {
  await expect.poll(() => p.getByTestId('preview-fps').textContent(), POLL).toMatch(/^[1-9]\d*(\.\d)? fps$/);
  await p.getByTestId('preview-settings').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(SHOTS, name) });
}

/** Bytes per painted frame, as the view's settings show it (once it has a rate). */
async function bytesPerFrame(p: Page): Promise<number> {
  return Number((await p.getByTestId('preview-settings-bandwidth').getAttribute('data-bytes-per-frame')) || NaN);
}

describe('live preview settings and night focus', () => {
  let day: Running | null = null;
  let night: Running | null = null;
  let browser: Browser | null = null;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    mkdirSync(SHOTS, { recursive: true });
    day = await startStation('2025-06-21T18:00:00Z');
    ({ browser, page } = await openBrowser(pageErrors, VIEWPORT));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopStation(day);
    await stopStation(night);
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${[
      ...(day?.station.stderr.slice(-20) ?? []),
      ...(night?.station.stderr.slice(-20) ?? []),
    ].join('\n')}`;

  it('shows ISO from the frame header and repaints at the size and quality chosen, for every viewer', async () => {
    const r = day!;
    await openPreview(page, r, diagnostics);
    await expect.poll(() => frame(page).getAttribute('width'), POLL).toBe('1280');
    await expect.poll(() => page.getByTestId('preview-iso').textContent(), POLL).toMatch(/^ISO \d+$/);
    const size = page.getByTestId('preview-size-select');
    const quality = page.getByTestId('preview-quality-select');
    await expect.poll(() => size.inputValue(), POLL).toBe('1280');
    expect(await quality.inputValue()).toBe('70');
    await shot(page, 'preview-settings-day.png');

    await size.selectOption('640');
    await expect.poll(() => frame(page).getAttribute('width'), POLL).toBe('640');
    expect(await frame(page).getAttribute('height')).toBe('360');
    await expect.poll(() => page.getByTestId('preview-resolution').textContent(), POLL).toBe('640×360');
    await shot(page, 'preview-settings-day-640.png');

    // A second viewer of the same camera gets the camera's settings and frames, over the same upstream.
    const other = await browser!.newPage({ viewport: VIEWPORT });
    try {
      other.on('pageerror', (err) => pageErrors.push(err.message));
      await openPreview(other, r, diagnostics);
      await expect.poll(() => frame(other).getAttribute('width'), POLL).toBe('640');
      await expect.poll(() => other.getByTestId('preview-size-select').inputValue(), POLL).toBe('640');
      expect(await agentPreviewClients(r.agent)).toBe(1);

      // Quality: 30, then 95 chosen on the OTHER page; both pages follow, and frames grow.
      await other.getByTestId('preview-quality-select').selectOption('30');
      await expect.poll(() => quality.inputValue(), POLL).toBe('30');
      let low = NaN;
      await expect
        .poll(async () => {
          low = await bytesPerFrame(page);
          return low > 0;
        }, POLL)
        .toBe(true);
      // Let the rolling window hold only quality-30 frames.
      await page.waitForTimeout(2_500);
      low = await bytesPerFrame(page);
      await other.getByTestId('preview-quality-select').selectOption('95');
      await expect.poll(() => quality.inputValue(), POLL).toBe('95');
      await expect.poll(() => bytesPerFrame(page), POLL).toBeGreaterThan(low * 1.5);
      await expect.poll(() => frame(page).getAttribute('width'), POLL).toBe('640');
    } finally {
      await other.close();
    }

    // Back to the default size: the picture is 1280 wide again.
    await size.selectOption('1280');
    await quality.selectOption('70');
    await expect.poll(() => frame(page).getAttribute('width'), POLL).toBe('1280');
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);

  it('at night measures the stars of the high-gain preview: the half-flux radius is a number', async () => {
    await page.goto('about:blank');
    await stopStation(day);
    day = null;
    night = await startStation('2025-01-15T03:00:00Z');
    await openPreview(page, night, diagnostics);
    await expect.poll(() => page.getByTestId('preview-iso').textContent(), POLL).toBe('ISO 6400');
    const focus = page.getByTestId('preview-focus-value');
    await expect.poll(() => focus.textContent(), POLL).toMatch(/^\d+\.\d\d px$/);
    expect(await page.locator('.preview-focus-head').first().textContent()).toMatch(/Half-flux radius \(\d+ stars\)/);
    expect(await page.getByTestId('preview-focus-best').textContent()).toMatch(/^\d+\.\d\d px$/);
    await shot(page, 'preview-settings-night.png');
    await page.getByTestId('night-toggle').click();
    await expect.poll(() => page.locator('html[data-night]').count(), POLL).toBe(1);
    await expect.poll(() => focus.textContent(), POLL).toMatch(/^\d+\.\d\d px$/);
    await shot(page, 'preview-settings-night-mode.png');
    await page.getByTestId('night-toggle').click();
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);
});
