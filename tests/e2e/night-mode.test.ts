/**
 * Night mode keeps an operator's eyes dark-adapted: with it on, no view may
 * show any hue but red. The test turns it on with the header's "Night mode"
 * button, then visits every view it can reach: every tab in the view bar and
 * every in-app address ("#/...") linked from any visited view (camera pages,
 * and whatever pages are added later), plus the shortcut list. Each view is
 * screenshotted (whole page) and decoded with sharp; a pixel whose green or
 * blue channel exceeds THRESHOLD fails the test, naming the view, the
 * position and the element there.
 *
 * Screenshots land in test-artifacts/night-mode/ (not committed).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, until } from '../helpers/processes.js';
import { startStationInBrowser, type StationInBrowser } from './harness.js';
import { stationCall } from './rpc.js';

const THRESHOLD = 24;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'night-mode');
/** A safety net against a page that links to endless distinct addresses. */
const MAX_VIEWS = 60;

interface Offence {
  x: number;
  y: number;
  rgb: [number, number, number];
  count: number;
}

/** The first pixel (and how many in all) whose green or blue channel is above THRESHOLD. */
async function findColouredPixels(png: Buffer): Promise<Offence | null> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let first: Offence | null = null;
  let count = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (data[i + 1]! > THRESHOLD || data[i + 2]! > THRESHOLD) {
      count++;
      if (first === null) {
        const p = i / info.channels;
        first = {
          x: p % info.width,
          y: Math.floor(p / info.width),
          rgb: [data[i]!, data[i + 1]!, data[i + 2]!],
          count: 0,
        };
      }
    }
  }
  return first === null ? null : { ...first, count };
}

/** In the page: every in-app address linked from the current view. */
function inAppLinks(): string[] {
  const doc = (
    globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> };
    }
  ).document;
  return Array.from(doc.querySelectorAll('a[href^="#/"]'))
    .map((a) => a.getAttribute('href') ?? '')
    .filter((h) => h !== '');
}

/** In the page: the view bar's addresses, in order. */
function tabLinks(): string[] {
  const doc = (
    globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> };
    }
  ).document;
  return Array.from(doc.querySelectorAll('[data-testid="views-nav"] a')).map((a) => a.getAttribute('href') ?? '');
}

/** In the page: a short description of the element at a point of the whole page (for failure messages). */
function describeAt(p: { x: number; y: number }): string {
  const g = globalThis as unknown as {
    scrollTo(x: number, y: number): void;
    scrollX: number;
    scrollY: number;
    innerHeight: number;
    document: {
      elementFromPoint(
        x: number,
        y: number,
      ): {
        tagName: string;
        className: unknown;
        getAttribute(n: string): string | null;
        textContent: string | null;
      } | null;
    };
  };
  g.scrollTo(0, Math.max(0, p.y - g.innerHeight / 2));
  const el = g.document.elementFromPoint(p.x - g.scrollX, p.y - g.scrollY);
  if (el === null) return '(nothing)';
  const testid = el.getAttribute('data-testid');
  return `<${el.tagName.toLowerCase()}${typeof el.className === 'string' && el.className ? ` class="${el.className}"` : ''}${
    testid ? ` data-testid="${testid}"` : ''
  }> "${(el.textContent ?? '').trim().slice(0, 60)}"`;
}

describe('night mode', () => {
  let e2e: StationInBrowser | null = null;
  let page: Page;
  let baseUrl: string;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    // Only this run's screenshots (camera ids differ between runs).
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    e2e = await startStationInBrowser({
      prefix: 'skys-night-',
      env: {
        SKYSTATION_SIM_SENSOR_INTERVAL_MS: '300',
        // Night exposures last a hundredth of their time: the test does not depend on the hour.
        SKYSTATION_SIM_TIME_SCALE: '0.01',
      },
    });
    ({ page, baseUrl, pageErrors } = e2e);
  }, 90_000);

  afterAll(() => e2e?.close(), 30_000);

  const diagnostics = (): string => e2e?.diagnostics(20) ?? '';

  /** Waits until two screenshots in a row are the same (data arrived, nothing still drawing), then returns it. */
  async function settledScreenshot(): Promise<Buffer> {
    let previous = await page.screenshot({ fullPage: true });
    for (let i = 0; i < 20; i++) {
      await page.waitForTimeout(300);
      const next = await page.screenshot({ fullPage: true });
      if (next.equals(previous)) return next;
      previous = next;
    }
    return previous; // still changing (a live view): check the latest frame anyway
  }

  it('shows every view in red on black only, and remembers the choice', async () => {
    // Content worth looking at: a camera online with a picture in the gallery.
    const agents = await until(
      () => stationCall(baseUrl, 'listAgents', {}),
      (list) => list.some((a) => a.state === 'online'),
      60_000,
    );
    const online = agents.find((a) => a.state === 'online')!;
    await stationCall(baseUrl, 'captureNow', { agentId: online.id }, 120_000);
    // A location, so the planning views draw their sun and moon charts.
    await stationCall(baseUrl, 'setLocation', { latitude: 39.74, longitude: -104.99, timezone: 'America/Denver' });

    await page.goto(baseUrl);
    await page.getByRole('button', { name: 'Night mode' }).click();
    await until(
      () =>
        page.evaluate(() =>
          (
            globalThis as unknown as { document: { documentElement: { hasAttribute(n: string): boolean } } }
          ).document.documentElement.hasAttribute('data-night'),
        ),
      (on) => on,
    );
    // Remembered across a reload.
    await page.reload();
    await page.getByTestId('views-nav').waitFor();
    expect(await page.getByRole('button', { name: 'Night mode' }).getAttribute('aria-pressed')).toBe('true');

    // Every tab, then every in-app address reachable from any visited view.
    const tabs = await page.evaluate(tabLinks);
    expect(tabs.length, 'the view bar has tabs').toBeGreaterThanOrEqual(5);
    const queue = [...tabs];
    const seen = new Set<string>();
    const failures: string[] = [];
    while (queue.length > 0 && seen.size < MAX_VIEWS) {
      const href = queue.shift()!;
      if (seen.has(href)) continue;
      seen.add(href);
      await page.goto(`${baseUrl}/${href}`);
      await page.getByTestId('view').waitFor();
      const png = await settledScreenshot();
      const name = href.replace(/[^a-z0-9]+/gi, '_').replace(/^_+|_+$/g, '') || 'root';
      writeFileSync(join(ARTIFACTS, `${name}.png`), png);
      const bad = await findColouredPixels(png);
      if (bad !== null) {
        const where = await page.evaluate(describeAt, { x: bad.x, y: bad.y });
        failures.push(
          `${href}: ${bad.count} pixels with colour, first at (${bad.x}, ${bad.y}) rgb(${bad.rgb.join(', ')}) in ${where}`,
        );
      }
      for (const link of await page.evaluate(inAppLinks)) if (!seen.has(link)) queue.push(link);
    }
    expect(seen.size, 'views visited').toBeGreaterThan(tabs.length); // at least one camera page as well

    // The shortcut list, opened with its key.
    await page.goto(`${baseUrl}/#/cameras`);
    await page.getByTestId('view').waitFor();
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor();
    const help = await settledScreenshot();
    writeFileSync(join(ARTIFACTS, 'shortcut-help.png'), help);
    const badHelp = await findColouredPixels(help);
    if (badHelp !== null)
      failures.push(`shortcut list: ${badHelp.count} pixels with colour at (${badHelp.x}, ${badHelp.y})`);

    expect(failures, `views with colour other than red:\n${failures.join('\n')}${diagnostics()}`).toEqual([]);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 300_000);
});
