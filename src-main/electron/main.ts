/**
 * The Electron shell: starts the brain, opens the window, wires IPC and the
 * media protocol, and closes the brain on quit. Only src-main/electron imports
 * electron; the brain itself is plain Node (see src-main/headless.ts).
 */
import { app, BrowserWindow, dialog, ipcMain, Notification, screen } from 'electron';
import { join } from 'node:path';
import { startStation, type Station } from '../brain/index.js';
import { registerIpc } from './ipc';
import { electronPreviewWindows, registerPreviewIpc, type PreviewWindows } from './preview-window';
import { handleMediaProtocol, registerMediaScheme } from './media-protocol';
import { keychainSettingsVault, keychainTokenVault } from './token-vault';
import { appPageUrl, applySecurity, isAppUrl } from './security';
import { weatherFromEnv } from '../weather/from-env.js';

const preloadFile = join(import.meta.dirname, '../preload/index.cjs');
const rendererIndexFile = join(import.meta.dirname, '../renderer/index.html');

registerMediaScheme();

let station: Station | null = null;
let unwireIpc: (() => void) | null = null;
let unwirePreview: (() => void) | null = null;
let previewWindows: PreviewWindows | null = null;
let mainWindow: BrowserWindow | null = null;
let shutdown: 'running' | 'closing' | 'closed' = 'running';

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Skystation',
    backgroundColor: '#07080b',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
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
  // Desktop notifications for station alerts (camera offline, disk full, failed captures, expiring plans).
  station.onEvent((e) => {
    if (e.event !== 'alert' || e.data.level === 'info' || !Notification.isSupported()) return;
    new Notification({ title: `Skystation: ${e.data.code.replace(/_/g, ' ')}`, body: e.data.message }).show();
  });
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
  mainWindow = createWindow();
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
