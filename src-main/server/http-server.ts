import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { RequestMessage, type ResponseMessage } from '../api/contract.js';
import type { AuthGate } from '../auth/gate.js';
import type { Station } from '../brain/index.js';
import { handleSeedRoute } from '../orchestration/http-routes.js';
import { StationError } from '../util/errors.js';
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

export interface StationServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the UI, its WebSocket API (/api/ws), media (/media/...) and
 * /api/health, for the headless station and for browsers.
 */
export async function startHttpServer(
  station: Station,
  opts: { host: string; port: number; rendererDir: string; auth?: AuthGate | undefined },
): Promise<StationServer> {
  const server: Server = createServer((req, res) => {
    // Off loopback (or --require-login) every request needs a session except the login page.
    const gated = opts.auth ? opts.auth.intercept(req, res) : Promise.resolve(false);
    gated
      .then((answered) => (answered ? undefined : handle(station, opts.rendererDir, req, res)))
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
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/ws' || !sameOrigin(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    if (opts.auth && !opts.auth.allows(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveRpc(station, ws));
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
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
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
  const unsubscribe = station.onEvent((e) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e));
  });
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
    void station.dispatch(req.data.method, req.data.params).then((r) => {
      const reply: ResponseMessage = r.ok
        ? { id: req.data.id, ok: true, result: r.result }
        : { id: req.data.id, ok: false, error: r.error };
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
    });
  });
}

async function handle(station: Station, rendererDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  res.setHeader('x-content-type-options', 'nosniff');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { ok: false, error: { code: 'method_not_allowed', message: 'Use GET.' } });
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
    await sendFile(res, file, 'private, max-age=31536000, immutable');
    return;
  }
  if (path.startsWith('/api/')) {
    sendJson(res, 404, { ok: false, error: { code: 'not_found', message: `No API at ${path}.` } });
    return;
  }
  const rel = path === '/' ? 'index.html' : path.slice(1);
  const file = safeJoin(rendererDir, rel);
  if (file === null) {
    sendJson(res, 400, { ok: false, error: { code: 'bad_path', message: 'Bad path.' } });
    return;
  }
  const served = await sendFile(
    res,
    file,
    rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  );
  if (served === false) await sendFile(res, join(rendererDir, 'index.html'), 'no-cache');
}

async function sendFile(res: ServerResponse, file: string, cacheControl: string): Promise<boolean | undefined> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    if (file.endsWith('index.html')) {
      sendJson(res, 503, {
        ok: false,
        error: { code: 'ui_not_built', message: 'The UI is not built; run "npm run build" and start again.' },
      });
      return undefined;
    }
    if (extname(file) === '') return false;
    sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'Not found.' } });
    return undefined;
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
  await new Promise<void>((done, fail) => {
    createReadStream(file).on('error', fail).pipe(res).on('finish', done).on('error', fail);
  });
  return true;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
