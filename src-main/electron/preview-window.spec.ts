import { describe, expect, it } from 'vitest';
import type { PreviewSink, PreviewTextMessage, ViewerHandle } from '../preview/relay.js';
import {
  DEFAULT_PREVIEW_SIZE,
  PREVIEW_CLOSE_CHANNEL,
  PREVIEW_DATA_CHANNEL,
  PREVIEW_OPEN_CHANNEL,
  PREVIEW_SEND_CHANNEL,
  PREVIEW_WINDOW_CHANNEL,
  PreviewWindows,
  parseSavedWindows,
  previewHash,
  registerPreviewIpc,
  restoreBounds,
  type PreviewWindowLike,
  type Rect,
} from './preview-window';

const SCREEN: Rect = { x: 0, y: 0, width: 1920, height: 1050 };
const SECOND: Rect = { x: 1920, y: 0, width: 1280, height: 1000 };

class FakeWindow implements PreviewWindowLike {
  destroyed = false;
  minimized = false;
  focused = 0;
  onTop: boolean;
  bounds: Rect;
  private readonly listeners = new Map<string, (() => void)[]>();
  constructor(b: Rect | { width: number; height: number }, onTop: boolean) {
    this.bounds = { x: 'x' in b ? b.x : 100, y: 'y' in b ? b.y : 100, width: b.width, height: b.height };
    this.onTop = onTop;
  }
  focus(): void {
    this.focused++;
  }
  show(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  getBounds(): Rect {
    return { ...this.bounds };
  }
  setAlwaysOnTop(on: boolean): void {
    this.onTop = on;
  }
  isAlwaysOnTop(): boolean {
    return this.onTop;
  }
  on(event: string, listener: () => void): unknown {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string): void {
    for (const l of this.listeners.get(event) ?? []) l();
  }
  close(): void {
    this.emit('close');
    this.destroyed = true;
    this.emit('closed');
  }
}

function manager(initial: string | null = null, areas: Rect[] = [SCREEN]) {
  const files: string[] = [];
  const created: { agentId: string; win: FakeWindow }[] = [];
  const windows = new PreviewWindows({
    create: (agentId, bounds, onTop) => {
      const win = new FakeWindow(bounds, onTop);
      created.push({ agentId, win });
      return win;
    },
    workAreas: () => areas,
    load: () => initial,
    save: (text) => files.push(text),
    saveDelayMs: 0,
  });
  return { windows, files, created };
}

describe('preview pop-out windows', () => {
  it('restores remembered bounds only where a screen still shows them', () => {
    const saved = { x: 2000, y: 50, width: 900, height: 600 };
    expect(restoreBounds(saved, [SCREEN, SECOND])).toEqual(saved);
    // The second screen is gone: default size, centred by the window system (no position).
    expect(restoreBounds(saved, [SCREEN])).toEqual(DEFAULT_PREVIEW_SIZE);
    // Bigger than the screen it is on: shrunk to fit.
    expect(restoreBounds({ x: 0, y: 0, width: 4000, height: 3000 }, [SCREEN])).toEqual({
      x: 0,
      y: 0,
      width: 1920,
      height: 1050,
    });
    // Only a sliver visible (less than a title bar to grab): not restored.
    expect(restoreBounds({ x: 1880, y: 0, width: 800, height: 600 }, [SCREEN])).toEqual(DEFAULT_PREVIEW_SIZE);
    expect(restoreBounds(undefined, [{ x: 0, y: 0, width: 1024, height: 700 }])).toEqual({ width: 1024, height: 700 });
  });

  it('forgets an unreadable or malformed file instead of failing', () => {
    expect(parseSavedWindows(null)).toEqual({});
    expect(parseSavedWindows('{not json')).toEqual({});
    expect(parseSavedWindows('{"cam":{"bounds":{"x":"a"},"alwaysOnTop":true}}')).toEqual({});
    const ok = { cam: { bounds: { x: 1, y: 2, width: 800, height: 600 }, alwaysOnTop: true } };
    expect(parseSavedWindows(JSON.stringify(ok))).toEqual(ok);
    expect(previewHash('a b/c')).toBe('/preview/a%20b%2Fc');
  });

  it('opens one window per camera, focusing the open one, and remembers bounds and always-on-top', async () => {
    const { windows, files, created } = manager();
    const a = windows.show('cam-a') as FakeWindow;
    const again = windows.show('cam-a');
    expect(again).toBe(a);
    expect(a.focused).toBe(1);
    windows.show('cam-b');
    expect(created.map((c) => c.agentId)).toEqual(['cam-a', 'cam-b']);
    expect(windows.openCameras().sort()).toEqual(['cam-a', 'cam-b']);

    a.bounds = { x: 300, y: 200, width: 1000, height: 700 };
    a.emit('moved');
    await new Promise((r) => setTimeout(r, 5));
    expect(JSON.parse(files.at(-1)!)).toMatchObject({ 'cam-a': { bounds: a.bounds, alwaysOnTop: false } });

    windows.show('cam-a', true);
    expect(a.onTop).toBe(true);
    expect(parseSavedWindows(files.at(-1)!)['cam-a']?.alwaysOnTop).toBe(true);

    a.close();
    expect(windows.openCameras()).toEqual(['cam-b']);
    // Opened again after closing: a new window where the old one was, still on top.
    const { windows: next, created: made } = manager(files.at(-1) ?? null);
    next.show('cam-a');
    expect(made[0]!.win.bounds).toEqual({ x: 300, y: 200, width: 1000, height: 700 });
    expect(made[0]!.win.onTop).toBe(true);
  });
});

describe('preview IPC', () => {
  type Listener = (e: unknown, raw: unknown) => unknown;
  function fakeIpc() {
    const on = new Map<string, Listener>();
    const handlers = new Map<string, Listener>();
    return {
      on: (ch: string, l: Listener) => on.set(ch, l),
      removeAllListeners: (ch: string) => on.delete(ch),
      handle: (ch: string, l: Listener) => handlers.set(ch, l),
      removeHandler: (ch: string) => handlers.delete(ch),
      onMap: on,
      handlers,
    };
  }
  function fakeWebContents(url: string) {
    const sent: unknown[][] = [];
    const once = new Map<string, () => void>();
    const wc = {
      destroyed: false,
      isDestroyed: () => wc.destroyed,
      send: (...args: unknown[]) => sent.push(args),
      once: (ev: string, l: () => void) => once.set(ev, l),
    };
    return { wc, sent, once, event: { sender: wc, senderFrame: { url } } };
  }
  function fakeRelay() {
    const viewers: {
      agentId: string;
      sink: PreviewSink;
      fps: number;
      acks: number;
      left: boolean;
      fpsSet: number[];
      settingsSet: unknown[];
    }[] = [];
    return {
      viewers,
      subscribe(agentId: string, sink: PreviewSink, fps: number): ViewerHandle {
        const v = { agentId, sink, fps, acks: 0, left: false, fpsSet: [] as number[], settingsSet: [] as unknown[] };
        viewers.push(v);
        return {
          ack: () => v.acks++,
          setFps: (n) => v.fpsSet.push(n),
          setSettings: (c) => v.settingsSet.push(c),
          leave: () => (v.left = true),
        };
      },
    };
  }
  const APP = 'file:///app/index.html';

  it('streams frames to the window that asked, forwards acks and rate changes, and ends streams with the window', () => {
    const ipc = fakeIpc();
    const relay = fakeRelay();
    const unwire = registerPreviewIpc(ipc as never, relay, null, (u) => u.startsWith(APP));
    const win = fakeWebContents(`${APP}#/preview/cam`);
    const open = ipc.onMap.get(PREVIEW_OPEN_CHANNEL)!;
    open(win.event, { streamId: 1, agentId: 'cam', fps: 30 });
    expect(relay.viewers).toHaveLength(1);
    expect(relay.viewers[0]!.acks).toBe(1); // starts in acknowledging mode
    const frame = Buffer.from([1, 2, 3]);
    relay.viewers[0]!.sink.sendFrame(frame);
    const status: PreviewTextMessage = {
      type: 'status',
      state: 'live',
      upstreamFps: 30,
      viewers: 1,
      settings: { width: 1280, quality: 70 },
    };
    relay.viewers[0]!.sink.sendText(status);
    expect(win.sent[0]).toEqual([PREVIEW_DATA_CHANNEL, 1, frame]);
    expect(JSON.parse(win.sent[1]![2] as string)).toEqual(status);

    const send = ipc.onMap.get(PREVIEW_SEND_CHANNEL)!;
    send(win.event, { streamId: 1, text: JSON.stringify({ ack: 7 }) });
    send(win.event, { streamId: 1, text: JSON.stringify({ fps: 5 }) });
    send(win.event, { streamId: 1, text: JSON.stringify({ fps: 500 }) });
    send(win.event, { streamId: 1, text: 'junk' });
    send(win.event, { streamId: 1, text: JSON.stringify({ settings: { width: 640, quality: 50 } }) });
    send(win.event, { streamId: 1, text: JSON.stringify({ settings: { width: 641 } }) });
    expect(relay.viewers[0]!.acks).toBe(2);
    expect(relay.viewers[0]!.fpsSet).toEqual([5]);
    expect(relay.viewers[0]!.settingsSet).toEqual([{ width: 640, quality: 50 }]);

    open(win.event, { streamId: 2, agentId: 'cam', fps: 2 });
    ipc.onMap.get(PREVIEW_CLOSE_CHANNEL)!(win.event, { streamId: 2 });
    expect(relay.viewers[1]!.left).toBe(true);
    // The window goes away: its remaining stream leaves the relay.
    win.wc.destroyed = true;
    win.once.get('destroyed')!();
    expect(relay.viewers[0]!.left).toBe(true);
    unwire();
    expect(ipc.onMap.size).toBe(0);
    expect(ipc.handlers.size).toBe(0);
  });

  it('refuses untrusted pages and malformed requests, and opens pop-outs through the manager', async () => {
    const ipc = fakeIpc();
    const relay = fakeRelay();
    const shown: [string, boolean | undefined][] = [];
    registerPreviewIpc(
      ipc as never,
      relay,
      { show: (id, top) => (shown.push([id, top]), new FakeWindow(SCREEN, false)) },
      (u) => u.startsWith(APP),
    );
    const evil = fakeWebContents('https://evil.example/');
    ipc.onMap.get(PREVIEW_OPEN_CHANNEL)!(evil.event, { streamId: 1, agentId: 'cam', fps: 30 });
    const good = fakeWebContents(APP);
    ipc.onMap.get(PREVIEW_OPEN_CHANNEL)!(good.event, { streamId: 1, agentId: 'cam', fps: 99 });
    ipc.onMap.get(PREVIEW_OPEN_CHANNEL)!(good.event, { streamId: -1, agentId: 'cam', fps: 30 });
    expect(relay.viewers).toHaveLength(0);
    const win = ipc.handlers.get(PREVIEW_WINDOW_CHANNEL)!;
    expect(await win(evil.event, { agentId: 'cam' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await win(good.event, { agentId: '' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await win(good.event, { agentId: 'cam', alwaysOnTop: true })).toEqual({ ok: true, result: null });
    expect(shown).toEqual([['cam', true]]);
  });
});
