/**
 * The Electron shell: starts the brain, opens the window, wires IPC and the
 * media protocol, and closes the brain on quit. Only src-main/electron imports
 * electron; the brain itself is plain Node (see src-main/headless.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, screen } from 'electron';
import { join } from 'node:path';
import { startStation, type Station } from '../brain/index.js';
import { registerIpc } from './ipc';
import { electronPreviewWindows, registerPreviewIpc, type PreviewWindows } from './preview-window';
import { handleMediaProtocol, registerMediaScheme } from './media-protocol';
import { keychainSettingsVault, keychainTokenVault } from './token-vault';
import { appPageUrl, applySecurity, isAppUrl } from './security';
import { weatherFromEnv } from '../weather/from-env.js';
import {
  installMenu,
  installTray,
  notifyAlerts,
  rememberWindow,
  restoredWindowState,
  type ShellContext,
} from './desktop-shell';
import { defaultWindowState, MIN_SIZE, type WindowState } from './window-state';

const preloadFile = join(import.meta.dirname, '../preload/index.cjs');
const rendererIndexFile = join(import.meta.dirname, '../renderer/index.html');

registerMediaScheme();

let station: Station | null = null;
let unwireIpc: (() => void) | null = null;
let unwirePreview: (() => void) | null = null;
let previewWindows: PreviewWindows | null = null;
let mainWindow: BrowserWindow | null = null;
let shutdown: 'running' | 'closing' | 'closed' = 'running';
let unwireShell: (() => void)[] = [];

/** A window where the operator left it (window-state.ts), with the menu bar shown (its shortcuts are listed there). */
function createWindow(state: WindowState = defaultWindowState()): BrowserWindow {
  const win = new BrowserWindow({
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Skystation',
    backgroundColor: '#07080b',
    icon: join(app.getAppPath(), 'resources', 'icons', 'icon.png'),
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    if (state.fullScreen) win.setFullScreen(true);
    win.show();
  });
  rememberWindow(win, (err) => station?.log.warn({ err }, 'window state not saved'));
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  const loading = devUrl !== undefined ? win.loadURL(devUrl) : win.loadFile(rendererIndexFile);
  loading.catch((err: unknown) => {
    dialog.showErrorBox(
      'Skystation',
      `The window could not load its page (${String(err)}). Rebuild with "npm run build".`,
    );
  });
  return win;
}

async function start(): Promise<void> {
  applySecurity();
  const dataDir = process.env['SKYSTATION_DATA_DIR'] ?? join(app.getPath('userData'), 'data');
  station = await startStation({
    dataDir,
    embeddedAgent: 'auto',
    tokenVault: keychainTokenVault(dataDir),
    settingsVault: keychainSettingsVault(dataDir),
    orchestration: { weather: weatherFromEnv() },
  });
  handleMediaProtocol(station.mediaDir);
  const pageUrl = appPageUrl(rendererIndexFile);
  unwireIpc = registerIpc(station, { isTrustedSender: (url) => url === pageUrl || isAppUrl(url, rendererIndexFile) });
  // Live preview: frames over IPC to every window, and a pop-out window per camera (issue 14).
  const log = station.log;
  previewWindows = electronPreviewWindows({
    BrowserWindow,
    screen,
    preload: preloadFile,
    rendererIndexFile,
    devUrl: process.env['ELECTRON_RENDERER_URL'],
    dataDir,
    onError: (err) => log.warn({ err }, 'preview window'),
  });
  unwirePreview = registerPreviewIpc(
    ipcMain,
    station.preview,
    previewWindows,
    (url) => url === pageUrl || isAppUrl(url, rendererIndexFile),
  );
  const state = await restoredWindowState();
  mainWindow = createWindow(state);
  // Menu, tray and alert notifications (desktop-shell.ts; what they do is decided in shell-decisions.ts).
  const running = station;
  const shellContext: ShellContext = {
    station: running,
    window: () => mainWindow,
    showWindow: () => {
      mainWindow ??= createWindow();
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.show();
      mainWindow.focus();
      return mainWindow;
    },
    onError: (err, where) => running.log.warn({ err, where }, 'desktop shell'),
  };
  installMenu(shellContext);
  unwireShell = [installTray(shellContext), notifyAlerts(shellContext)];
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
}

// One station per data folder: a second launch focuses the first window.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow === null) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      dialog.showErrorBox('Skystation could not start', message);
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Close the brain (agents, database, embedded agent) before the process ends.
  app.on('before-quit', (event) => {
    if (shutdown === 'closed' || station === null) return;
    event.preventDefault();
    if (shutdown === 'closing') return;
    shutdown = 'closing';
    unwireIpc?.();
    for (const off of unwireShell) off();
    previewWindows?.flush();
    unwirePreview?.();
    const closing = station;
    closing
      .close()
      .catch((err: unknown) => {
        closing.log.error({ err }, 'station close failed');
      })
      .finally(() => {
        shutdown = 'closed';
        app.quit();
      });
  });
}
