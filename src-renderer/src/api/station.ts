/**
 * The one StationApi the UI uses. Inside Electron the preload exposes
 * `window.skystation` (IPC); in a browser served by the headless station there
 * is none, so we talk WebSocket to the same origin.
 */
import type { StationApi } from '@contract';
import { toStationApi } from './bridge-api';
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

export function connectStation(): Station {
  const bridge = window.skystation;
  if (bridge !== undefined) {
    return {
      api: toStationApi(bridge),
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
