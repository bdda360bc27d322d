/**
 * The one StationApi the UI uses. Inside Electron the preload exposes
 * `window.skystation` (IPC); in a browser served by the headless station there
 * is none, so we talk WebSocket to the same origin.
 */
import { StationApiError, type StationApi } from '../../../src-main/api/contract';
import { bindOrchestrationApi } from '../../../src-main/api/orchestration';
import { bindSettingsApi } from '../../../src-main/settings/api-types';
import { bindGalleryApi } from '../../../src-main/gallery/api-types';
import { createWsTransport, type ConnectionState } from './ws-transport';

export type TransportKind = 'ipc' | 'websocket';

export interface Station {
  api: StationApi;
  kind: TransportKind;
  /** The connection now; IPC is always open. */
  connectionState(): ConnectionState;
  /** Fires 'open' after every (re)connect. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
}

/**
 * contextBridge copies a thrown Error's message but drops its class and custom
 * fields, so the preload puts the code in the message as "[code] message" and
 * this restores a StationApiError on the renderer side.
 */
export function toStationApiError(err: unknown): StationApiError {
  if (err instanceof StationApiError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const m = /\[([a-z0-9_.-]+)\] ([\s\S]*)$/i.exec(text);
  if (m?.[1] !== undefined && m[2] !== undefined) return new StationApiError({ code: m[1], message: m[2] });
  return new StationApiError({ code: 'internal', message: text });
}

function wrapBridge(bridge: StationApi): StationApi {
  const guard =
    <P, R>(fn: (p?: P) => Promise<R>) =>
    async (p?: P): Promise<R> => {
      try {
        return await fn(p);
      } catch (err) {
        throw toStationApiError(err);
      }
    };
  return {
    health: guard(bridge.health),
    listAgents: guard(bridge.listAgents),
    addAgent: guard(bridge.addAgent),
    removeAgent: guard(bridge.removeAgent),
    pairAgent: guard(bridge.pairAgent),
    captureNow: guard(bridge.captureNow),
    captureBracket: guard(bridge.captureBracket),
    syncAgent: guard(bridge.syncAgent),
    setAgentClock: guard(bridge.setAgentClock),
    agentLog: guard(bridge.agentLog),
    agentControl: guard(bridge.agentControl),
    forceMaster: guard(bridge.forceMaster),
    sensorSeries: guard(bridge.sensorSeries),
    sessionStatus: guard(bridge.sessionStatus),
    stopSession: guard(bridge.stopSession),
    startSession: guard(bridge.startSession),
    listCaptures: guard(bridge.listCaptures),
    setFrameKind: guard(bridge.setFrameKind),
    'exports.create': guard(bridge['exports.create']),
    'exports.list': guard(bridge['exports.list']),
    'exports.get': guard(bridge['exports.get']),
    'exports.cancel': guard(bridge['exports.cancel']),
    'exports.retry': guard(bridge['exports.retry']),
    'exports.nightProducts': guard(bridge['exports.nightProducts']),
    'exports.getSettings': guard(bridge['exports.getSettings']),
    'exports.setSettings': guard(bridge['exports.setSettings']),
    ...bindOrchestrationApi((m, p) => guard(bridge[m] as (p?: unknown) => Promise<unknown>)(p)),
    ...bindSettingsApi((m, p) => guard(bridge[m] as (p?: unknown) => Promise<unknown>)(p)),
    ...bindGalleryApi((m, p) => guard(bridge[m] as (p?: unknown) => Promise<unknown>)(p)),
    onEvent: (listener) => bridge.onEvent(listener),
    mediaUrl: (path) => bridge.mediaUrl(path),
  } satisfies StationApi;
}

export function connectStation(): Station {
  const bridge = window.skystation;
  if (bridge !== undefined) {
    return {
      api: wrapBridge(bridge),
      kind: 'ipc',
      connectionState: () => 'open',
      onConnectionChange: () => () => undefined,
    };
  }
  const ws = createWsTransport();
  return {
    api: ws,
    kind: 'websocket',
    connectionState: () => ws.state,
    onConnectionChange: (l) => ws.onConnectionChange(l),
  };
}
