/**
 * End to end in a real browser (issue #6): the operator marks a gallery image
 * as a dark frame, sees the "Dark" badge, finds it still marked after a
 * reload (stored in the gallery), and unmarks it; the Exports section offers
 * the HDR and dark-frame options.
 *
 * The gallery is seeded before the built headless station starts (real
 * SQLite, real JPEGs), with no camera: `--embedded-agent never`.
 * Needs Debian's Chromium and a build (`npm run build`); see harness.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';

const AGENT = 'cam-e2e-darks';
const SCREENSHOT = join(ROOT, 'test-results/e2e-darks.png');

async function seedGallery(dataDir: string): Promise<string[]> {
  const rel = `originals/${AGENT}`;
  mkdirSync(join(dataDir, 'media', rel), { recursive: true });
  const db = openDatabase(join(dataDir, 'gallery.sqlite'));
  const ids: string[] = [];
  try {
    const repo = new CapturesRepo(db);
    for (let i = 0; i < 3; i++) {
      const file = `${rel}/night-${i}.jpg`;
      await sharp({ create: { width: 160, height: 90, channels: 3, background: { r: 10, g: 12, b: 30 + i * 20 } } })
        .jpeg()
        .toFile(join(dataDir, 'media', file));
      const capturedAt = `2025-01-10T20:0${i}:00.000Z`;
      repo.insert({
        agentId: AGENT,
        captureId: `c${i}`,
        seq: i + 1,
        capturedAt,
        schedule: 'night',
        profile: null,
        profileVersion: null,
        testId: null,
        variant: null,
        iso: 800,
        shutterSpeed: '10',
        settingsJson: '{}',
        lux: 0.01,
        temperatureC: 4,
        width: 160,
        height: 90,
        sizeBytes: 1,
        sha256: '0'.repeat(64),
        imagePath: file,
        thumbPath: file,
        importedAt: capturedAt,
        meanBrightness: 20,
        clippedHighlights: 0,
        clippedShadows: 0,
        focusScore: 1,
      });
      ids.push(`${AGENT}/c${i}`);
    }
  } finally {
    db.close();
  }
  return ids;
}

describe('marking dark frames in the gallery (browser)', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];
  let ids: string[];

  beforeAll(async () => {
    e2e = await startStationInBrowser({
      prefix: 'skys-e2e-darks-',
      stationArgs: ['--embedded-agent', 'never'],
      before: async (dir) => {
        ids = await seedGallery(dir);
      },
    });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(40) ?? '';

  const item = (id: string) => page.locator('li.gallery-item', { has: page.locator(`[data-capture-id="${id}"]`) });

  it('marks a capture as dark, shows the badge (also after a reload) and unmarks it', async () => {
    await page.goto(baseUrl);
    const target = item(ids[1]!);
    await target.waitFor({ state: 'visible', timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(`The seeded capture is not in the gallery. ${String(err)}${diagnostics()}`);
    });
    await expect(page.getByTestId('dark-badge').count()).resolves.toBe(0);

    await target.getByTestId('mark-dark').click();
    await target
      .getByTestId('dark-badge')
      .waitFor({ state: 'visible', timeout: 15_000 })
      .catch((err: unknown) => {
        throw new Error(`No dark badge after "Mark as dark". ${String(err)}${diagnostics()}`);
      });
    await expect(target.getAttribute('data-frame-kind')).resolves.toBe('dark');
    await expect(target.getByTestId('mark-dark').textContent()).resolves.toBe('Unmark dark');
    // Only that capture.
    await expect(page.getByTestId('dark-badge').count()).resolves.toBe(1);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Stored in the gallery: still a dark after a reload.
    await page.reload();
    await item(ids[1]!).getByTestId('dark-badge').waitFor({ state: 'visible', timeout: 30_000 });
    await expect(item(ids[0]!).getByTestId('dark-badge').count()).resolves.toBe(0);

    await item(ids[1]!).getByTestId('mark-dark').click();
    await expect.poll(() => page.getByTestId('dark-badge').count(), { timeout: 15_000 }).toBe(0);
    await expect(item(ids[1]!).getAttribute('data-frame-kind')).resolves.toBe('light');
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 90_000);

  it('the Exports section offers bracket fusion and dark subtraction, with an explanation', async () => {
    await page.getByTestId('tab-exports').click();
    const hdr = page.getByTestId('export-hdr');
    const darks = page.getByTestId('export-darks');
    await expect(hdr.inputValue()).resolves.toBe('fuse');
    await expect(darks.inputValue()).resolves.toBe('auto');
    await expect(page.getByTestId('export-processing-help').textContent()).resolves.toMatch(
      /Dark frames are never exported/,
    );
  });
});
