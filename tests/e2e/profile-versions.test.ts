/**
 * Issue #15 through the UI: a new profile version keeps every earlier change
 * (ridge_winter: EV +1 over preset A, then iso_max 800, then an exposure-ramp
 * edit), a derived profile shows its own name, and the diff panel follows a
 * rollback instead of going stale. The headless station is a real process;
 * Chromium is Debian's.
 *
 * Needs /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';
import { stationCall } from './rpc.js';

describe('profile versions from the UI', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-profiles-'));
    ({ station, baseUrl } = await startHeadlessStation(dataDir));
    ({ browser, page } = await openBrowser(pageErrors, { width: 1280, height: 1000 }));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const resolvedSettings = async (): Promise<Record<string, unknown>> =>
    JSON.parse((await page.getByTestId('profile-detail').locator('pre').textContent()) ?? '{}') as Record<
      string,
      unknown
    >;

  it('keeps EV +1 through an iso_max edit and iso_max through a ramp edit; diff follows a rollback', async () => {
    await page.goto(baseUrl);
    await page.getByTestId('tab-profiles').click();
    await page.getByTestId('extend-id').fill('ridge_winter');
    await expect.poll(() => page.getByTestId('extend-parent').locator('option').count(), { timeout: 20_000 }).toBe(6);
    await page.getByTestId('extend-parent').selectOption('a');
    await page.getByTestId('extend-settings').fill('{"ev_compensation":1}');
    await page.getByTestId('extend-create').click();
    const row = page.locator('[data-testid="profile-row"]', { hasText: 'ridge_winter' });
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    // Its own name (the id), not preset A's "A: Center-weighted auto".
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('ridge_winter');
    await row.locator('button').click();

    const detail = page.getByTestId('profile-detail');
    const heading = detail.locator('h3').first();
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.0.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 1600 });

    await page.getByTestId('version-settings').fill('{"iso_max":800}');
    await page.getByTestId('version-save').click();
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.1.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 800 });

    await page.getByTestId('ramp-step').selectOption(String(0.25));
    await page.getByTestId('ramp-save').click();
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.2.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.25 });

    // Diff 1.0.0 → latest, then roll back to 1.0.0: the panel shows 1.0.0 → 1.2.1 with no differences.
    const history = (v: string) => page.locator(`[data-testid="history-row"][data-version="${v}"]`);
    await history('1.0.0').getByRole('button', { name: 'Diff with latest' }).click();
    const diff = page.getByTestId('profile-diff');
    await expect.poll(() => diff.locator('p').textContent(), { timeout: 15_000 }).toBe('1.0.0 → 1.2.0: 2 change(s)');
    await expect(diff.textContent()).resolves.toContain('settings.iso_max');
    await history('1.0.0').getByRole('button', { name: 'Roll back to this' }).click();
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.2.1');
    await expect.poll(() => diff.locator('p').textContent(), { timeout: 15_000 }).toBe('1.0.0 → 1.2.1: no differences');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 1600 });

    // The API agrees with what the operator saw.
    const v12 = await stationCall(baseUrl, 'getProfile', { profileId: 'ridge_winter', version: '1.2.0' });
    expect(v12.resolved.settings).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.25 });
    expect(pageErrors).toEqual([]);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts/profile-versions.png'), fullPage: true });
  }, 120_000);
});
