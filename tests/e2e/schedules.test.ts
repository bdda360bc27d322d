/**
 * End to end in a real browser (issue #5): the headless station with its
 * embedded simulated agent serves the UI; Chromium sets the location, creates
 * a schedule, assigns it to the camera and deploys a profile from the
 * Schedules pane, then the station's seed 002 /cameras/{id}/status shows the
 * deployment.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

describe('schedules and deployment from the UI', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    e2e = await startStationInBrowser({ prefix: 'skys-e2e-sched-', viewport: { width: 1280, height: 900 } });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(30) ?? '';

  it('creates a schedule, assigns it and deploys a profile to the camera', async () => {
    await page.goto(baseUrl);
    const online = page.locator('[data-testid="agent-row"][data-state="online"]').first();
    await online.waitFor({ state: 'visible', timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(`No camera came online. ${String(err)}${diagnostics()}`);
    });
    const agentId = await online.getAttribute('data-agent-id');

    await page.getByTestId('tab-schedules').click();
    await page.getByTestId('location-lat').fill('39.61');
    await page.getByTestId('location-lon').fill('-105.31');
    await page.getByTestId('location-tz').fill('America/Denver');
    await page.getByTestId('location-save').click();
    await expect
      .poll(() => page.getByTestId('location-current').textContent(), { timeout: 15_000 })
      .toContain('America/Denver');

    // A name with a space and a zero interval are refused next to their fields, in words, and nothing is sent.
    await page.getByTestId('schedule-kind').selectOption('sunset');
    await page.getByTestId('schedule-name').fill('my evening');
    await page.getByTestId('schedule-interval').fill('0');
    await page.getByTestId('schedule-create').click();
    await expect.poll(() => page.getByTestId('error-name').textContent()).toMatch(/no spaces/);
    await expect(page.getByTestId('error-interval').textContent()).resolves.toMatch(/at least 1 second/);
    expect(await page.getByTestId('schedule-row').count()).toBe(0);

    await page.getByTestId('schedule-name').fill('evening');
    await page.getByTestId('schedule-offset').fill('-45');
    await page.getByTestId('schedule-interval').fill('20');
    await page.getByTestId('schedule-create').click();
    const row = page.locator('[data-testid="schedule-row"][data-name="evening"]');
    await row.waitFor({ state: 'visible', timeout: 15_000 }).catch((err: unknown) => {
      throw new Error(`The new schedule did not appear. ${String(err)}${diagnostics()}`);
    });
    await expect(row.getByTestId('schedule-description').textContent()).resolves.toBe(
      'From 45 min before sunset for 60 min, every 20 s.',
    );
    expect(await page.getByTestId('error-name').count()).toBe(0);

    // Edited in the same form: a longer window.
    await row.getByTestId('schedule-edit').click();
    await expect.poll(() => page.getByTestId('schedule-offset').inputValue()).toBe('-45');
    await page.getByTestId('schedule-duration').fill('90');
    await page.getByTestId('schedule-create').click();
    await expect
      .poll(() => row.getByTestId('schedule-description').textContent(), { timeout: 15_000 })
      .toBe('From 45 min before sunset for 90 min, every 20 s.');

    const camera = page.locator(`[data-testid="camera-assignment"][data-agent-id="${agentId}"]`);
    await camera.getByTestId('assign-evening').check();
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('—');
    await camera.getByTestId('assign-save').click();
    await expect.poll(() => row.locator('td').nth(3).textContent(), { timeout: 15_000 }).not.toBe('—');

    await page.getByTestId('deploy-profile').selectOption('f');
    await page.getByTestId('deploy-camera').first().check();
    await page.getByTestId('deploy-submit').click();
    const result = page.getByTestId('deploy-result').first();
    await result.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await result.textContent()) ?? '';
    expect(text, diagnostics()).toMatch(/deployed f 1\.0\.0, \d+ windows/);
    await expect(result.getAttribute('data-ok')).resolves.toBe('true');
    await expect
      .poll(() => camera.getByTestId('deployed-version').textContent(), { timeout: 15_000 })
      .toMatch(/f 1\.0\.0 \(deployed/);

    // The station's seed 002 per-camera status agrees, and the plan uses the new schedule.
    const status = (await (await fetch(`${baseUrl}/cameras/${agentId}/status`)).json()) as {
      schedules: string[];
      deployment: { profileId: string; version: string; windows: number } | null;
    };
    expect(status.schedules).toEqual(['evening']);
    expect(status.deployment).toMatchObject({ profileId: 'f', version: '1.0.0' });
    expect(status.deployment!.windows).toBeGreaterThanOrEqual(29);
    expect(pageErrors).toEqual([]);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/e2e-schedules.png'), fullPage: true });
  }, 120_000);

  it("sets a profile's exposure ramp from the Profiles pane as a new version", async () => {
    await page.getByTestId('tab-profiles').click();
    await page.locator('[data-testid="profile-row"] button', { hasText: /^f$/ }).click();
    const title = page.getByTestId('profile-title');
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toMatch(/ 1\.0\.0$/);
    const step = page.getByTestId('field-max_step_ev');
    await expect.poll(async () => Number(await step.inputValue()), { timeout: 15_000 }).toBeCloseTo(1 / 3, 3);
    // Unchanged: nothing to save.
    await expect(page.getByTestId('profile-save').isDisabled()).resolves.toBe(true);
    await step.fill('0.25');
    await expect.poll(() => page.getByTestId('profile-save').isDisabled(), { timeout: 15_000 }).toBe(false);
    await page.getByTestId('profile-save').click();
    // A new version holds it, the form reads it back and the compiled settings carry it.
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toMatch(/ 1\.1\.0$/);
    await expect.poll(() => step.inputValue(), { timeout: 15_000 }).toBe('0.25');
    const saved = await stationCall(baseUrl, 'getProfile', { profileId: 'f' });
    expect(saved.resolved.settings).toMatchObject({ max_step_ev: 0.25 });
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 60_000);
});
