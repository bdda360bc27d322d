/**
 * The object the preload exposes as `window.skystation`, built from an
 * ipcRenderer-like object so it can be tested without Electron. Every method
 * of the station API table goes through one invoke that answers the Reply
 * envelope ({ok, result} | {ok:false, error:{code, message, details}}): an
 * error crosses contextBridge as data, not as a thrown Error whose code and
 * details contextBridge would drop.
 */
import { isMethodName, type Reply, type StationBridge, type StationEvent } from '../src-main/api/contract';
import { EVENT_CHANNEL, INVOKE_CHANNEL, MEDIA_HOST, MEDIA_SCHEME } from '../src-main/electron/channels';

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcLike {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, data: StationEvent) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, data: StationEvent) => void): unknown;
}

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'ok' in value && typeof value.ok === 'boolean';
}

export function createBridge(ipc: IpcLike): StationBridge {
  return {
    async invoke(method, params) {
      if (!isMethodName(method)) {
        return {
          ok: false,
          error: { code: 'unknown_method', message: `The station has no method "${String(method)}".` },
        };
      }
      const reply = await ipc.invoke(INVOKE_CHANNEL, { method, params: params ?? {} });
      return isReply(reply)
        ? reply
        : {
            ok: false,
            error: { code: 'internal', message: 'The station sent an answer this window does not understand.' },
          };
    },
    onEvent(listener) {
      const handler = (_e: unknown, event: StationEvent): void => listener(event);
      ipc.on(EVENT_CHANNEL, handler);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, handler);
      };
    },
    mediaUrl: (path) => `${MEDIA_SCHEME}://${MEDIA_HOST}/${path.split('/').map(encodeURIComponent).join('/')}`,
  };
}
