/**
 * What the desktop shell decides, as plain functions (issue #17): the native
 * menu (with the same shortcuts as the page), the tray's capture status, and
 * which station alerts become desktop notifications. No electron import:
 * main.ts turns these into Menu, Tray and Notification objects, and
 * shell-decisions.spec.ts tests them here, where Electron cannot run.
 */
import type { AgentView, AlertEventData } from '../api/contract.js';

// ---------------------------------------------------------------- menu

/** What a menu item asks the shell to do (roles are Electron's own: copy, paste, quit, ...). */
export type ShellCommand =
  | { kind: 'navigate'; view: string }
  | { kind: 'key'; key: string; shiftKey?: boolean }
  | { kind: 'capture-all' }
  | { kind: 'open-data-folder' }
  | { kind: 'show-window' };

/** The shape of Electron's MenuItemConstructorOptions this app uses, plus a command instead of a click. */
export interface MenuSpec {
  label?: string;
  role?: string;
  type?: 'separator';
  accelerator?: string;
  /**
   * false: the accelerator is shown but not taken from the page, because the
   * page handles that key itself (and must not lose it while the operator
   * types in a field).
   */
  registerAccelerator?: boolean;
  command?: ShellCommand;
  submenu?: MenuSpec[];
}

/** The views of the app, in the order of its tab bar, with their addresses ("#/<id>"). */
export const VIEWS: readonly { id: string; label: string }[] = [
  { id: 'cameras', label: 'Cameras' },
  { id: 'live', label: 'Live' },
  { id: 'gallery', label: 'Gallery' },
  { id: 'exports', label: 'Exports' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'planning', label: 'Planning' },
  { id: 'sensors', label: 'Sensors' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'tests', label: 'Tests' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'settings', label: 'Settings' },
];

const separator: MenuSpec = { type: 'separator' };

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Development build: reload and developer tools. */
  dev: boolean;
  appName?: string;
}

export function menuTemplate(opts: MenuOptions): MenuSpec[] {
  const mac = opts.platform === 'darwin';
  const name = opts.appName ?? 'Skystation';
  const menus: MenuSpec[] = [];
  if (mac) {
    menus.push({
      label: name,
      submenu: [
        { role: 'about' },
        separator,
        { role: 'services' },
        separator,
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        separator,
        { role: 'quit' },
      ],
    });
  }
  menus.push({
    label: 'File',
    submenu: [
      { label: 'Capture Now on Every Camera', accelerator: 'CmdOrCtrl+Shift+C', command: { kind: 'capture-all' } },
      separator,
      { label: 'Open Data Folder', command: { kind: 'open-data-folder' } },
      separator,
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  });
  menus.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  });
  menus.push({
    label: 'View',
    submenu: [
      ...VIEWS.map((v, i): MenuSpec => ({
        label: v.label,
        ...(i < 9 ? { accelerator: `CmdOrCtrl+${i + 1}` } : {}),
        command: { kind: 'navigate', view: v.id },
      })),
      separator,
      {
        label: 'Night Mode (Red on Black)',
        accelerator: 'Shift+N',
        registerAccelerator: false,
        command: { kind: 'key', key: 'N', shiftKey: true },
      },
      separator,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
      ...(opts.dev ? [separator, { role: 'reload' }, { role: 'toggleDevTools' }] : []),
    ],
  });
  menus.push({
    label: 'Window',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  });
  menus.push({
    role: 'help',
    label: 'Help',
    submenu: [
      {
        label: 'Keyboard Shortcuts',
        accelerator: '?',
        registerAccelerator: false,
        command: { kind: 'key', key: '?' },
      },
      ...(mac ? [] : [separator, { role: 'about' }]),
    ],
  });
  return menus;
}

/** Every accelerator in a template with the label it belongs to (to find clashes). */
export function acceleratorsOf(template: readonly MenuSpec[]): { accelerator: string; label: string }[] {
  const out: { accelerator: string; label: string }[] = [];
  const walk = (items: readonly MenuSpec[]): void => {
    for (const m of items) {
      if (m.accelerator) out.push({ accelerator: m.accelerator, label: m.label ?? m.role ?? '' });
      if (m.submenu) walk(m.submenu);
    }
  };
  walk(template);
  return out;
}

/** A script for the page that does what a 'key' command asks: the page's own keyboard handler runs. */
export function keyScript(command: { key: string; shiftKey?: boolean }): string {
  const init = JSON.stringify({ key: command.key, shiftKey: command.shiftKey === true, bubbles: true });
  return `window.dispatchEvent(new KeyboardEvent('keydown', ${init}));`;
}

