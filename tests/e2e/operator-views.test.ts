/**
 * What a new operator meets on a fresh station, checked in Chromium at a small
 * laptop's 1024×700: a refusal (no location yet) is said at once rather than
 * after seconds of retries; the planning legends show their colour squares and
 * the 30-day strip fits without a sideways scroll; the lightbox writes light
 * and exposure with units and without floating-point noise.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

/* What the page-side callbacks touch (this project's node tsconfig has no DOM types). */
interface BoxLike {
  getBoundingClientRect(): { width: number; height: number };
}
interface ScrollLike {
  scrollWidth: number;
  clientWidth: number;
}

describe('a new operator on a small screen', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];
  /** Station API methods the page asked for, in order (from its WebSocket frames). */
  const asked: string[] = [];

  beforeAll(async () => {
    e2e = await startStationInBrowser({
      prefix: 'skys-operator-',
      env: { SKYSTATION_SIM_TIME_SCALE: '0.01' },
      viewport: { width: 1024, height: 700 },
    });
    ({ page, baseUrl, pageErrors } = e2e);
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        const m = /"method":"([A-Za-z]+)"/.exec(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8'));
        if (m) asked.push(m[1]!);
      }),
    );
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(20) ?? '';

  it('says at once that plans need a location, without asking the station again', async () => {
    const agents = await until(
      () => stationCall(baseUrl, 'listAgents', {}),
      (list) => list.some((a) => a.state === 'online'),
      60_000,
    );
    expect(agents.length).toBeGreaterThan(0);
    await page.goto(`${baseUrl}/#/schedules`);
    const summary = page.getByTestId('plan-summary').first();
    await expect
      .poll(() => summary.textContent(), { timeout: 30_000 })
      .toMatch(/no location/i)
      .catch((err: unknown) => {
        throw new Error(`The plan never said it needs a location. ${String(err)}${diagnostics()}`);
      });
    // A refusal is final: one request, not three spaced a second and two apart behind a "…".
    expect(
      asked.filter((m) => m === 'planPreview'),
      asked.join(', '),
    ).toHaveLength(1);
  }, 90_000);

  it('shows the planning legends as colour squares and all 31 days of the strip', async () => {
    const [agent] = await stationCall(baseUrl, 'listAgents', {});
    await stationCall(baseUrl, 'setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'America/Denver' });
    await stationCall(baseUrl, 'createSchedule', {
      name: 'evening',
      schedule: { type: 'sunset', offset_minutes: -30, duration_minutes: 60, interval_seconds: 30 },
    });
    await stationCall(baseUrl, 'assignSchedules', { agentId: agent!.id, schedules: ['evening'] });
    await page.goto(`${baseUrl}/#/planning`);
    await page.reload(); // the location and schedule came from outside this window
    await page
      .locator('.plan-strip')
      .waitFor({ timeout: 60_000 })
      .catch((err: unknown) => {
        throw new Error(`The 30-day strip did not show. ${String(err)}${diagnostics()}`);
      });
    const legend = page.locator('.planning-legend .legend-swatch, .plan-strip-legend .legend-swatch');
    // The day's legend comes with the day's plan, which may answer after the strip.
    await expect.poll(() => legend.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
    const swatches = await legend.evaluateAll((els) =>
      els.map((e) => {
        const r = (e as unknown as BoxLike).getBoundingClientRect();
        return { width: r.width, height: r.height };
      }),
    );
    // Five bands, golden and blue hour, and the schedule: each a square, not a flat line.
    expect(swatches.length).toBeGreaterThanOrEqual(8);
    for (const s of swatches) expect(s.height, JSON.stringify(swatches)).toBeGreaterThan(8);
    const strip = await page.locator('.plan-strip').evaluate((e) => ({
      scrollWidth: (e as unknown as ScrollLike).scrollWidth,
      clientWidth: (e as unknown as ScrollLike).clientWidth,
    }));
    expect(strip.scrollWidth, JSON.stringify(strip)).toBeLessThanOrEqual(strip.clientWidth);
  }, 90_000);

  it('writes light and exposure in the lightbox with units and a few digits', async () => {
    const [agent] = await stationCall(baseUrl, 'listAgents', {});
    await stationCall(baseUrl, 'captureNow', { agentId: agent!.id }, 120_000);
    await page.goto(`${baseUrl}/#/gallery`);
    await page.getByTestId('gallery-cell').first().click({ timeout: 30_000 });
    const meta = page.getByTestId('lightbox-meta');
    await meta.waitFor();
    const row = async (term: string): Promise<string> =>
      (
        (await meta
          .locator('dt')
          .getByText(term, { exact: true })
          .locator('xpath=following-sibling::dd[1]')
          .textContent()) ?? ''
      ).trim();
    const light = await row('Light');
    expect(light).toMatch(/^[\d.,]+ lx$/);
    // At most three significant digits below 100 lx, whole lux above: never "0.0010000000000000002".
    expect(light.replace(/\D/g, '').replace(/^0+/, '').length, light).toBeLessThanOrEqual(6);
    expect(await row('Exposure')).toMatch(/^[\d/.]+ s, ISO \d+$/);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 180_000);
});
