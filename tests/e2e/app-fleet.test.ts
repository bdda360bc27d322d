/**
 * The operator's app as a new user goes through it, in Debian's Chromium
 * against the built headless station (its simulated camera exposes in a
 * hundredth of real time) and a second simulated camera on a daytime clock:
 *
 *  - the fleet shows a card per camera; "Capture now" puts the newest image
 *    on the card;
 *  - a camera the network did not show is added by its address and code;
 *  - the camera page (#/camera/<id>): capture with the "C" key, start and
 *    stop a timelapse session, "B" back to the fleet, "?" lists shortcuts;
 *  - the second camera is switched off: its camera_offline alert is
 *    acknowledged, then resolved, in the Alerts view, which filters;
 *  - the station itself stops: no camera may still say "online", and
 *    "Capture now" is disabled with the reason.
 *
 * Screenshots (desktop 1280×800, and night mode) land in
 * test-artifacts/app-fleet/ (not committed).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';
import { stationCall } from './rpc.js';

const ARTIFACTS = join(ROOT, 'test-artifacts', 'app-fleet');

describe('the fleet, a camera page and alerts, as a new operator', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let roof: (RunningProcess & { port: number }) | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  let roofCode: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'skys-fleet-'));
    roof = await startAgentProcess(join(dataDir, 'roof'), [
      '--name',
      'roof-east',
      '--sim-time',
      '2026-06-21T10:00:00Z',
    ]);
    roofCode = (JSON.parse(roof.stdout.find((l) => l.includes('"pairing_code"'))!) as { code: string }).code;
    ({ station, baseUrl } = await startHeadlessStation(join(dataDir, 'station'), [], {
      SKYSTATION_SIM_TIME_SCALE: '0.01',
      SKYSTATION_SIM_SENSOR_INTERVAL_MS: '500',
    }));
    // Only uncaught page errors count: a camera switched off and a stopped station log failed requests on purpose.
    ({ browser, page } = await openBrowser(pageErrors, { width: 1280, height: 800 }, false));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    await roof?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${station?.stderr.slice(-30).join('\n') ?? ''}`;
  const shot = (name: string, fullPage = true) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
  const card = (name: string) => page.locator('[data-testid="agent-row"]', { hasText: name });

  it('goes through the fleet, a camera page, alerts and a lost station', async () => {
    // --- The fleet: the built-in simulated camera comes online with a card.
    await page.goto(baseUrl);
    const sim = page.locator('[data-testid="agent-row"][data-state="online"]').first();
    await sim.waitFor({ timeout: 60_000 });
    await expect(sim.getByTestId('agent-state').textContent()).resolves.toBe('online');
    await expect(sim.textContent()).resolves.toMatch(/Not yet copied/);
    await sim.getByTestId('capture-now').click();
    await sim.locator('[data-testid="fleet-thumb"] img').waitFor({ timeout: 60_000 });
    await shot('1-fleet');

    // --- Add a camera by address with the code it printed.
    await page.getByText('Add a camera by its address').click();
    await page.getByTestId('add-camera-address').fill('roof east');
    await page.getByTestId('add-camera-code').fill(roofCode);
    await page.getByTestId('add-camera-submit').click();
    await expect(page.getByTestId('add-camera-problem').textContent()).resolves.toMatch(/host name or IP address/);
    await page.getByTestId('add-camera-address').fill(`127.0.0.1:${roof!.port}`);
    await page.getByTestId('add-camera-submit').click();
    await page
      .locator('[data-testid="agent-row"][data-state="online"]', { hasText: 'roof-east' })
      .waitFor({ timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`roof-east did not come online after adding it: ${String(err)}${diagnostics()}`);
      });

    // --- The camera page, by clicking the camera's name.
    await card('roof-east').getByTestId('camera-link').click();
    await page.getByTestId('camera-page').waitFor();
    expect(new URL(page.url()).hash).toMatch(/^#\/camera\/.+/);
    await expect(page.getByTestId('camera-state').textContent()).resolves.toBe('online');
    // "C" captures; the result names the exposure.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('c');
    await page
      .getByTestId('capture-done')
      .waitFor({ timeout: 60_000 })
      .catch((err: unknown) => {
        throw new Error(`"C" did not capture: ${String(err)}${diagnostics()}`);
      });
    await expect(page.getByTestId('capture-done').textContent()).resolves.toMatch(/ISO \d+/);
    await page.getByTestId('camera-strip').locator('img').first().waitFor({ timeout: 30_000 });

    // Copy its images now: everything is already here after the capture, and the page says so.
    await page.getByTestId('sync-now').click();
    await page.getByTestId('sync-done').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('sync-done').textContent()).resolves.toMatch(
      /already on this computer|copied and checked/,
    );

    // A timelapse session: start every 2 s, see it run, stop it.
    await page.getByTestId('session-interval').fill('0');
    await expect(page.getByTestId('session-start').isDisabled()).resolves.toBe(true);
    await page.getByTestId('session-interval').fill('2');
    await page.getByTestId('session-start').click();
    await page.getByTestId('session-stop').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('session-state').textContent()).resolves.toMatch(/a capture every 2 s/);
    await shot('2-camera-page');
    await page.getByTestId('session-stop').click();
    await page.getByTestId('session-start').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('session-state').textContent()).resolves.toMatch(/No session running/);

    // Its own log, newest first, and who controls it among viewers: hand control to a viewer session.
    await page.getByTestId('camera-log-lines').locator('li').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('camera-log-level').selectOption('error');
    await page.getByTestId('camera-log-text').fill('no line says this');
    await page.getByTestId('camera-log').getByText('No lines match these filters.').waitFor();
    await page.getByTestId('force-master-session').fill('short');
    await expect(page.getByTestId('force-master').isDisabled()).resolves.toBe(true);
    await page.getByTestId('force-master-session').fill('operator-phone-1');
    await page.getByTestId('force-master').click();
    await page
      .getByTestId('control-master')
      .filter({ hasText: 'operator-phone-1 (forced)' })
      .waitFor({ timeout: 15_000 });

    // "?" lists the shortcuts, Escape closes them; "B" goes back to the fleet.
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor();
    await expect(page.getByTestId('shortcut-help').textContent()).resolves.toMatch(/Night mode/);
    await shot('3-shortcuts', false);
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-help').waitFor({ state: 'detached' });
    await page.keyboard.press('b');
    await page.waitForURL(/#\/cameras$/);

    // --- Alerts: switch roof-east off; its offline alert is acknowledged, then resolved.
    await roof!.stop();
    await card('roof-east').and(page.locator('[data-state="offline"]')).waitFor({ timeout: 90_000 });
    await expect(card('roof-east').getByTestId('capture-now').isDisabled()).resolves.toBe(true);
    await expect(card('roof-east').getByTestId('capture-why-not').textContent()).resolves.toMatch(/not answering/);
    await page.getByTestId('tab-alerts').click();
    const alert = page.locator('[data-testid="alert-row"][data-code="camera_offline"]').first();
    await alert.waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
      await shot('failed-alerts');
      const alerts = await stationCall(baseUrl, 'listAlerts', { limit: 20 }).catch((e: unknown) => String(e));
      throw new Error(
        `No camera_offline alert in the list: ${String(err)}\nalerts: ${JSON.stringify(alerts)}${diagnostics()}`,
      );
    });
    await expect(alert.getAttribute('data-state')).resolves.toBe('open');
    // The filters: words that match nothing empty the list and say so; a camera filter keeps it.
    await page.getByTestId('filter-text').fill('no such words');
    await page.getByTestId('event-log-empty').waitFor();
    await page.getByTestId('filter-text').fill('roof-east');
    await alert.waitFor();
    await alert.getByTestId('alert-ack').click();
    await page
      .locator('[data-testid="alert-row"][data-code="camera_offline"][data-state="acknowledged"]')
      .waitFor({ timeout: 15_000 });
    await shot('4-alerts');
    await page
      .locator('[data-testid="alert-row"][data-code="camera_offline"]')
      .first()
      .getByTestId('alert-resolve')
      .click();
    await page
      .locator('[data-testid="alert-row"][data-code="camera_offline"][data-state="resolved"]')
      .waitFor({ timeout: 15_000 });
    await page.getByTestId('filter-show').selectOption('open');
    await expect(page.locator('[data-testid="alert-row"][data-code="camera_offline"]').count()).resolves.toBe(0);

    // --- A deployed plan shows on the card: the profile, how far the plan reaches, and the next capture.
    await page.getByTestId('tab-cameras').click();
    const simId = await sim.getAttribute('data-agent-id');
    await stationCall(baseUrl, 'setLocation', { latitude: 39.74, longitude: -104.99, timezone: 'America/Denver' });
    await stationCall(baseUrl, 'createSchedule', {
      name: 'night',
      schedule: { type: 'night', twilight: 'nautical', interval_seconds: 60 },
    });
    await stationCall(baseUrl, 'assignSchedules', { agentId: simId!, schedules: ['night'] });
    const [deployed] = await stationCall(
      baseUrl,
      'deployProfile',
      { agentIds: [simId!], profileId: 'a', days: 3 },
      60_000,
    );
    expect(deployed?.ok, JSON.stringify(deployed)).toBe(true);
    await page.reload(); // the fleet's plan preview is read when the view opens
    await expect
      .poll(() => sim.getByTestId('agent-profile').textContent(), { timeout: 30_000 })
      .toMatch(/^a \d+\.\d+\.\d+$/);
    await expect
      .poll(() => sim.getByTestId('agent-next-capture').textContent(), { timeout: 30_000 })
      .toMatch(/\(night\)/);
    await expect(sim.textContent()).resolves.toMatch(/Plan ends in|Planned until/);
    await shot('5-fleet-with-plan');

    // --- Night mode, then the desktop again.
    await page.getByRole('button', { name: 'Night mode' }).click();
    await page.getByTestId('tab-cameras').click();
    await sim.waitFor();
    await shot('6-fleet-night');
    await page.keyboard.press('Shift+N');
    await expect(page.getByRole('button', { name: 'Night mode' }).getAttribute('aria-pressed')).resolves.toBe('false');

    // --- The station stops: nothing may still claim to be online, and captures are refused with the reason.
    await station!.stop();
    await page.getByTestId('connection').filter({ hasText: /lost/ }).waitFor({ timeout: 30_000 });
    const simCard = page.locator('[data-testid="agent-row"]').first();
    await expect(simCard.getByTestId('agent-state').textContent()).resolves.toBe('unknown');
    await expect(simCard.getByTestId('capture-now').isDisabled()).resolves.toBe(true);
    await expect(simCard.getByTestId('capture-why-not').textContent()).resolves.toMatch(/station connection is lost/);
    await expect(page.locator('[data-testid="agent-state"]', { hasText: /^online$/ }).count()).resolves.toBe(0);
    await shot('7-station-lost');

    expect(pageErrors, diagnostics()).toEqual([]);
  }, 400_000);
});