/** A script for the page that opens a view by its address. */
export function navigateScript(view: string): string {
  if (!VIEWS.some((v) => v.id === view)) throw new Error(`Unknown view "${view}".`);
  return `window.location.hash = ${JSON.stringify(`#/${view}`)};`;
}

// ---------------------------------------------------------------- tray

export type TrayState = 'capturing' | 'idle' | 'attention' | 'no-cameras';

export interface TrayStatus {
  state: TrayState;
  /** One line for the tray tooltip (and the macOS menu-bar title, shortened). */
  tooltip: string;
  /** Lines for the tray menu, one per camera. */
  cameras: { id: string; line: string }[];
}

const horizonAhead = (view: AgentView, now: number): boolean =>
  view.deployment?.status === 'deployed' &&
  view.deployment.horizon !== null &&
  Date.parse(view.deployment.horizon) > now;

/** The tray icon for a state (resources/icons/<name>.png, with an @2x beside it). */
export function trayIconFor(state: TrayState): string {
  switch (state) {
    case 'attention':
      return 'tray-attention.png';
    case 'capturing':
      return 'tray.png';
    case 'idle':
    case 'no-cameras':
      return 'tray-idle.png';
  }
}

/** The capture status the tray shows: how many cameras are up, running a plan, or need the operator. */
export function trayStatus(agents: readonly AgentView[], now: number): TrayStatus {
  const paired = agents.filter((a) => a.state !== 'discovered' && a.state !== 'unpaired');
  if (paired.length === 0) {
    const found = agents.length;
    return {
      state: 'no-cameras',
      tooltip: found > 0 ? `Skystation: ${found} camera(s) found, none paired yet` : 'Skystation: no cameras yet',
      cameras: [],
    };
  }
  const online = paired.filter((a) => a.state === 'online');
  const planned = paired.filter((a) => horizonAhead(a, now));
  const trouble = paired.filter(
    (a) =>
      a.state === 'offline' ||
      a.lastError !== null ||
      (a.state === 'online' && !a.cameraReady) ||
      a.deployment?.status === 'failed' ||
      (a.diskUsedPercent ?? 0) >= 90,
  );
  const parts = [`${online.length} of ${paired.length} camera${paired.length === 1 ? '' : 's'} online`];
  if (planned.length > 0) parts.push(`${planned.length} running a plan`);
  if (trouble.length > 0) parts.push(`${trouble.length} need${trouble.length === 1 ? 's' : ''} attention`);
  const cameras = paired.map((a) => {
    let line = `${a.name}: ${a.state}`;
    if (horizonAhead(a, now)) line += `, plan until ${a.deployment!.horizon!.slice(0, 10)}`;
    if (a.state === 'online' && !a.cameraReady) line += ', camera not ready';
    if (a.lastError) line += `, ${a.lastError}`;
    return { id: a.id, line: line.length > 90 ? `${line.slice(0, 89)}…` : line };
  });
  return {
    state: trouble.length > 0 ? 'attention' : planned.length > 0 ? 'capturing' : 'idle',
    tooltip: `Skystation: ${parts.join(', ')}`,
    cameras,
  };
}

// ---------------------------------------------------------------- notifications

export type AlertEvent = AlertEventData;

export interface DesktopNotice {
  title: string;
  body: string;
  /** Errors stay until dismissed where the system allows it. */
  urgent: boolean;
}

/** The same alert (code and camera) is shown at most once in this long. */
export const NOTIFY_REPEAT_MS = 15 * 60_000;

/**
 * Which station alerts become desktop notifications: warnings and errors,
 * not info; the same code for the same camera at most once per
 * NOTIFY_REPEAT_MS; never while the operator is looking at the window (the
 * page shows the alert itself) unless it is an error. The title says what
 * happened in words.
 */
export class AlertNotifier {
  private readonly last = new Map<string, number>();

  decide(
    alert: AlertEvent,
    ctx: { now: number; windowFocused: boolean; cameraName?: string | null },
  ): DesktopNotice | null {
    if (alert.level === 'info') return null;
    if (ctx.windowFocused && alert.level !== 'error') return null;
    const key = `${alert.code}\u0000${alert.agentId ?? ''}`;
    const previous = this.last.get(key);
    if (previous !== undefined && ctx.now - previous < NOTIFY_REPEAT_MS) return null;
    this.last.set(key, ctx.now);
    const what = alert.code.replace(/_/g, ' ');
    const title = `${ctx.cameraName ? `${ctx.cameraName}: ` : ''}${what.charAt(0).toUpperCase()}${what.slice(1)}`;
    return { title: `Skystation · ${title}`, body: alert.message, urgent: alert.level === 'error' };
  }
}
