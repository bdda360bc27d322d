import { createRequire } from 'node:module';
import type * as WsModule from 'ws';
import type { ServerOptions, WebSocketServer } from 'ws';

let wsModule: typeof WsModule | null = null;

/**
 * A WebSocket server made on first use: `ws` is loaded only when someone
 * opens the event stream or the live preview, so an agent nobody watches does
 * not carry it (about 1.5 MB of an idle agent's memory). Synchronous, because
 * an upgrade is handed over within the request's own turn.
 */
export class LazyWebSocketServer {
  private wss: WebSocketServer | null = null;

  constructor(private readonly options: ServerOptions) {}

  /** The server, made now if it was not yet. */
  get(): WebSocketServer {
    wsModule ??= createRequire(import.meta.url)('ws') as typeof WsModule;
    this.wss ??= new wsModule.WebSocketServer(this.options);
    return this.wss;
  }

  /** The server if one was made (for closing and broadcasting: nothing to do otherwise). */
  get made(): WebSocketServer | null {
    return this.wss;
  }
}
