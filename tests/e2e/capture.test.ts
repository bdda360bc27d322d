/**
 * End to end in a real browser: the headless station (with its embedded
 * simulated agent) serves the UI; Chromium opens it, waits for the camera to
 * be online, presses "Capture now", and sees the new thumbnail appear and load
 * without a page reload.
 *
 * Needs Debian's Chromium (`apt-get install chromium`) and a build
 * (`npm run build`). Browsers are never downloaded.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';

const SCREENSHOT = join(ROOT, 'test-results/e2e-capture.png');

/** The DOM bits the in-page predicate uses (tests are typed without the DOM lib). */
interface ImgLike {
  dataset: Record<string, string | undefined>;
  complete: boolean;
  naturalWidth: number;
  alt: string;
  scrollIntoView(): void;
}

/**
 * Runs in the page (serialized by Playwright, so a function rather than a
 * string: the UI's CSP forbids eval): the first gallery image not in `known`,
 * once it has loaded, or the capture error the UI shows.
 */
function findNewLoadedImage(
  known: string[],
): { id: string; alt: string; naturalWidth: number } | { captureError: string } | null {
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<ImgLike> } }).document;
  // Stop waiting as soon as the UI reports the capture failed.
  const failed = Array.from(doc.querySelectorAll('[data-testid="capture-error"]'))[0];
  if (failed !== undefined)
    return { captureError: (failed as unknown as { textContent: string | null }).textContent ?? '' };
  const img = Array.from(doc.querySelectorAll('[data-testid="gallery-item"]')).find(
    (e) => !known.includes(e.dataset['captureId'] ?? ''),
  );
  if (img === undefined) return null;
  img.scrollIntoView();
  return img.complete && img.naturalWidth > 0
    ? { id: img.dataset['captureId'] ?? '', alt: img.alt, naturalWidth: img.naturalWidth }
    : null;
}

describe('capture from the UI in a browser', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    e2e = await startStationInBrowser({
      prefix: 'skys-e2e-',
      // The embedded agent's simulated sensor reads every 300 ms, so the chart has points quickly.
      env: { SKYSTATION_SIM_SENSOR_INTERVAL_MS: '300' },
    });
    ({ page, baseUrl } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(40) ?? '';

  it('shows the new image after "Capture now" without reloading', async () => {
    await page.goto(baseUrl);
    await expect(page.getByRole('heading', { level: 1, name: 'Skystation' }).isVisible()).resolves.toBe(true);

    const row = page.locator('[data-testid="agent-row"][data-state="online"]').first();
    await row.waitFor({ state: 'visible', timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(`No agent row became online within 30 s. ${String(err)}${diagnostics()}`);
    });

    // Remember what the gallery shows now, and mark the page so a reload would be noticed.
    const before = new Set(
      await page
        .locator('[data-testid="gallery-item"]')
        .evaluateAll((els) => els.map((e) => (e as unknown as ImgLike).dataset['captureId'] ?? '')),
    );
    await page.evaluate('window.__skystationE2eMarker = 42');

    const button = row.getByTestId('capture-now');
    await expect(button.isEnabled()).resolves.toBe(true);
    await button.click();

    const newImage = await page
      .waitForFunction(findNewLoadedImage, [...before], { timeout: 60_000, polling: 100 })
      .then((h) => h.jsonValue())
      .catch(async (err: unknown) => {
        const errorText = await page.getByTestId('capture-error').allTextContents();
        throw new Error(
          `No new gallery image loaded within 60 s. ${String(err)}\ncapture error: ${errorText.join(' ') || '(none)'}${diagnostics()}`,
        );
      });

    if (newImage === null) throw new Error('waitForFunction resolved without an image');
    if ('captureError' in newImage) throw new Error(`The UI reported: ${newImage.captureError}${diagnostics()}`);
    expect(newImage.naturalWidth).toBeGreaterThan(0);
    expect(newImage.alt.length).toBeGreaterThan(0);
    // Same document: the marker survived, so the image came from an event/mutation, not a reload.
    await expect(page.evaluate('window.__skystationE2eMarker')).resolves.toBe(42);
    await expect(page.getByTestId('capture-error').count()).resolves.toBe(0);
    // The button is usable again once the capture finished.
    await expect.poll(() => button.textContent(), { timeout: 30_000 }).toBe('Capture now');
    // The simulated sensor's temperature series is charted in the camera's row.
    await expect
      .poll(() => page.getByTestId('sensor-chart').locator('figcaption').textContent(), { timeout: 60_000 })
      .toMatch(/°C now/);

    // An export of the day so far from the Exports tab: queued, encoded by ffmpeg, done.
    await page.getByTestId('tab-exports').click();
    await page.getByTestId('export-create').click();
    const job = page.getByTestId('export-job').first();
    await expect
      .poll(() => job.getAttribute('data-status'), { timeout: 60_000 })
      .toMatch(/^(done|failed)$/)
      .catch(async (err: unknown) => {
        const form = await page.getByRole('form', { name: 'New export' }).textContent();
        throw new Error(`${String(err)}\nexport form: ${form ?? ''}${diagnostics()}`);
      });
    expect(await job.getAttribute('data-status'), (await job.textContent()) ?? '').toBe('done');

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }, 120_000);
});
