/**
 * End to end in a real browser (issue #6, capture side): on the camera card
 * the operator takes a bracketed set with chosen offsets, is told when the
 * offsets are wrong, and takes a dark frame only after confirming the lens is
 * capped (cancel captures nothing). The station's gallery then holds the set
 * and the dark. Built headless station with its embedded simulated camera.
 * Needs Debian's Chromium and a build (`npm run build`); see tests/e2e/harness.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureView } from '../../src-main/api/contract.js';
import { StationClient } from '../../src-main/cli/client.js';
import type { RunningProcess } from '../helpers/processes.js';
import { checkPrerequisites, openBrowser, startHeadlessStation } from '../e2e/harness.js';

describe('bracketed sets and dark frames from the camera card (browser)', () => {
  let dataDir: string | null = null;
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  let page: Page;
  let baseUrl: string;
  let port: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    checkPrerequisites();
    dataDir = mkdtempSync(join(tmpdir(), 'skys-e2e-bracket-'));
    // Night exposures of the embedded simulated camera last seconds; scaled down, the test does not depend on the hour.
    ({ station, baseUrl, port } = await startHeadlessStation(dataDir, [], { SKYSTATION_SIM_TIME_SCALE: '0.01' }));
    ({ browser, page } = await openBrowser(pageErrors));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  const diagnostics = (): string =>
    `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${station?.stderr.slice(-40).join('\n') ?? ''}`;

  const gallery = async (): Promise<CaptureView[]> => {
    const client = await StationClient.connect(`ws://127.0.0.1:${port}/api/ws`);
    try {
      return (await client.call('listCaptures', { limit: 500 })).items;
    } finally {
      client.close();
    }
  };

  it('takes a bracketed set with the offsets typed in, and refuses offsets that are not a set', async () => {
    await page.goto(baseUrl);
    const row = page.locator('[data-testid="agent-row"][data-state="online"]').first();
    await row.waitFor({ state: 'visible', timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(`No agent row became online within 30 s. ${String(err)}${diagnostics()}`);
    });
    const evs = row.getByTestId('bracket-evs');
    const button = row.getByTestId('capture-bracket');

    await evs.fill('0, 0');
    await expect(row.getByTestId('bracket-evs-error').textContent()).resolves.toMatch(/all be different/);
    await expect(button.isDisabled()).resolves.toBe(true);

    await evs.fill('-1, +1');
    await expect(row.getByTestId('bracket-evs-error').count()).resolves.toBe(0);
    await button.click();
    await row
      .getByTestId('bracket-done')
      .waitFor({ state: 'visible', timeout: 60_000 })
      .catch(async (err: unknown) => {
        const failed = await row.getByTestId('bracket-error').allTextContents();
        throw new Error(`No bracketed set within 60 s. ${String(err)} ${failed.join(' ')}${diagnostics()}`);
      });
    await expect(row.getByTestId('bracket-done').textContent()).resolves.toBe('Bracketed set of 2 captured.');

    const sets = (await gallery()).filter((c) => c.bracket);
    expect(sets.map((c) => c.bracket?.ev).sort()).toEqual([-1, 1]);
    expect(new Set(sets.map((c) => c.bracket?.group)).size).toBe(1);
  }, 120_000);

  it('asks to cap the lens before a dark frame; cancel takes nothing, confirm takes one', async () => {
    const row = page.locator('[data-testid="agent-row"][data-state="online"]').first();
    const darksIn = async (): Promise<number> => (await gallery()).filter((c) => c.frameKind === 'dark').length;

    await row.getByTestId('capture-dark').click();
    await expect(row.getByTestId('confirm-dark').textContent()).resolves.toMatch(/Cap the lens/);
    await row.getByTestId('confirm-dark-no').click();
    await expect(row.getByTestId('confirm-dark').count()).resolves.toBe(0);
    expect(await darksIn()).toBe(0);

    await row.getByTestId('capture-dark').click();
    await row.getByTestId('confirm-dark-yes').click();
    await row
      .getByTestId('dark-done')
      .waitFor({ state: 'visible', timeout: 60_000 })
      .catch(async (err: unknown) => {
        const failed = await row.getByTestId('dark-error').allTextContents();
        throw new Error(`No dark frame within 60 s. ${String(err)} ${failed.join(' ')}${diagnostics()}`);
      });
    expect(await darksIn()).toBe(1);
    expect(pageErrors, diagnostics()).toEqual([]);
  }, 120_000);
});
