/**
 * End to end in a real browser: the Settings tab of the built headless
 * station. Chromium fills the weather and S3 archive forms, sees validation
 * messages for bad values (nothing saved), saves, tests the weather connection
 * against a local server replaying a recorded Open-Meteo answer, reloads, and
 * finds the values again, with the secrets shown as set and never in clear.
 *
 * Needs Debian's Chromium at /usr/bin/chromium and a build (`npm run build`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';

const S3_SECRET = 'e2e-Secret/Access+Key-0123456789';
const WEATHER_KEY = 'e2e-weather-key-abcdef';

describe('the Settings tab', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let weather: Server | null = null;
  let weatherBase: string;
  let page: Page;
  let baseUrl: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-settings-'));
    const recorded = readFileSync(join(ROOT, 'tests/schedule/fixtures/open-meteo-current.json'), 'utf8');
    weather = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(recorded);
    });
    await new Promise<void>((r) => weather!.listen(0, '127.0.0.1', () => r()));
    weatherBase = `http://127.0.0.1:${(weather.address() as AddressInfo).port}`;
    ({ station, baseUrl } = await startHeadlessStation(dataDir, ['--embedded-agent', 'never'], {
      SKYSTATION_WEATHER: 'off',
    }));
    // Validation messages are expected here; only uncaught page errors count as failures.
    ({ browser, page } = await openBrowser(pageErrors, { width: 1280, height: 1000 }, false));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    await new Promise<void>((r) => (weather ? weather.close(() => r()) : r()));
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${station?.stderr.slice(-30).join('\n') ?? ''}`;

  const openSettings = async (): Promise<void> => {
    await page.getByTestId('tab-settings').click();
    await page
      .getByTestId('settings-pane')
      .waitFor({ state: 'visible', timeout: 15_000 })
      .catch((err: unknown) => {
        throw new Error(`The Settings pane did not show. ${String(err)}${diagnostics()}`);
      });
  };

  it('shows validation messages, saves, tests the weather, and keeps the values after a reload', async () => {
    await page.goto(baseUrl);
    // The weather test asks for the station's place: set it first (Schedules tab).
    await page.getByTestId('tab-schedules').click();
    await page.getByTestId('location-lat').fill('39.61');
    await page.getByTestId('location-lon').fill('-105.31');
    await page.getByTestId('location-tz').fill('UTC');
    await page.getByTestId('location-save').click();
    await expect.poll(() => page.getByTestId('location-current').textContent(), { timeout: 15_000 }).toContain('UTC');

    await openSettings();
    // Weather: a bad server address is refused next to its field, and nothing is saved.
    await page.getByTestId('weather-provider').selectOption('open-meteo');
    await page.getByTestId('weather-baseurl').fill('not a url');
    await page.getByTestId('weather-save').click();
    await expect
      .poll(() => page.getByTestId('error-weather.baseUrl').textContent(), { timeout: 10_000 })
      .toMatch(/must be an http:\/\/ or https:\/\/ address/);
    expect(await page.getByTestId('weather-saved').count()).toBe(0);
    // OpenWeatherMap without a key is refused too.
    await page.getByTestId('weather-provider').selectOption('openweathermap');
    await page.getByTestId('weather-baseurl').fill(weatherBase);
    await page.getByTestId('weather-save').click();
    await expect
      .poll(() => page.getByTestId('error-weather.apiKey').textContent(), { timeout: 10_000 })
      .toMatch(/OpenWeatherMap needs an API key/);

    await page.getByTestId('weather-provider').selectOption('open-meteo');
    await page.getByTestId('weather-baseurl').fill(weatherBase);
    await page.getByTestId('weather-apikey').fill(WEATHER_KEY);
    await page.getByTestId('weather-save').click();
    await page
      .getByTestId('weather-saved')
      .waitFor({ state: 'visible', timeout: 15_000 })
      .catch((err: unknown) => {
        throw new Error(`The weather settings were not saved. ${String(err)}${diagnostics()}`);
      });
    await expect(page.getByTestId('weather-apikey-state').textContent()).resolves.toBe('(set)');
    await expect(page.getByTestId('weather-apikey').inputValue()).resolves.toBe('');

    await page.getByTestId('weather-test').click();
    await expect
      .poll(() => page.getByTestId('weather-test-result').textContent(), { timeout: 15_000 })
      .toMatch(/^open-meteo answered: cloudy, clouds 92 %/);

    // Archive: bad bucket name and missing secret, then good values.
    await page.getByTestId('archive-endpoint').fill('http://127.0.0.1:9');
    await page.getByTestId('archive-bucket').fill('Bad_Bucket');
    await page.getByTestId('archive-accessKeyId').fill('AKIAE2E');
    await page.getByTestId('archive-save').click();
    await expect
      .poll(() => page.getByTestId('error-archive.bucket').textContent(), { timeout: 10_000 })
      .toMatch(/3 to 63 lowercase letters/);
    await expect(page.getByTestId('error-archive.secretAccessKey').textContent()).resolves.toMatch(/secret access key/);
    expect(await page.getByTestId('archive-saved').count()).toBe(0);

    await page.getByTestId('archive-bucket').fill('sky-e2e');
    await page.getByTestId('archive-prefix').fill('station-e2e/');
    await page.getByTestId('archive-secretAccessKey').fill(S3_SECRET);
    await page.getByTestId('archive-forcePathStyle').check();
    await page.getByTestId('archive-uploadExports').check();
    await page.getByTestId('archive-save').click();
    await page.getByTestId('archive-saved').waitFor({ state: 'visible', timeout: 15_000 });
    await expect(page.getByTestId('archive-secret-state').textContent()).resolves.toBe('(set)');

    // "Test" against an address where nothing listens: one clear sentence.
    await page.getByTestId('archive-test').click();
    await expect
      .poll(() => page.getByTestId('archive-test-error').textContent(), { timeout: 20_000 })
      .toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9 .*check the endpoint address/);

    // Reload: the values come back from the station; secrets are set but never shown.
    await page.reload();
    await openSettings();
    await expect(page.getByTestId('weather-provider').inputValue()).resolves.toBe('open-meteo');
    await expect(page.getByTestId('weather-baseurl').inputValue()).resolves.toBe(weatherBase);
    await expect(page.getByTestId('weather-apikey-state').textContent()).resolves.toBe('(set)');
    await expect(page.getByTestId('weather-apikey').inputValue()).resolves.toBe('');
    await expect(page.getByTestId('archive-endpoint').inputValue()).resolves.toBe('http://127.0.0.1:9');
    await expect(page.getByTestId('archive-bucket').inputValue()).resolves.toBe('sky-e2e');
    await expect(page.getByTestId('archive-prefix').inputValue()).resolves.toBe('station-e2e/');
    await expect(page.getByTestId('archive-accessKeyId').inputValue()).resolves.toBe('AKIAE2E');
    await expect(page.getByTestId('archive-secret-state').textContent()).resolves.toBe('(set)');
    await expect(page.getByTestId('archive-secretAccessKey').inputValue()).resolves.toBe('');
    await expect(page.getByTestId('archive-forcePathStyle').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('archive-uploadExports').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('archive-uploadOriginals').isChecked()).resolves.toBe(false);
    const html = await page.content();
    expect(html).not.toContain(S3_SECRET);
    expect(html).not.toContain(WEATHER_KEY);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);
});
