/**
 * What the browser tests share: the built headless station as a real process,
 * and Debian's Chromium driven by playwright-core (never downloaded), with
 * page errors collected for failure messages.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, freePort, run, waitForLine, type RunningProcess } from '../helpers/processes.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HEADLESS_JS = join(ROOT, 'out/main/headless.js');
const RENDERER_HTML = join(ROOT, 'out/renderer/index.html');

/** The flags this project runs Chromium with: headless, no sandbox (root), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Fails with what to install or build when Chromium or the build is missing (never a silent skip). */
export function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) {
    missing.push(`Chromium is not installed at ${CHROMIUM}: install it with "sudo apt-get install chromium".`);
  }
  if (!existsSync(HEADLESS_JS) || !existsSync(RENDERER_HTML)) {
    missing.push(`The app is not built (${HEADLESS_JS} or ${RENDERER_HTML} is missing): run "npm run build" first.`);
  }
  if (missing.length > 0) throw new Error(missing.join('\n'));
}

/** Starts the built headless station on a free loopback port and returns it with the UI's address. */
export async function startHeadlessStation(
  dataDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<{ station: RunningProcess; baseUrl: string; port: number }> {
  const port = await freePort();
  const station = run(process.execPath, [HEADLESS_JS, '--data-dir', dataDir, '--port', String(port), ...extraArgs], {
    SKYSTATION_MDNS: 'off',
    ...env,
  });
  const line = await waitForLine(station, /Skystation is running at/, 30_000).catch((err: unknown) => {
    throw new Error(
      `The headless station did not start within 30 s.\nstderr:\n${station.stderr.join('\n')}\n${String(err)}`,
    );
  });
  const baseUrl = /Skystation is running at (\S+)/.exec(line)?.[1] ?? `http://127.0.0.1:${port}`;
  return { station, baseUrl, port };
}

/**
 * Launches Chromium and opens a page whose uncaught errors (and, unless
 * `consoleErrors` is false, console errors) land in `pageErrors`.
 */
export async function openBrowser(
  pageErrors: string[],
  viewport = { width: 1280, height: 800 },
  consoleErrors = true,
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  if (consoleErrors) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }
  return { browser, page };
}
