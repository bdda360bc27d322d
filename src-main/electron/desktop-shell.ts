/**
 * The desktop shell's Electron glue (issue #17): the remembered window, the
 * native menu, the tray with the capture status and desktop notifications
 * for alerts. Every decision lives in plain, tested modules
 * (window-state.ts, shell-decisions.ts); this file only turns them into
 * Electron objects, so it is thin on purpose: it cannot run on the machines
 * this project is developed on (no Electron binary).
 */
import {
  app,
  Menu,
  Notification,
  nativeImage,
  screen,
  shell,
  Tray,
  type BrowserWindow,
  type MenuItemConstructorOptions,
} from 'electron';
import { join } from 'node:path';
import type { AgentView } from '../api/contract.js';
import type { Station } from '../brain/index.js';
import {
  AlertNotifier,
  keyScript,
  menuTemplate,
  navigateScript,
  trayIconFor,
  trayStatus,
  type MenuSpec,
  type ShellCommand,
  type TrayState,
} from './shell-decisions';
import {
  clampToDisplays,
  defaultWindowState,
  loadWindowState,
  saveWindowState,
  stateFrom,
  type WindowState,
} from './window-state';

export const windowStateFile = (): string => join(app.getPath('userData'), 'window-state.json');

/** The saved window state fitted to today's displays (primary first), or the default. */
export async function restoredWindowState(): Promise<WindowState> {
  const saved = (await loadWindowState(windowStateFile())) ?? defaultWindowState();
  const primary = screen.getPrimaryDisplay();
  const others = screen.getAllDisplays().filter((d) => d.id !== primary.id);
  return clampToDisplays(
    saved,
    [primary, ...others].map((d) => d.workArea),
  );
}

/** Saves the window's place and size (debounced, atomically) as it moves and resizes, and when it closes. */
export function rememberWindow(win: BrowserWindow, onError: (err: unknown) => void): void {
  let timer: NodeJS.Timeout | null = null;
  const save = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    saveWindowState(windowStateFile(), stateFrom(win.getNormalBounds(), win.isMaximized(), win.isFullScreen())).catch(
      onError,
    );
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  for (const e of ['resize', 'move', 'maximize', 'unmaximize', 'enter-full-screen', 'leave-full-screen'] as const) {
    win.on(e as 'resize', later);
  }
  win.on('close', save);
}

export interface ShellContext {
  station: Station;
  window(): BrowserWindow | null;
  /** Shows (creating if needed) and focuses the main window. */
  showWindow(): BrowserWindow;
  onError(err: unknown, where: string): void;
}

function run(ctx: ShellContext, command: ShellCommand): void {
  switch (command.kind) {
    case 'navigate':
      ctx
        .showWindow()
        .webContents.executeJavaScript(navigateScript(command.view))
        .catch((e: unknown) => ctx.onError(e, 'menu'));
      break;
    case 'key':
      ctx
        .showWindow()
        .webContents.executeJavaScript(keyScript(command))
        .catch((e: unknown) => ctx.onError(e, 'menu'));
      break;
    case 'show-window':
      ctx.showWindow();
      break;
    case 'open-data-folder':
      shell.openPath(ctx.station.dataDir).catch((e: unknown) => ctx.onError(e, 'open data folder'));
      break;
    case 'capture-all':
      void captureAll(ctx);
      break;
  }
}

async function captureAll(ctx: ShellContext): Promise<void> {
  try {
    const online = (await ctx.station.call('listAgents')).filter((a) => a.state === 'online');
    const results = await Promise.allSettled(online.map((a) => ctx.station.call('captureNow', { agentId: a.id })));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (Notification.isSupported()) {
      new Notification({
        title: 'Skystation',
        body:
          online.length === 0
            ? 'No camera is online.'
            : `Captured on ${online.length - failed} of ${online.length} camera(s)${failed ? '; see Alerts for the others' : ''}.`,
      }).show();
    }
  } catch (err) {
    ctx.onError(err, 'capture on every camera');
  }
}

function toElectron(items: readonly MenuSpec[], ctx: ShellContext): MenuItemConstructorOptions[] {
  return items.map((m) => {
    const { command, submenu, role, ...rest } = m;
    return {
      ...rest,
      ...(role ? { role: role as MenuItemConstructorOptions['role'] } : {}),
      ...(submenu ? { submenu: toElectron(submenu, ctx) } : {}),
      ...(command ? { click: () => run(ctx, command) } : {}),
    };
  });
}

export function installMenu(ctx: ShellContext): void {
  const template = menuTemplate({ platform: process.platform, dev: !app.isPackaged, appName: app.getName() });
  Menu.setApplicationMenu(Menu.buildFromTemplate(toElectron(template, ctx)));
}

/** The tray icon with the capture status in its tooltip and menu; returns a function that removes it. */
export function installTray(ctx: ShellContext): () => void {
  const iconOf = (state: TrayState) =>
    nativeImage.createFromPath(join(app.getAppPath(), 'resources', 'icons', trayIconFor(state)));
  const tray = new Tray(iconOf('idle'));
  let shown: TrayState = 'idle';
  const update = (agents: readonly AgentView[]): void => {
    const s = trayStatus(agents, Date.now());
    if (s.state !== shown) tray.setImage(iconOf(s.state));
    shown = s.state;
    tray.setToolTip(s.tooltip);
    if (process.platform === 'darwin') tray.setTitle(s.state === 'attention' ? '!' : '');
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: s.tooltip.replace(/^Skystation: /, ''), enabled: false },
        ...s.cameras.map((c) => ({ label: c.line, enabled: false })),
        { type: 'separator' },
        { label: 'Show Skystation', click: () => run(ctx, { kind: 'show-window' }) },
        { label: 'Capture Now on Every Camera', click: () => run(ctx, { kind: 'capture-all' }) },
        { type: 'separator' },
        { role: 'quit' },
      ]),
    );
  };
  tray.on('click', () => run(ctx, { kind: 'show-window' }));
  update([]);
  ctx.station
    .call('listAgents')
    .then(update)
    .catch((e: unknown) => ctx.onError(e, 'tray'));
  const off = ctx.station.onEvent((e) => {
    if (e.event === 'agents.changed') update(e.data);
  });
  // Plans run out and disks fill between events: look again every minute.
  const timer = setInterval(() => {
    ctx.station
      .call('listAgents')
      .then(update)
      .catch((err: unknown) => ctx.onError(err, 'tray'));
  }, 60_000);
  timer.unref();
  return () => {
    off();
    clearInterval(timer);
    tray.destroy();
  };
}

/** Desktop notifications for the station's alerts, as AlertNotifier decides; clicking one opens Alerts. */
export function notifyAlerts(ctx: ShellContext): () => void {
  const notifier = new AlertNotifier();
  const names = new Map<string, string>();
  return ctx.station.onEvent((e) => {
    if (e.event === 'agents.changed') for (const a of e.data) names.set(a.id, a.name);
    if (e.event !== 'alert' || !Notification.isSupported()) return;
    const notice = notifier.decide(e.data, {
      now: Date.now(),
      windowFocused: ctx.window()?.isFocused() === true,
      cameraName: e.data.agentId ? (names.get(e.data.agentId) ?? null) : null,
    });
    if (!notice) return;
    const n = new Notification({
      title: notice.title,
      body: notice.body,
      ...(notice.urgent ? { urgency: 'critical' as const, timeoutType: 'never' as const } : {}),
    });
    n.on('click', () => run(ctx, { kind: 'navigate', view: 'alerts' }));
    n.show();
  });
}
