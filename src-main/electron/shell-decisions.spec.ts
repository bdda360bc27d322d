import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentView } from '../api/contract.js';
import {
  acceleratorsOf,
  AlertNotifier,
  keyScript,
  menuTemplate,
  navigateScript,
  NOTIFY_REPEAT_MS,
  trayIconFor,
  trayStatus,
  VIEWS,
  type MenuSpec,
} from './shell-decisions';

const NOW = Date.parse('2026-12-07T03:00:00Z');

const agent = (over: Partial<AgentView>): AgentView => ({
  id: 'a1',
  name: 'ridge',
  host: '127.0.0.1',
  port: 8080,
  state: 'online',
  lastSeen: null,
  cameraModel: 'sim',
  cameraReady: true,
  diskUsedPercent: 10,
  unsynced: 0,
  lastError: null,
  embedded: false,
  ...over,
});

const labels = (t: readonly MenuSpec[]): string[] => t.map((m) => m.label ?? m.role ?? '');

describe('menu', () => {
  it('has the app menu on macOS only, and quit in File elsewhere', () => {
    expect(labels(menuTemplate({ platform: 'darwin', dev: false }))).toEqual([
      'Skystation',
      'File',
      'Edit',
      'View',
      'Window',
      'Help',
    ]);
    const linux = menuTemplate({ platform: 'linux', dev: false });
    expect(labels(linux)).toEqual(['File', 'Edit', 'View', 'Window', 'Help']);
    expect(linux[0]!.submenu!.some((m) => m.role === 'quit')).toBe(true);
  });

  it('no two items share a shortcut, and developer tools only in a development build', () => {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      const all = acceleratorsOf(menuTemplate({ platform, dev: true })).map((a) => a.accelerator);
      expect(new Set(all).size).toBe(all.length);
    }
    const roles = (dev: boolean) => JSON.stringify(menuTemplate({ platform: 'linux', dev }));
    expect(roles(true)).toContain('toggleDevTools');
    expect(roles(false)).not.toContain('toggleDevTools');
  });

  it("shows the page's own keys without taking them from the page", () => {
    const view = menuTemplate({ platform: 'linux', dev: false }).find((m) => m.label === 'View')!;
    const night = view.submenu!.find((m) => m.label?.startsWith('Night'))!;
    expect(night).toMatchObject({ accelerator: 'Shift+N', registerAccelerator: false });
    expect(keyScript(night.command as { key: string; shiftKey: boolean })).toBe(
      `window.dispatchEvent(new KeyboardEvent('keydown', {"key":"N","shiftKey":true,"bubbles":true}));`,
    );
    // Ctrl+1..9 open the first nine views by address.
    const first = view.submenu![0]!;
    expect(first).toMatchObject({ label: 'Cameras', accelerator: 'CmdOrCtrl+1' });
    expect(navigateScript('planning')).toBe('window.location.hash = "#/planning";');
    expect(() => navigateScript('x";alert(1);"')).toThrow(/Unknown view/);
  });

  it('lists the same views as the page, in the same order', () => {
    const views = readFileSync(join(import.meta.dirname, '../../src-renderer/src/shell/views.tsx'), 'utf8');
    const tabs = views.slice(views.indexOf('export const TABS'), views.indexOf('export const PAGES'));
    const ids = [...tabs.matchAll(/\{ id: '([a-z]+)'/g)].map((m) => m[1]);
    // Ctrl+1..9 in the menu and 1..9 in the page must open the same views.
    expect(VIEWS.map((v) => v.id)).toEqual(ids);
  });
});

