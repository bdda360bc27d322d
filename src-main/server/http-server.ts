import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { RequestMessage, type ResponseMessage } from '../api/contract.js';
import type { AuthGate } from '../auth/gate.js';
import { isLoopbackHost } from '../auth/index.js';
import type { Station } from '../brain/index.js';
import { cutOffBody } from '../../agent/src/util/cut-off.js';
import { handleSeedRoute } from '../orchestration/http-routes.js';
import { PREVIEW_PATH_PREFIX } from '../preview/relay.js';
import { StationError, errorMessage } from '../util/errors.js';
import { wsText } from '../util/ws-text.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.mp4': 'video/mp4',
};

/**
 * The largest API message a client may send on /api/ws: a config import
 * (`importConfig`) carries up to 4,000,000 characters, which take at most 3
 * bytes each in UTF-8, plus the JSON envelope. A bigger message closes the
 * socket with 1009 (message too big).
 */
export const RPC_MAX_PAYLOAD = 3 * 4_000_000 + 64 * 1024;

/** The login form is the only request body the station reads (see auth/gate.ts). */
const LOGIN_BODY_LIMIT = 4096;

/** Resolve `rel` under `root`, or null when it would leave it. */
export function safeJoin(root: string, rel: string): string | null {
  const decoded = (() => {
    try {
      return decodeURIComponent(rel);
    } catch {
      return null;
    }
  })();
  if (decoded === null || decoded.includes('\0')) return null;
  const full = normalize(join(root, decoded));
  const base = resolve(root);
  return full === base || full.startsWith(base + sep) ? full : null;
}

/**
 * The path of a request target ("/a/b?x" → "/a/b"), or null when it is not
 * an origin-form path or has an empty segment ("//", "/a//b").
 */
export function requestPath(url: string | undefined): string | null {
  if (url === undefined || !url.startsWith('/')) return null;
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return path.includes('//') ? null : path;
}

/** The host names a Host header may carry: loopback names, the bound address and the operator's names. */
export function allowedHostNames(bindHost: string, extra: readonly string[] = []): Set<string> {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1']);
  const add = (n: string): void => {
    const v = normaliseHostName(n);
    if (v !== '') names.add(v);
  };
  add(bindHost);
  for (const n of extra) add(n);
  // Bound to every interface: the station is reached by this computer's own addresses.
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '[::]') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) add(a.address);
  }
  // Off loopback, also by this computer's own name (a rebinding page cannot send it: its Host is its own name).
  if (!isLoopbackHost(bindHost)) {
    const h = hostname();
    add(h);
    if (!h.includes('.')) add(`${h}.local`);
  }
  return names;
}

function normaliseHostName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.startsWith('[') && n.endsWith(']')) n = n.slice(1, -1);
  return n.replace(/\.$/, '');
}

/**
 * True when a Host header names this station (DNS rebinding: a page on
 * attacker.example that resolves to 127.0.0.1 still sends its own name).
 */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined || header === '') return false;
  let name: string;
  if (header.startsWith('[')) {
    const close = header.indexOf(']');
    if (close < 0) return false;
    const rest = header.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
    name = header.slice(1, close);
  } else {
    const m = /^([^:]+)(?::\d{1,5})?$/.exec(header);
    if (!m) return false;
    name = m[1]!;
  }
  return allowed.has(normaliseHostName(name));
}

/**
 * One WebSocket endpoint. The upgrade handler checks Host, Origin and login
 * for every route alike, then hands the socket (with an error handler
 * attached) to `connect`.
 */
export interface WsRoute {
  /** True for the request paths (without query) this route serves. */
  match(path: string): boolean;
  /** The largest message a client may send; a bigger one closes the socket with 1009. */
  maxPayload: number;
  connect(ws: WebSocket, req: IncomingMessage, path: string): void;
}

export interface StationServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  rendererDir: string;
  auth?: AuthGate | undefined;
  /** Further names the station may be reached by (a DNS name, a reverse proxy's name). */
  allowedHosts?: readonly string[] | undefined;
}

/**
 * Serves the UI, its WebSocket API (/api/ws), media (/media/...) and
 * /api/health, for the headless station and for browsers.
 */
