/**
 * The Exports view as an operator uses it (issue #15), in Debian's Chromium
 * against the built headless station and its embedded simulated camera at a
 * daytime simulated clock: a few captures, then a timelapse of the last hour
 * played in the app, a keogram shown widened, where the files are, and a
 * timelapse session started and stopped from the view.
 *
 * Needs /usr/bin/chromium, ffmpeg and a build (`npm run build`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

describe('exports view', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    e2e = await startStationInBrowser({ prefix: 'skys-e2e-exports-', viewport: { width: 1280, height: 1000 } });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 120_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(20) ?? '';

  it('makes a timelapse of the last hour, plays it here and says where it is; shows a keogram', async () => {
    let agentId = '';
    await expect
      .poll(
        async () => {
          const agents = await stationCall(baseUrl, 'listAgents', {});
          agentId = agents.find((a) => a.state === 'online')?.id ?? '';
          return agentId;
        },
        { timeout: 60_000 },
      )
      .not.toBe('');
    for (let i = 0; i < 4; i++) await stationCall(baseUrl, 'captureNow', { agentId }, 120_000);

    await page.goto(`${baseUrl}/#/exports`);
    await page.getByTestId('export-range-last-hour').click();
    await page.locator('select').filter({ hasText: '1080p H.264' }).selectOption('h264-720p-web');
    await page.getByTestId('export-create').click();
    const job = page.locator('[data-testid="export-job"][data-status="done"]').first();
    await job.waitFor({ state: 'visible', timeout: 120_000 }).catch((err: unknown) => {
      throw new Error(`The export did not finish. ${String(err)}${diagnostics()}`);
    });
    await expect(job.textContent()).resolves.toMatch(/4 frames/);
    await expect(job.getByTestId('export-path').textContent()).resolves.toMatch(/\.mp4$/);
    await job.getByTestId('export-play').click();
    const video = job.getByTestId('export-video');
    await video.waitFor({ state: 'visible', timeout: 15_000 });
    // The station's media route serves it and the browser reads it as a video (metadata loaded, no error).
    await expect
      .poll(
        () =>
          page.evaluate<boolean>(
            `(() => { const v = document.querySelector('[data-testid="export-video"]'); return !!v && v.error === null && v.readyState >= 1 && v.duration > 0; })()`,
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'exports-video.png'), fullPage: true });

    await page.getByRole('button', { name: 'Keogram' }).click();
    const keogram = page.locator('[data-testid="export-result"][data-kind="image"]').first();
    await keogram.waitFor({ state: 'visible', timeout: 120_000 });
    await keogram.getByTestId('export-image').waitFor({ state: 'visible', timeout: 15_000 });
    await expect
      .poll(
        () =>
          page.evaluate<number>(
            `(() => { const i = document.querySelector('[data-testid="export-image"]'); return i && i.complete ? i.naturalWidth : 0; })()`,
          ),
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(720);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 300_000);

  it('starts and stops a timelapse session on the camera', async () => {
    await page.getByTestId('session-interval').fill('5');
    await page.getByTestId('session-start').click();
    await expect
      .poll(() => page.getByTestId('session-status').textContent(), { timeout: 30_000 })
      .toMatch(/^Running: a picture every 5 s/);
    await page.getByTestId('session-stop').click();
    await expect.poll(() => page.getByTestId('session-status').textContent(), { timeout: 30_000 }).toMatch(/^Stopped /);
    await page.screenshot({ path: join(ARTIFACTS, 'exports-session.png'), fullPage: true });
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);
});
