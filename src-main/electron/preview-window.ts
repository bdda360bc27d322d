/**
 * The desktop app's live preview (issue 14): pop-out windows, one per camera,
 * with remembered bounds and an always-on-top option, and the IPC that carries
 * preview frames to the renderer.
 *
 * Frames reach a desktop window over IPC through the preload
 * (window.skystationPreview, src-preload), not over the station's WebSocket:
 * the desktop page is a file:// page with no HTTP server behind it. Each
 * window's stream is one more viewer on the station's relay (src-main/preview),
 * so however many windows are open the agent sees one upstream connection.
 * The renderer acknowledges each painted frame, and the relay keeps at most two
 * in flight per viewer: IPC has no send buffer to watch, so acknowledgement is
 * its flow control.
 *
 * Everything here is plain code with Electron injected (type imports only), so
 * the decisions are tested without Electron (preview-window.spec.ts).
 */
import type { BrowserWindowConstructorOptions, IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { applyViewerText, type PreviewRelay, type PreviewTextMessage, type ViewerHandle } from '../preview/relay.js';

import {
  PREVIEW_CLOSE_CHANNEL,
  PREVIEW_DATA_CHANNEL,
  PREVIEW_ENDED_CHANNEL,
  PREVIEW_OPEN_CHANNEL,
  PREVIEW_SEND_CHANNEL,
  PREVIEW_WINDOW_CHANNEL,
} from './preview-channels';

export * from './preview-channels';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_PREVIEW_SIZE = { width: 1280, height: 820 } as const;
export const MIN_PREVIEW_SIZE = { width: 480, height: 320 } as const;

const Bounds = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
const SavedWindow = z.object({ bounds: Bounds, alwaysOnTop: z.boolean() });
export const SavedPreviewWindows = z.record(z.string().min(1).max(200), SavedWindow);
export type SavedPreviewWindows = z.infer<typeof SavedPreviewWindows>;

/** The remembered windows from the file's text; anything unreadable is forgotten rather than fatal. */
export function parseSavedWindows(text: string | null): SavedPreviewWindows {
  if (text === null) return {};
  try {
    const parsed = SavedPreviewWindows.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Where a camera's window opens: its remembered bounds when enough of them
 * (100×50 px, enough to grab the title bar) is on a screen there now, shrunk
 * to fit that screen; otherwise the default size, centred by the window system.
 */
export function restoreBounds(
  saved: Rect | undefined,
  workAreas: readonly Rect[],
): Rect | { width: number; height: number } {
  if (saved) {
    const screen = workAreas.find((a) => {
      const o = overlap(saved, a);
      return o.width >= 100 && o.height >= 50;
    });
    if (screen) {
      const width = Math.max(MIN_PREVIEW_SIZE.width, Math.min(saved.width, screen.width));
      const height = Math.max(MIN_PREVIEW_SIZE.height, Math.min(saved.height, screen.height));
      return { x: saved.x, y: saved.y, width, height };
    }
  }
  const first = workAreas[0];
  return {
    width: first ? Math.min(DEFAULT_PREVIEW_SIZE.width, first.width) : DEFAULT_PREVIEW_SIZE.width,
    height: first ? Math.min(DEFAULT_PREVIEW_SIZE.height, first.height) : DEFAULT_PREVIEW_SIZE.height,
  };
}

/** The BrowserWindow options of a pop-out: the main window's security settings, its own bounds. */
export function previewWindowOptions(
  preload: string,
  title: string,
  bounds: Rect | { width: number; height: number },
  alwaysOnTop: boolean,
): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: MIN_PREVIEW_SIZE.width,
    minHeight: MIN_PREVIEW_SIZE.height,
    show: false,
    title,
    alwaysOnTop,
    backgroundColor: '#07080b',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** The hash route of a camera's preview page (src-renderer/src/shell/routes.ts). */
export function previewHash(agentId: string): string {
  return `/preview/${encodeURIComponent(agentId)}`;
}

/** The part of a BrowserWindow the manager uses. */
export interface PreviewWindowLike {
  focus(): void;
  show(): void;
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  getBounds(): Rect;
  setAlwaysOnTop(on: boolean): void;
  isAlwaysOnTop(): boolean;
  on(event: 'moved' | 'resized' | 'close' | 'closed' | 'ready-to-show', listener: () => void): unknown;
}

export interface PreviewWindowsDeps {
  /** Makes and loads the window for a camera (main.ts: new BrowserWindow + loadFile with previewHash). */
  create(agentId: string, bounds: Rect | { width: number; height: number }, alwaysOnTop: boolean): PreviewWindowLike;
  /** The screens' work areas now (electron's screen.getAllDisplays()). */
  workAreas(): Rect[];
  /** The saved file's text, or null. */
  load(): string | null;
  /** Writes the file (atomically). */
  save(text: string): void;
  /** Bounds are saved this long after the last move or resize. */
  saveDelayMs?: number;
}

/** One pop-out window per camera; bounds and always-on-top remembered per camera. */
export class PreviewWindows {
  private readonly open = new Map<string, PreviewWindowLike>();
  private saved: SavedPreviewWindows;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: PreviewWindowsDeps) {
    this.saved = parseSavedWindows(deps.load());
  }

  /** Opens the camera's window, or brings back the one already open; `alwaysOnTop` changes the option. */
  show(agentId: string, alwaysOnTop?: boolean): PreviewWindowLike {
    const existing = this.open.get(agentId);
    if (existing && !existing.isDestroyed()) {
      if (existing.isMinimized()) existing.restore();
      if (alwaysOnTop !== undefined && existing.isAlwaysOnTop() !== alwaysOnTop) {
        existing.setAlwaysOnTop(alwaysOnTop);
        this.remember(agentId, existing);
      }
      existing.focus();
      return existing;
    }
    const before = this.saved[agentId];
    const onTop = alwaysOnTop ?? before?.alwaysOnTop ?? false;
    const win = this.deps.create(agentId, restoreBounds(before?.bounds, this.deps.workAreas()), onTop);
    this.open.set(agentId, win);
    win.on('ready-to-show', () => win.show());
    const later = (): void => this.rememberSoon(agentId, win);
    win.on('moved', later);
    win.on('resized', later);
    win.on('close', () => this.remember(agentId, win));
    win.on('closed', () => {
      if (this.open.get(agentId) === win) this.open.delete(agentId);
    });
    if (alwaysOnTop !== undefined) this.remember(agentId, win);
    return win;
  }

  /** The cameras whose windows are open. */
  openCameras(): string[] {
    return [...this.open.entries()].filter(([, w]) => !w.isDestroyed()).map(([id]) => id);
  }

  remembered(): SavedPreviewWindows {
    return structuredClone(this.saved);
  }

  /** Saves now what is pending (on quit). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (const [id, w] of this.open) if (!w.isDestroyed()) this.capture(id, w);
    this.deps.save(JSON.stringify(this.saved));
  }

  private capture(agentId: string, win: PreviewWindowLike): void {
    this.saved[agentId] = { bounds: win.getBounds(), alwaysOnTop: win.isAlwaysOnTop() };
  }

  private remember(agentId: string, win: PreviewWindowLike): void {
    if (win.isDestroyed()) return;
    this.capture(agentId, win);
    this.deps.save(JSON.stringify(this.saved));
  }

  private rememberSoon(agentId: string, win: PreviewWindowLike): void {
    if (win.isDestroyed()) return;
    this.capture(agentId, win);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.deps.save(JSON.stringify(this.saved));
    }, this.deps.saveDelayMs ?? 500);
  }
}

const OpenRequest = z.strictObject({
  streamId: z.number().int().nonnegative(),
  agentId: z.string().min(1).max(200),
  fps: z.number().int().min(1).max(30),
});
const SendRequest = z.strictObject({ streamId: z.number().int().nonnegative(), text: z.string().max(256) });
const CloseRequest = z.strictObject({ streamId: z.number().int().nonnegative() });
const WindowRequest = z.strictObject({ agentId: z.string().min(1).max(200), alwaysOnTop: z.boolean().optional() });

interface IpcStream {
  handle: ViewerHandle;
  text(message: string): void;
}

/**
 * Wires the preview IPC: streams for any trusted window (each a relay viewer
 * whose frames go to that window's webContents), and pop-out windows. Returns
 * the function that unwires it and ends every stream.
 */
export function registerPreviewIpc(
  ipcMain: Pick<IpcMain, 'on' | 'removeAllListeners' | 'handle' | 'removeHandler'>,
  relay: Pick<PreviewRelay, 'subscribe'>,
  windows: Pick<PreviewWindows, 'show'> | null,
  isTrustedSender: (url: string) => boolean,
): () => void {
  const streams = new Map<WebContents, Map<number, IpcStream>>();
  const trusted = (e: IpcMainEvent | IpcMainInvokeEvent): boolean => isTrustedSender(e.senderFrame?.url ?? '');
  const endAll = (wc: WebContents): void => {
    const mine = streams.get(wc);
    if (!mine) return;
    streams.delete(wc);
    for (const s of mine.values()) s.handle.leave();
  };

  ipcMain.on(PREVIEW_OPEN_CHANNEL, (e: IpcMainEvent, raw: unknown) => {
    const req = OpenRequest.safeParse(raw);
    if (!trusted(e) || !req.success) return;
    const wc = e.sender;
    let mine = streams.get(wc);
    if (!mine) {
      const created = new Map<number, IpcStream>();
      streams.set(wc, created);
      mine = created;
      // A closed window or a reloaded page (not an in-page hash change) ends its streams.
      wc.once('destroyed', () => endAll(wc));
      wc.once('did-navigate', () => endAll(wc));
    }
    mine.get(req.data.streamId)?.handle.leave();
    const { streamId } = req.data;
    const alive = (): boolean => !wc.isDestroyed();
    const handle = relay.subscribe(
      req.data.agentId,
      {
        busy: () => !alive(),
        sendFrame: (frame) => {
          if (alive()) wc.send(PREVIEW_DATA_CHANNEL, streamId, frame);
        },
        sendText: (message: PreviewTextMessage) => {
          if (alive()) wc.send(PREVIEW_DATA_CHANNEL, streamId, JSON.stringify(message));
        },
        close: (code, reason) => {
          streams.get(wc)?.delete(streamId);
          if (alive()) wc.send(PREVIEW_ENDED_CHANNEL, streamId, code, reason);
        },
      },
      req.data.fps,
    );
    // IPC viewers always acknowledge painted frames: start in that mode, nothing in flight.
    handle.ack();
    mine.set(streamId, {
      handle,
      // The same messages as on the WebSocket (ack, fps, settings); anything malformed is ignored.
      text: (text) => applyViewerText(handle, text),
    });
  });

  ipcMain.on(PREVIEW_SEND_CHANNEL, (e: IpcMainEvent, raw: unknown) => {
    const req = SendRequest.safeParse(raw);
    if (!trusted(e) || !req.success) return;
    streams.get(e.sender)?.get(req.data.streamId)?.text(req.data.text);
  });

  ipcMain.on(PREVIEW_CLOSE_CHANNEL, (e: IpcMainEvent, raw: unknown) => {
    const req = CloseRequest.safeParse(raw);
    if (!trusted(e) || !req.success) return;
    const mine = streams.get(e.sender);
    mine?.get(req.data.streamId)?.handle.leave();
    mine?.delete(req.data.streamId);
  });

  ipcMain.handle(PREVIEW_WINDOW_CHANNEL, (e: IpcMainInvokeEvent, raw: unknown) => {
    const req = WindowRequest.safeParse(raw);
    if (!trusted(e)) return { ok: false, error: { code: 'forbidden', message: 'This page may not open windows.' } };
    if (!req.success) return { ok: false, error: { code: 'bad_request', message: 'Malformed window request.' } };
    if (!windows) return { ok: false, error: { code: 'unavailable', message: 'Pop-out windows are not available.' } };
    windows.show(req.data.agentId, req.data.alwaysOnTop);
    return { ok: true, result: null };
  });

  return () => {
    for (const ch of [PREVIEW_OPEN_CHANNEL, PREVIEW_SEND_CHANNEL, PREVIEW_CLOSE_CHANNEL])
      ipcMain.removeAllListeners(ch);
    ipcMain.removeHandler(PREVIEW_WINDOW_CHANNEL);
    for (const wc of [...streams.keys()]) endAll(wc);
  };
}

/** What electronPreviewWindows needs from Electron and the app (main.ts passes them). */
export interface ElectronPreviewDeps {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => PreviewWindowLike & {
    loadFile(file: string, options: { hash: string }): Promise<void>;
    loadURL(url: string): Promise<void>;
  };
  screen: { getAllDisplays(): { workArea: Rect }[] };
  preload: string;
  rendererIndexFile: string;
  /** The dev server's address in development (ELECTRON_RENDERER_URL). */
  devUrl: string | undefined;
  dataDir: string;
  onError(err: unknown): void;
}

/** The pop-out windows of the desktop app, bounds kept in <dataDir>/preview-windows.json. */
export function electronPreviewWindows(d: ElectronPreviewDeps): PreviewWindows {
  const file = join(d.dataDir, 'preview-windows.json');
  return new PreviewWindows({
    create: (agentId, bounds, alwaysOnTop) => {
      const win = new d.BrowserWindow(previewWindowOptions(d.preload, 'Skystation live preview', bounds, alwaysOnTop));
      const hash = previewHash(agentId);
      const loading =
        d.devUrl !== undefined ? win.loadURL(`${d.devUrl}#${hash}`) : win.loadFile(d.rendererIndexFile, { hash });
      loading.catch((err: unknown) => d.onError(err));
      return win;
    },
    workAreas: () => d.screen.getAllDisplays().map((s) => s.workArea),
    load: () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return null;
      }
    },
    save: (text) => {
      writeFileAtomic(file, text).catch((err: unknown) => d.onError(err));
    },
  });
}
