/**
 * Issue 16, finding 6, as the operator sees it: a capture a camera found after
 * a crash (reconciled) carries a "Reconciled" badge in the gallery, and its
 * lightbox says "unknown" for the ISO and shutter speed nobody knows, never a
 * stand-in number. Debian's Chromium against the built headless station, its
 * gallery seeded with a few captures plus one reconciled. Screenshots go to
 * test-artifacts/ (not committed).
 *
 * Needs /usr/bin/chromium and a build (`npm run build`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { seedGallery } from '../helpers/seed-gallery.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

describe('a reconciled capture in the gallery', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-reconciled-'));
    await seedGallery(dataDir, { total: 12, cameras: 2 });
    // The newest capture: found after a crash, nothing told its exposure.
    const rel = 'originals/seed-cam-1/found.jpg';
    copyFileSync(join(dataDir, 'media', 'originals', 'seed-cam-1', 's0.jpg'), join(dataDir, 'media', rel));
    const db = openDatabase(join(dataDir, 'gallery.sqlite'));
    new CapturesRepo(db).insert({
      agentId: 'seed-cam-1',
      captureId: 'found',
      seq: 99,
      capturedAt: '2026-01-20T06:30:00.000Z',
      schedule: null,
      profile: null,
      profileVersion: null,
      testId: null,
      variant: null,
      iso: null,
      shutterSpeed: null,
      settingsJson: JSON.stringify({
        iso: null,
        shutter_speed: null,
        exposure_compensation: null,
        awb_mode: null,
        ae_metering_mode: null,
      }),
      lux: null,
      temperatureC: null,
      width: 320,
      height: 180,
      sizeBytes: 20_000,
      sha256: 'cd'.repeat(32),
      imagePath: rel,
      thumbPath: rel,
      importedAt: '2026-01-20T06:31:00.000Z',
      meanBrightness: 120,
      reconciled: true,
    });
    db.close();
    ({ station, baseUrl } = await startHeadlessStation(dataDir, ['--embedded-agent', 'never']));
    ({ browser, page } = await openBrowser(pageErrors, { width: 1200, height: 800 }));
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('shows its badge and "unknown" for what it does not know', async () => {
    await page.goto(`${baseUrl}/#/gallery`);
    const cells = page.getByTestId('gallery-cell');
    await cells
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`No gallery cell appeared. ${String(err)}\n${pageErrors.join('\n')}`);
      });
    const found = page.locator('[data-capture-id="seed-cam-1/found"]');
    await expect(found.getAttribute('data-reconciled')).resolves.toBe('true');
    await expect(found.getByTestId('gallery-reconciled').textContent()).resolves.toBe('Reconciled');
    // Only that one: the others were synced as taken.
    expect(await page.getByTestId('gallery-reconciled').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-reconciled.png') });

    await found.click();
    const meta = page.getByTestId('lightbox-meta');
    await meta.waitFor({ state: 'visible', timeout: 15_000 });
    const text = (await meta.textContent()) ?? '';
    expect(text).toContain('Exposureunknown');
    expect(text).toContain('Reconciledafter a camera crash');
    expect(text).not.toMatch(/null|ISO 100\b|1\/125/);
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-reconciled-lightbox.png') });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
