/**
 * Sandboxed preload: exposes `window.skystation` (a StationBridge: one invoke
 * for every method of the station API table, see ./bridge.ts) and
 * `window.skystationPreview` (live preview frames and pop-out windows). Raw
 * ipcRenderer is never exposed.
 *
 * Bundled into one CommonJS file (out/preload/index.cjs): a sandboxed preload
 * can require only `electron` and a few built-ins.
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  PREVIEW_CLOSE_CHANNEL,
  PREVIEW_DATA_CHANNEL,
  PREVIEW_ENDED_CHANNEL,
  PREVIEW_OPEN_CHANNEL,
  PREVIEW_SEND_CHANNEL,
  PREVIEW_WINDOW_CHANNEL,
} from '../src-main/electron/preview-channels';
import { SHOW_IN_FOLDER_CHANNEL } from '../src-main/electron/channels';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('skystation', createBridge(ipcRenderer));

/** What only the desktop app can do: show an export in the system's file manager. */
contextBridge.exposeInMainWorld('skystationDesktop', {
  showInFolder: (mediaPath: string): Promise<boolean> =>
    ipcRenderer.invoke(SHOW_IN_FOLDER_CHANNEL, mediaPath) as Promise<boolean>,
});

/**
 * The live preview's frames (issue 14) over IPC, for the file:// page that
 * has no station WebSocket: open() is one viewer on the station's relay (see
 * src-main/electron/preview-window.ts); popOut() opens a camera's own window.
 */
let nextStreamId = 1;
const previewListeners = new Map<
  number,
  { message(d: ArrayBuffer | string): void; ended(c: number, r: string): void }
>();
ipcRenderer.on(PREVIEW_DATA_CHANNEL, (_e, streamId: number, data: Uint8Array | string) => {
  const l = previewListeners.get(streamId);
  if (!l) return;
  if (typeof data === 'string') l.message(data);
  else l.message(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
});
ipcRenderer.on(PREVIEW_ENDED_CHANNEL, (_e, streamId: number, code: number, reason: string) => {
  const l = previewListeners.get(streamId);
  previewListeners.delete(streamId);
  l?.ended(code, reason);
});
contextBridge.exposeInMainWorld('skystationPreview', {
  open(
    agentId: string,
    fps: number,
    onMessage: (data: ArrayBuffer | string) => void,
    onClose: (code: number, reason: string) => void,
  ) {
    const streamId = nextStreamId++;
    previewListeners.set(streamId, { message: onMessage, ended: onClose });
    ipcRenderer.send(PREVIEW_OPEN_CHANNEL, { streamId, agentId, fps });
    return {
      send: (text: string) => ipcRenderer.send(PREVIEW_SEND_CHANNEL, { streamId, text }),
      close: () => {
        previewListeners.delete(streamId);
        ipcRenderer.send(PREVIEW_CLOSE_CHANNEL, { streamId });
      },
    };
  },
  popOut: (agentId: string, alwaysOnTop?: boolean): Promise<unknown> =>
    ipcRenderer.invoke(PREVIEW_WINDOW_CHANNEL, alwaysOnTop === undefined ? { agentId } : { agentId, alwaysOnTop }),
});
