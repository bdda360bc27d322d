/**
 * Issue #15 through the UI: a new profile version keeps every earlier change
 * (ridge_winter: EV +1 over preset A, then iso_max 800, then an exposure-ramp
 * edit, each saved from the profile form), a derived profile shows its own
 * name, and the diff panel follows a rollback instead of going stale. The headless station is a real process;
 * Chromium is Debian's.
 *
 * Needs /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

describe('profile versions from the UI', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    e2e = await startStationInBrowser({ prefix: 'skys-e2e-profiles-', viewport: { width: 1280, height: 1000 } });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const resolvedSettings = async (version?: string): Promise<Record<string, unknown>> =>
    (await stationCall(baseUrl, 'getProfile', { profileId: 'ridge_winter', ...(version ? { version } : {}) })).resolved
      .settings;

  it('keeps EV +1 through an iso_max edit and iso_max through a ramp edit; diff follows a rollback', async () => {
    await page.goto(baseUrl);
    await page.getByTestId('tab-profiles').click();
    await page.getByTestId('extend-id').fill('ridge_winter');
    await expect.poll(() => page.getByTestId('extend-parent').locator('option').count(), { timeout: 20_000 }).toBe(6);
    await page.getByTestId('extend-parent').selectOption('a');
    await page.getByTestId('extend-create').click();
    const row = page.locator('[data-testid="profile-row"]', { hasText: 'ridge_winter' });
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    // Its own name (the id), not preset A's "A: Center-weighted auto".
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('ridge_winter');
    await row.locator('button').click();

    const heading = page.getByTestId('profile-title');
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.0.0');
    const save = async (version: string): Promise<void> => {
      await expect.poll(() => page.getByTestId('profile-save').isEnabled(), { timeout: 15_000 }).toBe(true);
      await page.getByTestId('profile-save').click();
      await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe(`ridge_winter ${version}`);
    };

    await page.getByTestId('field-ev_compensation').fill('1');
    await save('1.1.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 1600 });

    await page.getByTestId('field-iso_max').fill('800');
    await save('1.2.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 800 });
    await expect(page.getByTestId('field-ev_compensation').inputValue()).resolves.toBe('1');

    await page.getByTestId('field-max_step_ev').fill('0.25');
    await save('1.3.0');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.25 });

    // Compare 1.1.0 with the latest, then roll back to 1.1.0: the panel follows to the new version.
    const history = (v: string) => page.locator(`[data-testid="history-row"][data-version="${v}"]`);
    await history('1.1.0').getByRole('button', { name: 'Compare with latest' }).click();
    const title = page.getByTestId('diff-title');
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('1.1.0 → 1.3.0: 2 change(s)');
    await expect(page.getByTestId('profile-diff').textContent()).resolves.toContain('ISO max 1600 → 800');
    await history('1.1.0').getByRole('button', { name: 'Roll back to this' }).click();
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('ridge_winter 1.3.1');
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('1.3.0 → 1.3.1: 2 change(s)');
    await history('1.1.0').getByRole('button', { name: 'Compare with latest' }).click();
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('1.1.0 → 1.3.1: no differences');
    expect(await resolvedSettings()).toMatchObject({ ev_compensation: 1, iso_max: 1600 });

    // The API agrees with what the operator saw.
    expect(await resolvedSettings('1.3.0')).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.25 });
    expect(pageErrors).toEqual([]);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts/profile-versions.png'), fullPage: true });
  }, 120_000);
});
