/**
 * Sandboxed preload: exposes `window.skystation`, implementing StationApi
 * over IPC, and `window.skystationPreview` (live preview frames and pop-out
 * windows). Raw ipcRenderer is never exposed.
 *
 * contextBridge copies a thrown Error's message but not its class or `code`,
 * so the message carries the code as "[code] message"; the renderer turns it
 * back into a StationApiError (src-renderer/src/api/station.ts).
 *
 * Bundled into one CommonJS file (out/preload/index.cjs): a sandboxed preload
 * can require only `electron` and a few built-ins.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  StationApiError,
  type ApiError,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type StationApi,
  type StationEvent,
} from '../src-main/api/contract';
import { bindOrchestrationApi } from '../src-main/api/orchestration';
import { bindSettingsApi } from '../src-main/settings/api-types';
import { bindGalleryApi } from '../src-main/gallery/api-types';
import { EVENT_CHANNEL, INVOKE_CHANNEL, MEDIA_HOST, MEDIA_SCHEME } from '../src-main/electron/channels';
import {
  PREVIEW_CLOSE_CHANNEL,
  PREVIEW_DATA_CHANNEL,
  PREVIEW_ENDED_CHANNEL,
  PREVIEW_OPEN_CHANNEL,
  PREVIEW_SEND_CHANNEL,
  PREVIEW_WINDOW_CHANNEL,
} from '../src-main/electron/preview-channels';

type InvokeReply = { ok: true; result: unknown } | { ok: false; error: ApiError };

function isReply(value: unknown): value is InvokeReply {
  return typeof value === 'object' && value !== null && 'ok' in value && typeof value.ok === 'boolean';
}

async function call<M extends MethodName>(method: M, params: ParamsOf<M> | undefined): Promise<ResultOf<M>> {
  const reply: unknown = await ipcRenderer.invoke(INVOKE_CHANNEL, { method, params: params ?? {} });
  if (!isReply(reply)) {
    throw new StationApiError({
      code: 'internal',
      message: '[internal] The station sent an answer this window does not understand.',
    });
  }
  if (!reply.ok) {
    throw new StationApiError({ code: reply.error.code, message: `[${reply.error.code}] ${reply.error.message}` });
  }
  // The brain validated params and answers with the contract's result type.
  return reply.result as ResultOf<M>;
}

const skystation = {
  health: (p) => call('health', p),
  listAgents: (p) => call('listAgents', p),
  addAgent: (p) => call('addAgent', p),
  removeAgent: (p) => call('removeAgent', p),
  pairAgent: (p) => call('pairAgent', p),
  captureNow: (p) => call('captureNow', p),
  captureBracket: (p) => call('captureBracket', p),
  syncAgent: (p) => call('syncAgent', p),
  setAgentClock: (p) => call('setAgentClock', p),
  agentLog: (p) => call('agentLog', p),
  agentControl: (p) => call('agentControl', p),
  forceMaster: (p) => call('forceMaster', p),
  sensorSeries: (p) => call('sensorSeries', p),
  sessionStatus: (p) => call('sessionStatus', p),
  stopSession: (p) => call('stopSession', p),
  startSession: (p) => call('startSession', p),
  listCaptures: (p) => call('listCaptures', p),
  setFrameKind: (p) => call('setFrameKind', p),
  'exports.create': (p) => call('exports.create', p),
  'exports.list': (p) => call('exports.list', p),
  'exports.get': (p) => call('exports.get', p),
  'exports.cancel': (p) => call('exports.cancel', p),
  'exports.retry': (p) => call('exports.retry', p),
  'exports.nightProducts': (p) => call('exports.nightProducts', p),
  'exports.getSettings': (p) => call('exports.getSettings', p),
  'exports.setSettings': (p) => call('exports.setSettings', p),
  ...bindOrchestrationApi((m, p) => call(m, p as never)),
  ...bindSettingsApi((m, p) => call(m, p as never)),
  ...bindGalleryApi((m, p) => call(m, p as never)),
  onEvent(listener) {
    const handler = (_e: IpcRendererEvent, event: StationEvent): void => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
  mediaUrl: (path) => `${MEDIA_SCHEME}://${MEDIA_HOST}/${path.split('/').map(encodeURIComponent).join('/')}`,
} satisfies StationApi;

contextBridge.exposeInMainWorld('skystation', skystation);

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
