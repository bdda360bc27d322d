/**
 * The IPC half of the station API: the preload's `station:invoke` goes to
 * station.dispatch (which validates params with the contract's zod schemas),
 * and station events go to every window.
 */
import { BrowserWindow, ipcMain } from 'electron';
import { z } from 'zod';
import type { Station } from '../brain/index.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';

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

  const offEvents = station.onEvent((e) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
    }
  });

  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    offEvents();
  };
}
