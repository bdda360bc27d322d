/**
 * End to end in a real browser: a camera the station can reach but has no
 * token for shows as "unpaired" with a pairing-code field; a wrong code shows
 * the camera's reason, the right one pairs it and the row turns "online".
 *
 * Needs Debian's Chromium (`apt-get install chromium`) and a build
 * (`npm run build`). Browsers are never downloaded.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationClient } from '../../src-main/cli/client.js';
import { ROOT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from './harness.js';

describe('pairing a camera from the UI', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let agent: (RunningProcess & { port: number }) | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  let code: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-pair-'));
    agent = await startAgentProcess(join(dataDir, 'agent'), ['--name', 'e2e-roof']);
    code = (JSON.parse(agent.stdout.find((l) => l.includes('"pairing_code"'))!) as { code: string }).code;
    let port: number;
    ({ station, baseUrl, port } = await startHeadlessStation(join(dataDir, 'station'), ['--embedded-agent', 'never']));
    // Added by address without a token: reachable but unpaired.
    const client = await StationClient.connect(`ws://127.0.0.1:${port}/api/ws`);
    try {
      const added = await client.call('addAgent', { host: '127.0.0.1', port: agent.port });
      expect(added.state).toBe('unpaired');
    } finally {
      client.close();
    }
    // Only uncaught errors count here: the refused wrong code is logged by the browser on purpose.
    ({ browser, page } = await openBrowser(pageErrors, { width: 1280, height: 800 }, false));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    await agent?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('refuses a wrong code with the camera’s reason and pairs with the right one', async () => {
    await page.goto(baseUrl);
    const row = page.locator('[data-testid="agent-row"]', { hasText: 'e2e-roof' });
    await row.locator('[data-testid="pair-form"]').waitFor({ state: 'visible', timeout: 30_000 });
    await expect(row.getAttribute('data-state')).resolves.toBe('unpaired');

    const input = row.getByTestId('pair-code');
    const button = row.getByTestId('pair-button');
    await input.fill('12a3');
    await expect(input.inputValue()).resolves.toBe('123'); // digits only
    await expect(button.isDisabled()).resolves.toBe(true);

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await input.fill(wrong);
    await button.click();
    await row.getByTestId('pair-error').waitFor({ state: 'visible', timeout: 15_000 });
    await expect(row.getByTestId('pair-error').textContent()).resolves.toMatch(/pairing code is wrong/);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results/e2e-pairing-unpaired.png') });
    await input.fill(code);
    await button.click();
    await page
      .locator('[data-testid="agent-row"][data-state="online"]', { hasText: 'e2e-roof' })
      .waitFor({ state: 'visible', timeout: 30_000 })
      .catch((err: unknown) => {
        throw new Error(`The row did not turn online: ${String(err)}\npage errors: ${pageErrors.join('\n')}`);
      });
    await expect(row.locator('[data-testid="pair-form"]').count()).resolves.toBe(0);
    await page.screenshot({ path: join(ROOT, 'test-results/e2e-pairing.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