export async function startHttpServer(station: Station, opts: HttpServerOptions): Promise<StationServer> {
  const allowed = allowedHostNames(opts.host, opts.allowedHosts);
  const server: Server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    if (!hostAllowed(req.headers.host, allowed)) {
      refuse(res, 403, 'host_not_allowed', hostMessage(req.headers.host));
      return;
    }
    const path = requestPath(req.url);
    if (path === null) {
      refuse(res, 400, 'bad_path', 'The request target must be a path starting with "/", without empty segments.');
      return;
    }
    const limit = opts.auth && req.method === 'POST' && path === '/api/login' ? LOGIN_BODY_LIMIT : 0;
    if (bodyTooLarge(req, limit)) {
      refuse(
        res,
        413,
        'payload_too_large',
        limit === 0 ? 'This request takes no body.' : `The request body is larger than ${limit} bytes.`,
      );
      return;
    }
    // Off loopback (or --require-login) every request needs a session except the login page.
    const gated = opts.auth ? opts.auth.intercept(req, res) : Promise.resolve(false);
    gated
      .then((answered) => (answered ? undefined : handle(station, opts.rendererDir, path, req, res)))
      .catch((err: unknown) => {
        station.log.error({ err, url: req.url }, 'http request failed');
        if (!res.headersSent)
          sendJson(res, 500, {
            ok: false,
            error: { code: 'internal', message: 'Internal error; see the station log.' },
          });
        else res.destroy();
      });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed requests: a plain 400 (or 431 for huge headers), never a crash.
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      ok: false,
      error: { code: status === 431 ? 'headers_too_large' : 'bad_request', message: 'Malformed HTTP request.' },
    });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  // CONNECT (proxy tunnels) is not something the station does: answer instead of dropping the socket.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    refuseUpgrade(socket, 405, 'method_not_allowed', 'Use GET.');
  });

  // WebSocket endpoints: add a route here; Host, Origin, login and errors are handled for all of them.
  const wsRoutes: WsRoute[] = [
    { match: (p) => p === '/api/ws', maxPayload: RPC_MAX_PAYLOAD, connect: (ws) => serveRpc(station, ws) },
    // Live preview (issue 14): frames from the relay; viewers send only small JSON acks.
    {
      match: (p) => p.startsWith(PREVIEW_PATH_PREFIX),
      maxPayload: 4096,
      connect: (ws, req) => station.preview.serveViewer(ws, req.url ?? '/'),
    },
  ];
  const wsServers = new Map<WsRoute, WebSocketServer>();
  const wssFor = (route: WsRoute): WebSocketServer => {
    let wss = wsServers.get(route);
    if (!wss) {
      wss = new WebSocketServer({ noServer: true, maxPayload: route.maxPayload });
      wss.on('error', (err) => station.log.warn({ err }, 'websocket server error'));
      wsServers.set(route, wss);
    }
    return wss;
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => station.log.debug({ err: errorMessage(err) }, 'websocket upgrade socket error'));
    const path = requestPath(req.url);
    if (!hostAllowed(req.headers.host, allowed)) {
      refuseUpgrade(socket, 403, 'host_not_allowed', hostMessage(req.headers.host));
      return;
    }
    const route = path === null ? undefined : wsRoutes.find((r) => r.match(path));
    if (path === null || route === undefined) {
      refuseUpgrade(socket, 404, 'not_found', 'There is no WebSocket at this path.');
      return;
    }
    if (!sameOrigin(req)) {
      refuseUpgrade(socket, 403, 'forbidden_origin', 'WebSocket connections are only accepted from the station page.');
      return;
    }
    if (opts.auth && !opts.auth.allows(req)) {
      refuseUpgrade(socket, 401, 'login_required', 'Log in to the station first.');
      return;
    }
    try {
      wssFor(route).handleUpgrade(req, socket, head, (ws) => {
        // Malformed frames, oversized messages (1009) and resets end this socket only.
        ws.on('error', (err) => station.log.debug({ err: errorMessage(err), path }, 'websocket closed on error'));
        route.connect(ws, req, path);
      });
    } catch (err) {
      station.log.warn({ err, path }, 'websocket upgrade failed');
      socket.destroy();
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StationError(
              'port_in_use',
              `Port ${opts.port} on ${opts.host} is already in use; stop the other program or start Skystation with --port.`,
            )
          : err,
      );
    });
    server.listen(opts.port, opts.host, () => resolveListen());
  });
  server.on('error', (err) => station.log.error({ err }, 'http server error'));
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        for (const wss of wsServers.values()) {
          for (const c of wss.clients) c.terminate();
          wss.close();
        }
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function hostMessage(host: string | undefined): string {
  return `This station does not answer to the host name "${String(host ?? '').slice(0, 100)}"; open it by its address or localhost, or start it with --allowed-host NAME.`;
}

