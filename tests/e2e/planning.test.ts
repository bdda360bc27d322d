/**
 * End to end in Debian's Chromium (issue #17), as a new operator would: set
 * the place and create a schedule from the form (a wrong entry first), see it
 * on the day timeline with the sun's times astronomy-engine gives for that
 * place and day, see the next 30 days as a calendar strip, then deploy a
 * profile, run an A/B test from its form, follow its progress and compare the
 * variants side by side with one zoom. Screenshots (day and night mode) go to
 * test-artifacts/.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Observer, SearchRiseSet } from 'astronomy-engine';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const DENVER = { latitude: 39.61, longitude: -105.31, timezone: 'America/Denver' };
const DAY = '2025-03-20';

/** "18:09" in Denver, as the page writes it. */
const clock = (ms: number): string =>
  new Intl.DateTimeFormat(undefined, {
    timeZone: DENVER.timezone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);

/* What the page-side callbacks touch (this project's node tsconfig has no DOM types). */
interface StyledLike {
  style: { width: string; left: string; top: string };
}
interface AttrLike {
  getAttribute(name: string): string | null;
}
interface ImgLike extends StyledLike {
  naturalWidth: number;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

describe('planning, schedules and A/B tests from the UI', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    e2e = await startStationInBrowser({ prefix: 'skys-e2e-plan-', viewport: { width: 1280, height: 900 } });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(30) ?? '';

  const setNight = async (on: boolean): Promise<void> => {
    const night = async (): Promise<boolean> => (await page.locator('html').getAttribute('data-night')) !== null;
    if ((await night()) !== on) await page.getByTestId('night-toggle').click();
    await expect.poll(night).toBe(on);
  };

  it('creates a schedule from the form and sees it on the day timeline and the 30-day strip', async () => {
    await page.goto(baseUrl);
    await page
      .locator('[data-state="online"]')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`No camera came online. ${String(err)}${diagnostics()}`);
      });

    await page.getByTestId('tab-schedules').click();
    await page.getByTestId('location-lat').fill(String(DENVER.latitude));
    await page.getByTestId('location-lon').fill(String(DENVER.longitude));
    await page.getByTestId('location-tz').fill('Mars/Olympus');
    await page.getByTestId('location-save').click();
    await expect.poll(() => page.getByTestId('error-tz').textContent()).toMatch(/time zone by its name/);
    await page.getByTestId('location-tz').fill(DENVER.timezone);
    await page.getByTestId('location-save').click();
    await expect
      .poll(() => page.getByTestId('location-current').textContent(), { timeout: 15_000 })
      .toContain(DENVER.timezone);

    // A sunset window: first with an offset the form refuses, then right.
    await page.getByTestId('schedule-kind').selectOption('sunset');
    await page.getByTestId('schedule-name').fill('evening');
    await page.getByTestId('schedule-offset').fill('half an hour before');
    await page.getByTestId('schedule-create').click();
    await expect.poll(() => page.getByTestId('error-offset').textContent()).toMatch(/whole minutes from sunset/);
    await page.getByTestId('schedule-offset').fill('-30');
    await page.getByTestId('schedule-duration').fill('60');
    await page.getByTestId('schedule-interval').fill('15');
    await page.getByTestId('schedule-create').click();
    const row = page.locator('[data-testid="schedule-row"][data-name="evening"]');
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await expect(row.getByTestId('schedule-description').textContent()).resolves.toBe(
      'From 30 min before sunset for 60 min, every 15 s.',
    );
    const camera = page.getByTestId('camera-assignment').first();
    await camera.getByTestId('assign-evening').check();
    await camera.getByTestId('assign-save').click();
    await expect.poll(() => row.locator('td').nth(3).textContent(), { timeout: 15_000 }).not.toBe('—');

    // The day timeline of the equinox in Denver.
    await page.getByTestId('tab-planning').click();
    await page.getByTestId('planning-date').fill(DAY);
    await expect
      .poll(() => page.getByTestId('planning-zone').textContent(), { timeout: 15_000 })
      .toMatch(/America\/Denver \(MDT, GMT-6\)/);
    const obs = new Observer(DENVER.latitude, DENVER.longitude, 0);
    const from = new Date(`${DAY}T06:00:00Z`);
    const sunrise = SearchRiseSet(Body.Sun, obs, +1, from, 1)!.date.getTime();
    const sunset = SearchRiseSet(Body.Sun, obs, -1, from, 1)!.date.getTime();
    const summary = page.getByTestId('planning-summary');
    await expect
      .poll(() => summary.textContent(), { timeout: 15_000 })
      .toContain(`Sunrise ${clock(sunrise)} · Sunset ${clock(sunset)}`);
    const window = page.locator('[data-testid="schedule-window"][data-schedule="evening"]');
    await expect.poll(() => window.count()).toBe(1);
    const start = sunset - 30 * 60_000;
    await expect(window.getAttribute('title')).resolves.toBe(`evening: ${clock(start)}–${clock(start + 60 * 60_000)}`);
    // Placed on the time axis where that is: the window's left edge is its share of the day.
    const left = Number.parseFloat((await window.evaluate((el) => (el as unknown as StyledLike).style.left)) || 'NaN');
    const dayStart = Date.parse(`${DAY}T00:00:00-06:00`);
    expect(left).toBeCloseTo(((start - dayStart) / 86_400_000) * 100, 1);
    // The camera's resolved plan lane shows it too, and the chart drew something.
    await expect(page.locator('[data-testid="timeline-window"][data-schedule="evening"]').count()).resolves.toBe(1);
    const drawn = await page.getByTestId('day-chart').evaluate((c) => {
      const canvas = c as unknown as CanvasLike;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return { width: canvas.width, painted };
    });
    expect(drawn.width).toBeGreaterThan(300);
    expect(drawn.painted).toBeGreaterThan(1000);

    // The next 30 days: one column per day, each with its evening window.
    const days = page.getByTestId('plan-day');
    await expect.poll(() => days.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(30);
    const windows = await days.evaluateAll((els) =>
      els.map((e) => Number((e as unknown as AttrLike).getAttribute('data-windows'))),
    );
    expect(windows.slice(1).every((n) => n === 1)).toBe(true);
    // Clicking a day shows it on the timeline.
    const tenth = days.nth(10);
    const tenthDay = (await tenth.getAttribute('data-day'))!;
    await tenth.click();
    await expect.poll(() => page.getByTestId('planning-date').inputValue()).toBe(tenthDay);
    await expect.poll(() => window.count(), { timeout: 15_000 }).toBe(1);

    expect(pageErrors, diagnostics()).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'planning.png'), fullPage: true });
    await setNight(true);
    await page.screenshot({ path: join(ARTIFACTS, 'planning-night.png'), fullPage: true });
    await setNight(false);
  }, 150_000);

  it('runs an A/B test from the form, shows its progress and compares the variants side by side', async () => {
    await page.getByTestId('tab-schedules').click();
    await page.getByTestId('deploy-profile').selectOption('f');
    await page.getByTestId('deploy-camera').first().check();
    await page.getByTestId('deploy-submit').click();
    await expect
      .poll(() => page.getByTestId('deploy-result').first().getAttribute('data-ok'), { timeout: 30_000 })
      .toBe('true');

    await page.getByTestId('tab-tests').click();
    // Nothing chosen and a bad ISO: refused in words, nothing started.
    await page.getByTestId('variant-iso').nth(1).fill('12');
    await page.getByTestId('test-run').click();
    await expect.poll(() => page.getByTestId('variant-error-iso').textContent()).toMatch(/25 to 102400/);
    await page.getByTestId('variant-iso').nth(1).fill('');
    await page.getByTestId('test-run').click();
    await expect.poll(() => page.getByTestId('test-form-error').textContent()).toMatch(/at least one camera/);
    expect(await page.getByTestId('test-progress').count()).toBe(0);

    await page.getByTestId('test-camera').first().check();
    await page.getByTestId('test-run').click();
    const progress = page.getByTestId('test-progress');
    await progress.waitFor({ state: 'visible', timeout: 30_000 });
    await expect(progress.getAttribute('data-total')).resolves.toBe('2');
    await expect
      .poll(() => progress.getAttribute('data-status'), { timeout: 120_000 })
      .toBe('done')
      .catch((err: unknown) => {
        throw new Error(`The test did not finish. ${String(err)}${diagnostics()}`);
      });
    await expect(progress.getAttribute('data-done')).resolves.toBe('2');

    // Both variants' full-size images, loaded.
    const images = page.getByTestId('ab-image');
    await expect.poll(() => images.count(), { timeout: 30_000 }).toBe(2);
    // naturalWidth is 0 until an image has loaded, so wait for both to load (a busy machine takes a while).
    await expect
      .poll(
        async () =>
          Math.min(...(await images.evaluateAll((els) => els.map((e) => (e as unknown as ImgLike).naturalWidth)))),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(300);
    await expect(images.first().getAttribute('src')).resolves.not.toMatch(/thumbs\//);
    // Statistics beside them: one capture each, brightness measured.
    for (const variant of ['a', 'b']) {
      const r = page.locator(`[data-testid="variant-row"][data-variant="${variant}"]`);
      await expect.poll(() => r.locator('td').nth(2).textContent(), { timeout: 30_000 }).toBe('1');
      await expect.poll(() => r.locator('td').nth(3).textContent(), { timeout: 30_000 }).toMatch(/^\d+\.\d{3}$/);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'ab-compare.png'), fullPage: true });

    // One zoom for all: at 200 % both images are the same size at the same place.
    await page.getByTestId('ab-zoom-200').click();
    await expect.poll(() => page.getByTestId('ab-compare').getAttribute('data-zoom')).toBe('2');
    const placed = await images.evaluateAll((els) =>
      els.map((e) => {
        const s = (e as unknown as StyledLike).style;
        return `${s.width} ${s.left} ${s.top}`;
      }),
    );
    expect(placed[0]).toBe(placed[1]);
    expect(placed[0]).toMatch(/^\d+px calc/);
    // Scrolling over one viewport zooms both.
    const viewport = page.locator('.ab-viewport').first();
    await viewport.hover();
    await page.mouse.wheel(0, -200);
    await expect.poll(() => page.getByTestId('ab-compare').getAttribute('data-zoom')).not.toBe('2');
    const after = await images.evaluateAll((els) => els.map((e) => (e as unknown as StyledLike).style.width));
    expect(after[0]).toBe(after[1]);
    expect(after[0]).not.toBe(placed[0]!.split(' ')[0]);

    expect(pageErrors, diagnostics()).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'ab-compare-zoomed.png'), fullPage: true });
    await setNight(true);
    await page.screenshot({ path: join(ARTIFACTS, 'ab-compare-night.png'), fullPage: true });
    await setNight(false);
  }, 240_000);

  it("charts the camera's temperature, humidity, dew point and light over a chosen range", async () => {
    await page.getByTestId('tab-sensors').click();
    // The simulated sensor beside the simulated camera has been read since the station started.
    const temperature = page.locator('[data-testid="sensor-plot"][data-quantity="temperature"]');
    await expect
      .poll(async () => Number(await temperature.getAttribute('data-points')), { timeout: 90_000 })
      .toBeGreaterThan(0)
      .catch((err: unknown) => {
        throw new Error(`No temperature readings were charted. ${String(err)}${diagnostics()}`);
      });
    const quantities = await page
      .getByTestId('sensor-plot')
      .evaluateAll((els) => els.map((e) => (e as unknown as AttrLike).getAttribute('data-quantity')));
    expect(quantities).toEqual(['temperature', 'humidity', 'dewPoint', 'lux']);
    for (const q of ['temperature', 'humidity', 'dewPoint']) {
      const plot = page.locator(`[data-testid="sensor-plot"][data-quantity="${q}"]`);
      expect(Number(await plot.getAttribute('data-points')), q).toBeGreaterThan(0);
      await expect(plot.locator('figcaption').textContent()).resolves.toMatch(/now -?\d+\.\d (°C|%)/);
    }
    // The dew point is below the air temperature (the air is not saturated).
    const now = async (q: string): Promise<number> =>
      Number(
        /now (-?\d+\.\d)/.exec(
          (await page.locator(`[data-testid="sensor-plot"][data-quantity="${q}"] figcaption`).textContent()) ?? '',
        )?.[1],
      );
    expect(await now('dewPoint')).toBeLessThan(await now('temperature'));
    // A range with nothing in it says so instead of drawing empty axes.
    await page.getByTestId('sensors-range').selectOption('custom');
    await page.getByTestId('sensors-from').fill('2020-01-01T00:00');
    await page.getByTestId('sensors-to').fill('2020-01-02T00:00');
    await page.getByTestId('sensors-empty').waitFor({ state: 'visible', timeout: 15_000 });
    await page.getByTestId('sensors-range').selectOption('6h');
    await temperature.waitFor({ state: 'visible', timeout: 15_000 });
    expect(pageErrors, diagnostics()).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'sensors.png'), fullPage: true });
    await setNight(true);
    await page.screenshot({ path: join(ARTIFACTS, 'sensors-night.png'), fullPage: true });
    await setNight(false);
  }, 150_000);
});
