/**
 * What the browser tests share: the built headless station as a real process,
 * and Debian's Chromium driven by playwright-core (never downloaded), with
 * page errors collected for failure messages.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** A built headless station in a fresh data folder, and a Chromium page to drive it. */
export interface StationInBrowser {
  /** The temporary folder (the station's data folder, unless `stationDir` names one below it). */
  dataDir: string;
  station: RunningProcess;
  baseUrl: string;
  port: number;
  browser: Browser;
  page: Page;
  pageErrors: string[];
  /** Page errors and the station's last stderr lines, for failure messages. */
  diagnostics(stderrLines?: number): string;
  /** Closes the browser, stops the station and deletes the folder. */
  close(): Promise<void>;
}

export interface StationInBrowserOptions {
  /** Prefix of the temporary folder's name, e.g. "skys-e2e-gallery-". */
  prefix: string;
  stationArgs?: string[];
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** false: only uncaught page errors count, not console errors (for tests that provoke logged failures). */
  consoleErrors?: boolean;
  /** The station's data folder below the temporary folder (when agents live beside it). */
  stationDir?: string;
  /** Runs once the folder exists and before the station starts: seed a gallery, start an agent. */
  before?: (dataDir: string) => Promise<void>;
}

/** The usual beforeAll of a browser test: checks prerequisites, then starts the station and the browser. */
export async function startStationInBrowser(opts: StationInBrowserOptions): Promise<StationInBrowser> {
  checkPrerequisites();
  const dataDir = mkdtempSync(join(tmpdir(), opts.prefix));
  const pageErrors: string[] = [];
  let station: RunningProcess | null = null;
  let browser: Browser | null = null;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await station?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await opts.before?.(dataDir);
    const started = await startHeadlessStation(
      opts.stationDir === undefined ? dataDir : join(dataDir, opts.stationDir),
      opts.stationArgs,
      opts.env,
    );
    station = started.station;
    const opened = await openBrowser(pageErrors, opts.viewport, opts.consoleErrors);
    browser = opened.browser;
    const running = station;
    return {
      dataDir,
      station: running,
      baseUrl: started.baseUrl,
      port: started.port,
      browser,
      page: opened.page,
      pageErrors,
      diagnostics: (stderrLines = 30) =>
        `\npage errors:\n${pageErrors.join('\n') || '(none)'}\nstation stderr:\n${running.stderr.slice(-stderrLines).join('\n')}`,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
