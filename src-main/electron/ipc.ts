/**
 * The IPC half of the station API: the preload's `station:invoke` goes to
 * station.dispatch (which validates params with the contract's zod schemas),
 * and station events go to every window.
 */
import { BrowserWindow, ipcMain, shell } from 'electron';
import { z } from 'zod';
import type { Station } from '../brain/index.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL, SHOW_IN_FOLDER_CHANNEL } from './channels';
import { resolveMediaFile } from './media-path';

const InvokeRequest = z.strictObject({ method: z.string().max(64), params: z.unknown().optional() });

export interface IpcOptions {
  /** Only frames showing the app's own page may call the station. */
  isTrustedSender(url: string): boolean;
}

/** Wires IPC to the station; returns a function that unwires it. */
export function registerIpc(station: Station, opts: IpcOptions): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, request: unknown) => {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!opts.isTrustedSender(frameUrl)) {
      return { ok: false, error: { code: 'forbidden', message: 'This page may not use the station.' } };
    }
    const req = InvokeRequest.safeParse(request);
    if (!req.success) {
      return { ok: false, error: { code: 'bad_request', message: 'Malformed station request.' } };
    }
    return station.dispatch(req.data.method, req.data.params);
  });

  // "Show in folder" for an export: only a file inside the station's media folder, given as its media path.
  ipcMain.handle(SHOW_IN_FOLDER_CHANNEL, (event, mediaPath: unknown) => {
    if (!opts.isTrustedSender(event.senderFrame?.url ?? '')) return false;
    const rel = z.string().max(4096).safeParse(mediaPath);
    const file = rel.success ? resolveMediaFile(station.mediaDir, rel.data) : null;
    if (file === null) return false;
    shell.showItemInFolder(file);
    return true;
  });

  const offEvents = station.onEvent((e) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
    }
  });

  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    ipcMain.removeHandler(SHOW_IN_FOLDER_CHANNEL);
    offEvents();
  };
}
