/**
 * The gallery as an operator uses it (issue #15), in Debian's Chromium
 * against the built headless station, its gallery seeded with 12,000
 * captures over four cameras and several nights: scroll to the oldest,
 * filter, open the lightbox, move with the arrow keys, tag, mark as dark and
 * delete (the camera is not connected, so the station asks before deleting
 * what may be the only copy). Screenshots go to test-artifacts/ (not
 * committed).
 *
 * Needs /usr/bin/chromium and a build (`npm run build`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { seedGallery, type SeededGallery } from '../helpers/seed-gallery.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

const TOTAL = 12_000;
const ARTIFACTS = join(ROOT, 'test-artifacts');

describe('gallery view', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];
  let dataDir: string;
  let seeded: SeededGallery;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    e2e = await startStationInBrowser({
      prefix: 'skys-e2e-gallery-',
      stationArgs: ['--embedded-agent', 'never'],
      viewport: { width: 1400, height: 900 },
      before: async (dir) => {
        seeded = await seedGallery(dir, { total: TOTAL });
      },
    });
    ({ page, baseUrl, pageErrors, dataDir } = e2e);
  }, 120_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(20) ?? '';
  const cells = () => page.getByTestId('gallery-cell');
  const total = () => page.getByTestId('gallery-total').textContent();
  /** Scrolls the grid to a fraction of its height (0 newest, 1 oldest). */
  const scrollTo = (fraction: number) =>
    page.evaluate(
      `(() => { const el = document.querySelector('[data-testid="gallery-scroller"]'); el.scrollTop = el.scrollHeight * ${fraction}; })()`,
    );

  it('shows every capture grouped by night and scrolls to the oldest', async () => {
    await page.goto(`${baseUrl}/#/gallery`);
    await cells()
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`No gallery cell appeared. ${String(err)}${diagnostics()}`);
      });
    await expect.poll(total, { timeout: 15_000 }).toMatch(/^12,000 images, \d+ nights$/);
    // Newest first: the newest minute's four captures, the highest rowid first.
    await expect(cells().first().getAttribute('data-capture-id')).resolves.toBe(`seed-cam-4/s3`);
    expect(await page.getByTestId('gallery-night').count()).toBeGreaterThan(0);
    // Only a screenful of cells exists in the page, not 12,000.
    expect(await cells().count()).toBeLessThan(200);
    // Dark night thumbnails are brightened for display.
    await expect(cells().nth(5).getAttribute('data-stretched')).resolves.toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-newest.png') });

    await scrollTo(0.5);
    await expect
      .poll(async () => (await cells().count()) > 0 && (await page.locator('.gallery-cell-loading').count()) === 0, {
        timeout: 20_000,
      })
      .toBe(true);
    await scrollTo(1);
    const oldest = `${seeded.cameras[0]}/s${TOTAL - seeded.cameras.length}`;
    await expect.poll(() => cells().last().getAttribute('data-capture-id'), { timeout: 20_000 }).toBe(oldest);
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-oldest.png') });
  }, 120_000);

  it('filters by camera, darks and brackets, and clears', async () => {
    await scrollTo(0);
    await page.getByTestId('filter-camera').selectOption('seed-cam-2');
    await expect.poll(total, { timeout: 15_000 }).toMatch(/^3,000 images/);
    await expect.poll(() => cells().first().getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-2/s1');
    const ids = await Promise.all(
      (await cells().all()).map(async (c) => (await c.getAttribute('data-capture-id')) ?? ''),
    );
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.every((id) => id.startsWith('seed-cam-2/'))).toBe(true);

    await page.getByTestId('filter-darks').selectOption('dark');
    await page.getByTestId('gallery-empty').waitFor({ state: 'visible', timeout: 15_000 });
    await expect(page.getByTestId('gallery-empty').textContent()).resolves.toMatch(/Clear a filter/);

    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-brackets').selectOption('only');
    // Every 97th seeded capture is one image of a bracketed set: 124 of 12,000.
    await expect.poll(total, { timeout: 15_000 }).toMatch(/^124 images/);
    await page.getByTestId('filter-clear').click();
    await expect.poll(total, { timeout: 15_000 }).toMatch(/^12,000 images/);
  }, 60_000);

  it('opens the lightbox, moves with the keyboard, tags, marks as dark and deletes with confirmation', async () => {
    await cells().first().click();
    const box = page.getByRole('dialog');
    await box.waitFor({ state: 'visible', timeout: 15_000 });
    await expect.poll(() => box.getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-4/s3');
    await page.getByTestId('lightbox-histogram').waitFor({ state: 'visible', timeout: 15_000 });
    await expect(page.getByTestId('lightbox-meta').textContent()).resolves.toContain('ISO');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => box.getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-3/s2');
    await expect(page.getByTestId('lightbox-position').textContent()).resolves.toBe('2 of 12,000');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => box.getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-4/s3');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => box.getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-3/s2');

    // Tag it.
    await page.getByTestId('lightbox-tag-input').fill('meteor');
    await page.getByTestId('lightbox-tag-add').click();
    await expect
      .poll(() => page.getByTestId('lightbox-tag').allTextContents(), { timeout: 15_000 })
      .toEqual(['meteor ✕']);
    // Arrow keys typed into the tag field stay there.
    await page.getByTestId('lightbox-tag-input').press('ArrowRight');
    await expect(box.getAttribute('data-capture-id')).resolves.toBe('seed-cam-3/s2');

    // Mark it as a dark frame.
    await page.getByTestId('lightbox-mark-dark').click();
    await expect
      .poll(() => page.getByTestId('lightbox-mark-dark').textContent(), { timeout: 15_000 })
      .toBe('Use as a picture again');
    await expect(page.getByTestId('lightbox-notice').textContent()).resolves.toMatch(/dark frame/);
    const detail = await stationCall(baseUrl, 'gallery.get', { id: 'seed-cam-3/s2' });
    expect(detail).toMatchObject({ frameKind: 'dark', tags: ['meteor'] });
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-lightbox.png') });

    // Delete it: the camera cannot be asked, so the station asks before deleting the only copy.
    const file = join(dataDir, 'media', 'originals', 'seed-cam-3', 's2.jpg');
    expect(existsSync(file)).toBe(true);
    await page.keyboard.press('Delete');
    await page.getByTestId('lightbox-delete-confirm').click();
    await expect
      .poll(() => page.getByTestId('lightbox-only-copy').textContent(), { timeout: 15_000 })
      .toMatch(/may exist only on this computer/);
    expect(existsSync(file)).toBe(true); // nothing deleted before the second confirmation
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-delete-confirm.png') });
    await page.getByTestId('lightbox-delete-for-good').click();
    await expect
      .poll(() => page.getByTestId('lightbox-notice').textContent(), { timeout: 15_000 })
      .toMatch(/Deleted the image from this computer/);
    expect(existsSync(file)).toBe(false);
    await expect.poll(() => box.getAttribute('data-capture-id'), { timeout: 15_000 }).toBe('seed-cam-2/s1');
    await expect(page.getByTestId('lightbox-position').textContent()).resolves.toBe('2 of 11,999');
    await expect(stationCall(baseUrl, 'gallery.get', { id: 'seed-cam-3/s2' })).rejects.toThrow(/capture_not_found/);

    await page.keyboard.press('Escape');
    await box.waitFor({ state: 'hidden', timeout: 15_000 });
    await expect.poll(total, { timeout: 15_000 }).toMatch(/^11,999 images/);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);

  it('looks right in night mode', async () => {
    await page.getByRole('button', { name: 'Night mode' }).click();
    await expect.poll(() => page.evaluate<boolean>("document.documentElement.hasAttribute('data-night')")).toBe(true);
    await cells().first().click();
    await page.getByRole('dialog').waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByTestId('lightbox-histogram').waitFor({ state: 'visible', timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-lightbox-night.png') });
    await page.keyboard.press('Escape');
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-night.png') });
    await page.getByRole('button', { name: 'Night mode' }).click();
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 60_000);
});
