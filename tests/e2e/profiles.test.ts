/**
 * The Profiles view end to end in Debian's Chromium (issue #17), as a new
 * operator would: make a profile from preset A, see each field's inherited
 * value, type a wrong shutter (refused in words, nothing saved) and a right
 * one, clear an override, pick a white-balance curve and drag one of its
 * points, see the exposure ramp over the equinox sunset in Denver (the sunset
 * astronomy-engine gives), save, read the change in words in the history,
 * deploy to the simulated camera and roll back. Screenshots (day and night
 * mode) go to test-artifacts/.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Body, Observer, SearchRiseSet } from 'astronomy-engine';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';
import { stationCall } from './rpc.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const DENVER = { latitude: 39.61, longitude: -105.31, timezone: 'America/Denver' };
const DAY = '2025-03-20';

const clock = (ms: number): string =>
  new Intl.DateTimeFormat(undefined, {
    timeZone: DENVER.timezone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);

/* What the page-side callbacks touch (this project's node tsconfig has no DOM types). */
interface ScrollLike {
  scrollIntoView(options: { block: 'center' }): void;
}
interface CanvasLike {
  width: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
  height: number;
}

describe('profiles from the UI', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-profile-editor-'));
    ({ station, baseUrl } = await startHeadlessStation(dataDir));
    ({ browser, page } = await openBrowser(pageErrors, { width: 1400, height: 1000 }));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${station?.stderr.slice(-30).join('\n') ?? ''}`;

  const setNight = async (on: boolean): Promise<void> => {
    const night = async (): Promise<boolean> => (await page.locator('html').getAttribute('data-night')) !== null;
    if ((await night()) !== on) await page.getByTestId('night-toggle').click();
    await expect.poll(night).toBe(on);
  };

  const painted = (testId: string): Promise<number> =>
    page.getByTestId(testId).evaluate((c) => {
      const canvas = c as unknown as CanvasLike;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });

  it('edits a field and the curve, sees the ramp, saves, reads the diff, deploys and rolls back', async () => {
    // The place was set on the Schedules view (its own test covers that form).
    await stationCall(baseUrl, 'setLocation', DENVER);
    await stationCall(baseUrl, 'createSchedule', {
      name: 'night',
      schedule: { type: 'night', twilight: 'nautical', interval_seconds: 60 },
    });
    await page.goto(baseUrl);
    await page
      .locator('[data-state="online"]')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`No camera came online. ${String(err)}${diagnostics()}`);
      });

    // A new profile from preset A.
    await page.getByTestId('tab-profiles').click();
    await expect.poll(() => page.getByTestId('extend-parent').locator('option').count(), { timeout: 20_000 }).toBe(6);
    await page.getByTestId('extend-id').fill('ridge');
    await page.getByTestId('extend-parent').selectOption('a');
    await page.getByTestId('extend-create').click();
    const title = page.getByTestId('profile-title');
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('ridge 1.0.0');
    await expect(page.getByTestId('profile-inherits').textContent()).resolves.toContain(
      'come from A: Center-weighted auto 1.0.0',
    );

    // Every field shows what it inherits; nothing is overridden yet.
    const row = (path: string) => page.locator(`[data-testid="field-row"][data-path="${path}"]`);
    await expect(page.getByTestId('inherited-ev_compensation').textContent()).resolves.toBe('+0.3 EV');
    await expect(page.getByTestId('inherited-shutter_max').textContent()).resolves.toBe('20 s');
    await expect(page.getByTestId('inherited-metering_mode').textContent()).resolves.toBe('Centre-weighted');
    await expect(page.getByTestId('field-shutter_max').inputValue()).resolves.toBe('20');
    expect(await page.getByTestId('field-row').count()).toBeGreaterThanOrEqual(13);
    await expect(row('shutter_max').getAttribute('data-overrides')).resolves.toBe('false');

    // A shutter the camera cannot take: refused in words, Save stays off.
    await page.getByTestId('field-shutter_max').fill('twenty');
    await expect
      .poll(() => page.getByTestId('error-shutter_max').textContent(), { timeout: 15_000 })
      .toBe('Shutter max: write a shutter time like 1/500 or 2.5 (seconds, at most 3600).');
    await expect(page.getByTestId('profile-save').isDisabled()).resolves.toBe(true);
    await expect(page.getByTestId('profile-save-state').textContent()).resolves.toBe('Fix 1 field before saving.');
    await page.getByTestId('field-shutter_max').fill('30');
    await expect.poll(() => page.getByTestId('error-shutter_max').count(), { timeout: 15_000 }).toBe(0);
    await expect(row('shutter_max').getAttribute('data-overrides')).resolves.toBe('true');
    await expect(page.getByTestId('inherited-shutter_max').textContent()).resolves.toBe('20 s');

    // An override cleared goes back to the inherited value.
    await page.getByTestId('field-ev_compensation').fill('1');
    await expect.poll(() => row('ev_compensation').getAttribute('data-overrides')).toBe('true');
    await page.getByTestId('clear-ev_compensation').click();
    await expect.poll(() => row('ev_compensation').getAttribute('data-overrides')).toBe('false');
    await expect(page.getByTestId('field-ev_compensation').inputValue()).resolves.toBe('0.3');

    // Discarding an edit puts the field back as it was.
    await page.getByTestId('field-iso_min').fill('200');
    await expect.poll(() => row('iso_min').getAttribute('data-overrides')).toBe('true');
    await page.getByTestId('profile-discard').click();
    await expect.poll(() => page.getByTestId('field-iso_min').inputValue()).toBe('100');
    await expect(page.getByTestId('field-shutter_max').inputValue()).resolves.toBe('20');
    await page.getByTestId('field-shutter_max').fill('30');

    // Limits for one schedule: the night window may go up to ISO 6400 (the rest of the day stays at 1600).
    await page.getByTestId('override-add-schedule').selectOption('night');
    await page.getByTestId('override-add').click();
    const nightIso = 'schedule_overrides-night-iso_max';
    await expect(page.getByTestId(`inherited-${nightIso}`).textContent()).resolves.toBe('1600');
    await page.getByTestId(`field-${nightIso}`).fill('6400');
    await expect.poll(() => row('schedule_overrides.night.iso_max').getAttribute('data-overrides')).toBe('true');

    // The balanced curve, then its 100 lux point dragged warmer-looking (higher kelvin).
    await page.getByTestId('field-adaptive_wb_curve').selectOption({ label: 'Balanced' });
    const handles = page.getByTestId('wb-handle');
    await expect.poll(() => handles.count(), { timeout: 15_000 }).toBe(10);
    const point = page.locator('[data-testid="wb-handle"][data-lux="100"]');
    await expect(point.getAttribute('data-kelvin')).resolves.toBe('4000');
    // In the middle of the window: clear of the sticky save bar at its bottom.
    await point.evaluate((el) => (el as unknown as ScrollLike).scrollIntoView({ block: 'center' }));
    const box = (await point.boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx, cy - 30, { steps: 6 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('field-adaptive_wb_curve').inputValue()).toBe('custom');
    const dragged = page.getByTestId('wb-handle').nth(7);
    const kelvin = Number(await dragged.getAttribute('data-kelvin'));
    expect(kelvin).toBeGreaterThan(4200);
    expect(kelvin).toBeLessThan(6000);
    expect(await painted('wb-chart')).toBeGreaterThan(1000);

    // The ramp over the equinox sunset in Denver, from the edited (unsaved) profile.
    await page.getByTestId('ramp-date').fill(DAY);
    const obs = new Observer(DENVER.latitude, DENVER.longitude, 0);
    const sunset = SearchRiseSet(Body.Sun, obs, -1, new Date(`${DAY}T06:00:00Z`), 1)!.date.getTime();
    const summary = page.getByTestId('ramp-summary');
    await expect
      .poll(() => summary.textContent(), { timeout: 30_000 })
      .toMatch(new RegExp(`^Sunset ${clock(sunset)} \\(America/Denver\\)`));
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toContain('unsaved edits');
    await expect(page.getByTestId('ramp-chart').getAttribute('data-frames')).resolves.toBe('241');
    expect(Number(await page.getByTestId('ramp-largest-step').textContent())).toBeLessThanOrEqual(0.34);
    expect(await painted('ramp-ev-chart')).toBeGreaterThan(1000);
    expect(await painted('ramp-camera-chart')).toBeGreaterThan(1000);
    // Seen with the night schedule's limits, ISO goes past the day's 1600 at dusk.
    const isoTop = async (): Promise<number> =>
      Number(/ISO \d+ → (\d+)/.exec((await summary.textContent()) ?? '')?.[1]);
    expect(await isoTop()).toBe(1600);
    await page.getByTestId('ramp-schedule').selectOption('night');
    await expect.poll(isoTop, { timeout: 30_000 }).toBeGreaterThan(1600);
    await page.getByTestId('ramp-schedule').selectOption('');
    await expect.poll(isoTop, { timeout: 30_000 }).toBe(1600);

    // Save; the history shows the change in words.
    await page.getByTestId('profile-note').fill('longer nights, warmer dusk');
    await page.getByTestId('profile-save').click();
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('ridge 1.1.0');
    const lines = page.getByTestId('diff-line');
    await expect
      .poll(() => lines.allTextContents(), { timeout: 15_000 })
      .toEqual([
        'Light → white balance curve None → Custom curve (10 points)',
        'night: ISO max not set → 6400',
        'Shutter max 20 s → 30 s',
      ]);
    await expect(page.getByTestId('diff-title').textContent()).resolves.toBe('1.0.0 → 1.1.0: 3 change(s)');
    const saved = await stationCall(baseUrl, 'getProfile', { profileId: 'ridge' });
    expect(saved.resolved.settings).toMatchObject({
      shutter_max: '30',
      ev_compensation: 0.3,
      iso_min: 100,
      schedule_overrides: { night: { iso_max: 6400 } },
    });
    const curve = saved.resolved.settings['adaptive_wb_curve'] as Array<[number, number]>;
    expect(curve.find(([lux]) => lux === 100)?.[1]).toBe(kelvin);
    expect(pageErrors, diagnostics()).toEqual([]);
    // Scrolled to the end, the sticky save bar sits under the form instead of over it.
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.screenshot({ path: join(ARTIFACTS, 'profiles.png'), fullPage: true });
    await setNight(true);
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.screenshot({ path: join(ARTIFACTS, 'profiles-night.png'), fullPage: true });
    await setNight(false);

    // Deploy to the simulated camera.
    await page.getByTestId('profile-deploy-camera').first().check();
    await page.getByTestId('profile-deploy').click();
    const result = page.getByTestId('profile-deploy-result').first();
    await expect
      .poll(() => result.getAttribute('data-ok'), { timeout: 30_000 })
      .toBe('true')
      .catch(async (err: unknown) => {
        throw new Error(`Deploy failed: ${String(await result.textContent())} ${String(err)}${diagnostics()}`);
      });
    await expect(result.textContent()).resolves.toContain('ridge 1.1.0 deployed');
    await expect
      .poll(() => page.getByTestId('profile-deployments').textContent(), { timeout: 15_000 })
      .toContain('1.1.0');

    // Roll back to 1.0.0: a new version with 1.0.0's content; its changes read the other way.
    await page.locator('[data-testid="history-row"][data-version="1.0.0"]').getByTestId('rollback').click();
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe('ridge 1.1.1');
    await expect
      .poll(() => lines.allTextContents(), { timeout: 15_000 })
      .toEqual([
        'Light → white balance curve Custom curve (10 points) → None',
        'night: ISO max 6400 → not set',
        'Shutter max 30 s → 20 s',
      ]);
    await expect(page.getByTestId('field-shutter_max').inputValue()).resolves.toBe('20');
    await expect(row('shutter_max').getAttribute('data-overrides')).resolves.toBe('false');
    expect(pageErrors, diagnostics()).toEqual([]);
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.screenshot({ path: join(ARTIFACTS, 'profiles-rollback.png'), fullPage: true });
  }, 240_000);
});
