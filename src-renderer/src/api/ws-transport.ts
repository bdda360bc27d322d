/**
 * The station API over a WebSocket, for when the UI is served to a browser by
 * the headless station. Messages follow src-main/api/contract.ts:
 *   -> {id, method, params}
 *   <- {id, ok: true, result} | {id, ok: false, error: {code, message, details?}}
 *   <- {event, data}
 */
import { z } from 'zod';
import {
  bindStationApi,
  StationApiError,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type StationApi,
  type StationEvent,
} from '@contract';
import { Backoff } from '../../../agent/src/util/backoff';

/** What arrives from the server; results are trusted to match the contract's phantom types. */
const Incoming = z.union([
  z.object({ id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    id: z.number(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  }),
  z.object({ event: z.string(), data: z.unknown() }),
]);

/** The station's limit for one message (RPC_MAX_PAYLOAD in src-main/server/http-server.ts); larger closes with 1009. */
const MAX_MESSAGE_BYTES = 3 * 4_000_000 + 64 * 1024;

const tooLarge = (): StationApiError =>
  new StationApiError({
    code: 'too_large',
    message: 'This request is larger than the station accepts (about 12 MB); send less at once.',
  });

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface WsTransportOptions {
  /** Defaults to ws(s)://location.host/api/ws. */
  url?: string;
  /** How long a call may wait for the connection to open before it fails. */
  connectTimeoutMs?: number;
  /**
   * A cap on how long a sent call may wait for its answer; none by default.
   * A call lasts as long as the station works on it (a bracket of night
   * exposures takes minutes): while calls are waiting the transport checks
   * that the station still answers (heartbeatMs, heartbeatTimeoutMs) and fails
   * them only when it has stopped answering.
   */
  callTimeoutMs?: number;
  /** While calls wait: after this much silence the transport asks the station for a sign of life. */
  heartbeatMs?: number;
  /** ...and if nothing at all arrives within this much longer, the connection is dropped and the calls fail. */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff: first delay, doubled up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injected in unit tests. */
  WebSocketImpl?: typeof WebSocket;
}

export interface WsTransport extends StationApi {
  readonly state: ConnectionState;
  /** Called with 'open' on every (re)connect, so callers can refetch what they missed. */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: StationApiError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Waiter {
  resolve: () => void;
  reject: (err: StationApiError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function defaultWsUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/ws`;
}

export function createWsTransport(opts: WsTransportOptions = {}): WsTransport {
  const url = opts.url ?? defaultWsUrl();
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const callTimeoutMs = opts.callTimeoutMs;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 20_000;
  const minBackoffMs = opts.minBackoffMs ?? 500;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  const WS = opts.WebSocketImpl ?? WebSocket;

  const pending = new Map<number, Pending>();
  const waiters = new Set<Waiter>();
  const eventListeners = new Set<(e: StationEvent) => void>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'closed';
  let nextId = 1;
  const backoff = new Backoff(minBackoffMs, maxBackoffMs);
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closedByUser = false;
  /** When the current socket last delivered anything (answers, events, heartbeat replies). */
  let lastHeardAt = 0;
  let watchTimer: ReturnType<typeof setInterval> | null = null;

  const setState = (s: ConnectionState): void => {
    state = s;
    for (const l of stateListeners) l(s);
  };

  const failPending = (code: string, message: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(new StationApiError({ code, message }));
    }
  };

  const stopWatch = (): void => {
    if (watchTimer !== null) clearInterval(watchTimer);
    watchTimer = null;
  };

  /** Drops a socket that went silent (a sleeping laptop, a pulled cable: no 'close' comes for minutes). */
  const dropSilentSocket = (): void => {
    const ws = socket;
    stopWatch();
    if (ws === null) return;
    socket = null;
    try {
      ws.close();
    } catch {
      // Already closing.
    }
    failPending(
      'disconnected',
      'The station stopped answering, so the result of this action is unknown; check the station, then look at the camera or the gallery before trying again.',
    );
    setState('closed');
    scheduleReconnect();
  };

  /** Runs while calls wait: a long call is fine as long as the station keeps answering. */
  const watchLiveness = (): void => {
    const ws = socket;
    if (pending.size === 0 || ws === null) {
      stopWatch();
      return;
    }
    const silentMs = Date.now() - lastHeardAt;
    if (silentMs >= heartbeatMs + heartbeatTimeoutMs) {
      dropSilentSocket();
      return;
    }
    if (silentMs >= heartbeatMs) {
      // Its answer lands in onMessage, which notes the time; no pending entry is needed.
      ws.send(JSON.stringify({ id: nextId++, method: 'health', params: {} }));
    }
  };

  const startWatch = (): void => {
    if (watchTimer !== null) return;
    watchTimer = setInterval(watchLiveness, Math.max(50, Math.min(heartbeatMs, heartbeatTimeoutMs) / 2));
  };

  const onMessage = (raw: unknown): void => {
    lastHeardAt = Date.now();
    if (typeof raw !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return;
    }
    const msg = Incoming.safeParse(json);
    if (!msg.success) return;
    const m = msg.data;
    if ('event' in m) {
      // The server only pushes StationEvents; the envelope was checked above.
      const event = m as StationEvent;
      for (const l of eventListeners) l(event);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new StationApiError(m.error));
  };

  const scheduleReconnect = (): void => {
    if (closedByUser || reconnectTimer !== null) return;
    const delay = backoff.next();
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  };

  function connect(): void {
    if (closedByUser) return;
    setState('connecting');
    let ws: WebSocket;
    try {
      ws = new WS(url);
    } catch {
      setState('closed');
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      backoff.reset();
      lastHeardAt = Date.now();
      setState('open');
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.resolve();
      }
      waiters.clear();
    });
    ws.addEventListener('message', (e: MessageEvent) => onMessage(e.data));
    ws.addEventListener('close', (e: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      stopWatch();
      // 1009: the station refused a message as too big (and closed); say so instead of "lost".
      if (e.code === 1009) failPending(tooLarge().code, tooLarge().message);
      else
        failPending(
          'disconnected',
          'The connection to the station was lost; check that Skystation is still running and try again.',
        );
      setState('closed');
      scheduleReconnect();
    });
    // 'error' is always followed by 'close'; nothing to do here.
  }

  const whenOpen = (): Promise<void> => {
    if (state === 'open') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new StationApiError({
              code: 'not_connected',
              message: 'Cannot reach the station; check that Skystation is running, then try again.',
            }),
          );
        }, connectTimeoutMs),
      };
      waiters.add(waiter);
    });
  };

  async function call<M extends MethodName>(method: M, params: ParamsOf<M> | undefined): Promise<ResultOf<M>> {
    await whenOpen();
    const ws = socket;
    if (ws === null) {
      throw new StationApiError({ code: 'not_connected', message: 'Cannot reach the station; try again in a moment.' });
    }
    const id = nextId++;
    const text = JSON.stringify({ id, method, params: params ?? {} });
    // Refuse here what the station would refuse by closing the socket (every other call would fail with it).
    if (text.length * 3 > MAX_MESSAGE_BYTES && new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
      throw tooLarge();
    }
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer =
        callTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              pending.delete(id);
              reject(
                new StationApiError({
                  code: 'timeout',
                  message: `The station did not answer "${method}" within ${Math.round(callTimeoutMs / 1000)} s.`,
                }),
              );
            }, callTimeoutMs);
      // The brain validates params and returns results of the contract's types.
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      if (pending.size === 1) lastHeardAt = Math.max(lastHeardAt, Date.now());
      startWatch();
      ws.send(text);
    });
  }

  connect();

  const api = {
    ...bindStationApi((method, params) => call(method, params as ParamsOf<typeof method>)),
    onEvent(listener) {
      eventListeners.add(listener);
      return () => {
        eventListeners.delete(listener);
      };
    },
    mediaUrl: (path) => `/media/${path.split('/').map(encodeURIComponent).join('/')}`,
  } satisfies StationApi;

  return {
    ...api,
    get state() {
      return state;
    },
    onConnectionChange(listener) {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    close() {
      closedByUser = true;
      stopWatch();
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new StationApiError({ code: 'closed', message: 'The connection to the station was closed.' }));
      }
      waiters.clear();
      failPending('closed', 'The connection to the station was closed.');
      socket?.close();
      socket = null;
      setState('closed');
    },
  };
}