/** A declared or chunked body larger than `limit` bytes (chunked bodies only where a body is allowed). */
function bodyTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return true;
  return limit === 0 && req.headers['transfer-encoding'] !== undefined;
}

/** Answer an error and close the connection without reading the rest of the request's body. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  cutOffBody(res.req, res);
  sendJson(res, status, { ok: false, error: { code, message } });
}

const REASON: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
};

function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ ok: false, error: { code, message } });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${REASON[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  setTimeout(() => socket.destroy(), 500).unref();
}

/** Browsers send Origin on WebSocket upgrades; refuse pages from other sites (CSWSH). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // non-browser clients (CLI, tests)
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function serveRpc(station: Station, ws: WebSocket): void {
  const send = (value: unknown): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify(value), (err) => {
      if (err) station.log.debug({ err: errorMessage(err) }, 'websocket send failed');
    });
  };
  const unsubscribe = station.onEvent(send);
  ws.on('close', unsubscribe);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let msg: unknown;
    try {
      msg = JSON.parse(wsText(data));
    } catch {
      return;
    }
    const req = RequestMessage.safeParse(msg);
    if (!req.success) return;
    const { id, method, params } = req.data;
    station
      .dispatch(method, params)
      .catch((err: unknown) => {
        station.log.error({ err, method }, 'station method failed');
        return {
          ok: false as const,
          error: { code: 'internal', message: 'Something went wrong in the station; see the log.' },
        };
      })
      .then((r) => {
        const reply: ResponseMessage = r.ok ? { id, ok: true, result: r.result } : { id, ok: false, error: r.error };
        send(reply);
      })
      .catch((err: unknown) => station.log.error({ err, method }, 'station reply failed'));
  });
}

async function handle(
  station: Station,
  rendererDir: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(
      res,
      405,
      { ok: false, error: { code: 'method_not_allowed', message: 'Use GET.' } },
      { allow: 'GET, HEAD' },
    );
    return;
  }
  if (path === '/api/health') {
    const r = await station.dispatch('health', {});
    sendJson(res, r.ok ? 200 : 503, r);
    return;
  }
  if (await handleSeedRoute(station, path, res)) return;
  if (path === '/metrics') {
    const body = await station.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': station.metrics.registry.contentType });
    res.end(body);
    return;
  }
  if (path.startsWith('/media/')) {
    const file = safeJoin(station.mediaDir, path.slice('/media/'.length));
    if (file === null) {
      sendJson(res, 400, { ok: false, error: { code: 'bad_path', message: 'Bad media path.' } });
      return;
    }
    if (!(await sendFile(res, file, 'private, max-age=31536000, immutable'))) notFound(res);
    return;
  }
  if (path.startsWith('/api/')) {
    sendJson(res, 404, { ok: false, error: { code: 'not_found', message: `No API at ${path.slice(0, 200)}.` } });
    return;
  }
  const rel = path.replace(/^\/+/, '');
  const file = safeJoin(rendererDir, rel === '' ? 'index.html' : rel);
  if (file === null) {
    sendJson(res, 400, { ok: false, error: { code: 'bad_path', message: 'Bad path.' } });
    return;
  }
  const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  if (await sendFile(res, file, cache)) return;
  // Paths without an extension are the UI's own routes: they get the app; anything else is missing.
  if (rel !== '' && extname(file) !== '') {
    notFound(res);
    return;
  }
  if (await sendFile(res, join(rendererDir, 'index.html'), 'no-cache')) return;
  sendJson(res, 503, {
    ok: false,
    error: { code: 'ui_not_built', message: 'The UI is not built; run "npm run build" and start again.' },
  });
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'Not found.' } });
}

/** Stream a regular file; false (nothing sent) when there is none. A client that goes away releases the file. */
async function sendFile(res: ServerResponse, file: string, cacheControl: string): Promise<boolean> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    size = s.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': cacheControl,
  });
  if (res.req.method === 'HEAD') {
    res.end();
    return true;
  }
  try {
    await pipeline(createReadStream(file), res);
  } catch (err) {
    // The client went away (or the file vanished mid-way): pipeline has closed both ends.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') res.destroy();
  }
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