describe('tray status', () => {
  it('no cameras, and cameras found but not paired', () => {
    expect(trayStatus([], NOW)).toMatchObject({ state: 'no-cameras', tooltip: 'Skystation: no cameras yet' });
    expect(trayStatus([agent({ state: 'unpaired' })], NOW).tooltip).toMatch(/1 camera\(s\) found, none paired/);
  });

  it('capturing on a plan, idle, and needing attention', () => {
    const deployed = {
      agentId: 'a1',
      profileId: 'f',
      version: '1.0.0',
      status: 'deployed' as const,
      deployedAt: '2026-12-01T00:00:00Z',
      horizon: '2026-12-31T00:00:00-07:00',
      windows: 30,
      error: null,
      redeploys: 0,
    };
    expect(trayStatus([agent({ deployment: deployed })], NOW)).toMatchObject({
      state: 'capturing',
      tooltip: 'Skystation: 1 of 1 camera online, 1 running a plan',
      cameras: [{ id: 'a1', line: 'ridge: online, plan until 2026-12-31' }],
    });
    // A plan that has run out is not capturing.
    const expired = { ...deployed, horizon: '2026-12-01T00:00:00Z' };
    expect(trayStatus([agent({ deployment: expired })], NOW).state).toBe('idle');
    const s = trayStatus([agent({ deployment: deployed }), agent({ id: 'a2', name: 'lake', state: 'offline' })], NOW);
    expect(s).toMatchObject({
      state: 'attention',
      tooltip: 'Skystation: 1 of 2 cameras online, 1 running a plan, 1 needs attention',
    });
    expect(trayStatus([agent({ diskUsedPercent: 95 })], NOW).state).toBe('attention');
    expect(trayStatus([agent({ cameraReady: false })], NOW).cameras[0]!.line).toBe('ridge: online, camera not ready');
  });
});

describe('tray icon', () => {
  it('one icon per state, each present with its @2x', () => {
    const dir = join(import.meta.dirname, '../../resources/icons');
    const names = (['capturing', 'idle', 'attention', 'no-cameras'] as const).map(trayIconFor);
    expect(new Set(names).size).toBe(3);
    for (const n of names) {
      expect(readFileSync(join(dir, n)).subarray(1, 4).toString()).toBe('PNG');
      expect(
        readFileSync(join(dir, n.replace('.png', '@2x.png')))
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    }
  });
});

describe('alert notifications', () => {
  const alert = (over: Partial<Parameters<AlertNotifier['decide']>[0]> = {}) => ({
    level: 'warning' as const,
    code: 'camera_offline',
    message: 'ridge has not answered for 2 minutes.',
    time: '2026-12-07T03:00:00Z',
    agentId: 'a1',
    ...over,
  });

  it('warnings and errors notify, info does not; the title says what happened', () => {
    const n = new AlertNotifier();
    expect(n.decide(alert({ level: 'info' }), { now: NOW, windowFocused: false })).toBeNull();
    expect(n.decide(alert(), { now: NOW, windowFocused: false, cameraName: 'ridge' })).toEqual({
      title: 'Skystation · ridge: Camera offline',
      body: 'ridge has not answered for 2 minutes.',
      urgent: false,
    });
    expect(n.decide(alert({ level: 'error', code: 'disk_full' }), { now: NOW, windowFocused: false })).toMatchObject({
      title: 'Skystation · Disk full',
      urgent: true,
    });
  });

  it('the same alert for the same camera at most once in 15 minutes; another camera is its own', () => {
    const n = new AlertNotifier();
    const ctx = { now: NOW, windowFocused: false };
    expect(n.decide(alert(), ctx)).not.toBeNull();
    expect(n.decide(alert(), { ...ctx, now: NOW + NOTIFY_REPEAT_MS - 1 })).toBeNull();
    expect(n.decide(alert({ agentId: 'a2' }), ctx)).not.toBeNull();
    expect(n.decide(alert(), { ...ctx, now: NOW + NOTIFY_REPEAT_MS })).not.toBeNull();
  });

  it('while the operator looks at the window only errors notify', () => {
    const n = new AlertNotifier();
    expect(n.decide(alert(), { now: NOW, windowFocused: true })).toBeNull();
    expect(
      n.decide(alert({ level: 'error', code: 'capture_failed' }), { now: NOW, windowFocused: true }),
    ).not.toBeNull();
    // A suppressed warning does not use up its turn.
    expect(n.decide(alert(), { now: NOW + 1, windowFocused: false })).not.toBeNull();
  });
});
