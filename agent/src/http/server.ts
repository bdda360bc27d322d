import { createReadStream } from 'node:fs';
import { stat, statfs } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { AgentSecurity, type Admission } from '../auth/security.js';
import type { CameraDriver } from '../camera/driver.js';
import type { CaptureService } from '../capture-service.js';
import { capabilityTags } from '../mdns.js';
import type { Journal } from '../db/journal.js';
import type { AgentOps } from '../ops/index.js';
import type { PreviewHub } from '../preview/hub.js';
import type { DeploymentStore } from '../profile/deployment-store.js';
import {
  AckRequest,
  AGENT_API_VERSION,
  AGENT_FEATURES,
  AutoCaptureRequest,
  CaptureFileQuery,
  SensorReadingsQuery,
  type SensorReadingsResponse,
  CaptureListQuery,
  DeployedCaptureRequest,
  DeploymentBundle,
  ExplicitCaptureRequest,
  SHA256_HEADER,
  type AgentEvent,
  type CaptureListResponse,
  type CaptureRequest,
  type HealthResponse,
  type MeterResponse,
  type StatusResponse,
} from '../protocol/index.js';
import type { Location } from '../sky/model.js';
import { CAPTURE_ID_PATTERN, type CapturesStore } from '../storage/captures-store.js';
import { mountOf } from '../ops/storage-guard.js';
import { cutOffBody } from '../util/cut-off.js';
import { AgentError, NotFoundError, ValidationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { notFound, readBody, Router, sendError, sendJson, validate } from './router.js';
import { LazyWebSocketServer } from '../util/ws.js';

export const BODY_LIMIT_BYTES = 64 * 1024;
/** Arrays and objects nested deeper than this in a request body are refused (400 json_too_deep). */
export const JSON_MAX_DEPTH = 32;
/** POST /capture requests that may wait behind the running one; beyond that 503 camera_busy. */
export const MAX_WAITING_CAPTURES = 4;
/** 503s that shed load on purpose: answered, not logged as errors (a flood would fill the log). */
const SHED_LOAD = new Set(['camera_busy', 'too_many_sessions', 'too_many_connections']);

/**
 * How deeply a JSON text nests arrays and objects, counted without parsing
 * (strings skipped), stopping as soon as it passes `limit`.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses a request body: empty is {}, too deep or not JSON is a 400 (never a RangeError and a 500). */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  if (jsonDepthExceeds(text, JSON_MAX_DEPTH)) {
    throw new ValidationError(
      `The request body nests arrays or objects more than ${JSON_MAX_DEPTH} levels deep.`,
      undefined,
      'json_too_deep',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('The request body is not valid JSON.', undefined, 'invalid_json');
  }
}

export interface ServerDeps {
  id: string;
  name: string;
  version: string;
  dataDir: string;
  location: Location;
  camera: CameraDriver;
  captures: CaptureService;
  journal: Journal;
  store: CapturesStore;
  deployments: DeploymentStore;
  log: Logger;
  now: () => Date;
  startedAt: number;
  /** Sensors, metrics, system info, disk guard (agent/src/ops); /metrics and the extra /status fields. */
  ops?: AgentOps;
  /** Tokens, roles and connection slots (agent/src/auth/security.ts). */
  security: AgentSecurity;
  /** Live preview (WS /preview); null when the camera has none. */
  preview: PreviewHub | null;
  /** Extra route modules (plan, clock, CinePi, ObsCam), each mounting its routes on the router. */
  routeModules?: readonly ((router: Router) => void)[];
  /** Serve HTTPS/WSS with this certificate (--tls). */
  tls?: { cert: string; key: string } | null;
}

/** Chooses the request shape by its keys, so a malformed body gets the error of the shape it meant. */
export function parseCaptureRequest(body: unknown): CaptureRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('The capture request must be a JSON object.');
  }
  if ('use_deployed_profile' in body) return validate(DeployedCaptureRequest, body, 'capture request');
  if ('auto' in body) return validate(AutoCaptureRequest, body, 'capture request');
  // Seed 002's mode 2 flow also writes a deployed-profile capture as just {schedule: "sunrise"}.
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'schedule') {
    const { schedule } = body as { schedule: unknown };
    return validate(DeployedCaptureRequest, { use_deployed_profile: true, schedule_type: schedule }, 'capture request');
  }
  return validate(ExplicitCaptureRequest, body, 'capture request');
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return 'unsatisfiable';
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export class AgentHttpServer {
  readonly server: Server;
  private readonly wss = new LazyWebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly router = new Router();
  /** The data folder's mount point and filesystem type, read from /proc once. */
  private dataMount: { mount_point: string | null; filesystem: string | null } | undefined;

  constructor(private readonly deps: ServerDeps) {
    this.routes();
    deps.security.routes(this.router);
    for (const mount of deps.routeModules ?? []) mount(this.router);
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      void this.handle(req, res);
    };
    this.server = deps.tls
      ? createHttpsServer({ cert: deps.tls.cert, key: deps.tls.key }, onRequest)
      : createServer(onRequest);
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.requestTimeout = 10 * 60_000;
    // Requests Node's parser refuses (unknown method, huge headers) still get our JSON error shape.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
      AgentSecurity.clientError(err, socket),
    );
  }

  /** Sends an event to every connected /events client. */
  broadcast(event: AgentEvent): void {
    const text = JSON.stringify(event);
    for (const client of this.wss.made?.clients ?? []) {
      if (client.readyState === client.OPEN) client.send(text);
    }
  }

  async close(): Promise<void> {
    this.deps.security.stop();
    for (const client of this.wss.made?.clients ?? []) client.terminate();
    this.wss.made?.close();
    // Upgraded sockets keep server.close() waiting: end the preview viewers first.
    await this.deps.preview?.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    let url: URL;
    let admission: Admission;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
      if (url.pathname !== '/events' && url.pathname !== '/preview') throw notFound(url.pathname);
      if (url.pathname === '/preview' && this.deps.preview === null) {
        throw new AgentError('preview_unavailable', 'This camera has no live preview.', { status: 409 });
      }
      AgentSecurity.checkUpgradeHeaders(req);
      admission = this.deps.security.admitUpgrade(req, url);
    } catch (err) {
      AgentSecurity.rejectUpgrade(
        socket,
        err instanceof AgentError ? err : new ValidationError('The WebSocket request is malformed.'),
      );
      return;
    }
    socket.once('close', admission.release);
    this.deps.security.track(admission.principal, socket);
    if (url.pathname === '/preview' && this.deps.preview) {
      this.deps.preview.accept(req, socket, head, url);
      return;
    }
    this.wss.get().handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const hello: AgentEvent = { type: 'hello', id: this.deps.id, time: this.deps.now().toISOString() };
      ws.send(JSON.stringify(hello));
      // A client's protocol error (bad frame, too big) ends its socket; it is the client's mistake, logged quietly.
      ws.on('error', (err) => this.deps.log.debug({ err }, 'events socket error'));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
    } catch {
      sendError(res, new ValidationError('The request URL is malformed.'));
      return;
    }
    try {
      this.deps.security.authorizeRequest(req, res, url);
      const match = this.router.match(req.method ?? 'GET', url.pathname);
      if (match === null) throw notFound(url.pathname);
      if (match === 'method_not_allowed') {
        throw new AgentError('method_not_allowed', `${req.method ?? ''} is not allowed on ${url.pathname}.`, {
          status: 405,
        });
      }
      await match.handler({
        req,
        res,
        url,
        params: match.params,
        json: async () => parseJsonBody(await readBody(req, BODY_LIMIT_BYTES)),
      });
    } catch (err) {
      if (err instanceof AgentError) {
        if (err.status >= 500 && !SHED_LOAD.has(err.code))
          this.deps.log.error({ err, path: url.pathname }, 'request failed');
        // A body too large to read is left unread: the answer goes out and the connection closes after it
        // (destroying the request at once reset the connection, and the client could lose the 413).
        if (err.status === 413 && !res.headersSent) cutOffBody(req, res);
        if (!res.headersSent) sendError(res, err);
        else res.destroy();
      } else {
        this.deps.log.error({ err, path: url.pathname }, 'unexpected error');
        if (!res.headersSent)
          sendError(res, new AgentError('internal', 'The agent hit an unexpected error; see its log.'));
        else res.destroy();
      }
    } finally {
      this.deps.log.debug(
        { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started },
        'http',
      );
    }
  }

  // eslint-disable-next-line max-lines-per-function -- the agent's route table, one short entry per endpoint: kept whole so the API reads in one place.
  private routes(): void {
    const d = this.deps;
    this.router
      .on('GET', '/health', ({ res }) => {
        const body: HealthResponse = {
          status: 'ok',
          id: d.id,
          name: d.name,
          version: d.version,
          api_version: AGENT_API_VERSION,
          features: [...AGENT_FEATURES],
          uptime_seconds: (Date.now() - d.startedAt) / 1000,
          time: d.now().toISOString(),
        };
        sendJson(res, 200, body);
      })
      .on('GET', '/status', async ({ res }) => {
        const fs = await statfs(d.dataDir);
        const total = fs.blocks * fs.bsize;
        const free = fs.bavail * fs.bsize;
        const usedPercent = total > 0 ? Math.round(((total - free) / total) * 1000) / 10 : 0;
        const state = d.camera.state();
        const bundle = d.deployments.get();
        const body: StatusResponse = {
          id: d.id,
          name: d.name,
          camera: {
            driver: d.camera.driver,
            model: d.camera.capabilities().model,
            state,
            ready: state === 'ready',
            capabilities: capabilityTags(d.camera.capabilities()),
          },
          camera_ready: state === 'ready',
          deployed_profile: bundle ? { profile_id: bundle.profile_id, version: bundle.version } : null,
          disk: {
            total_bytes: total,
            free_bytes: free,
            used_percent: usedPercent,
            path: d.dataDir,
            ...(this.dataMount ??= mountOf(d.dataDir)),
            checked_at: d.now().toISOString(),
          },
          disk_usage: usedPercent,
          captures: d.journal.counts(),
          location: { latitude: d.location.latitude, longitude: d.location.longitude },
          time: d.now().toISOString(),
          ...(d.ops ? await d.ops.statusFields() : {}),
        };
        sendJson(res, 200, body);
      })
      // Prometheus scrape: no auth (listed in auth/security.ts PUBLIC_ROUTES); the registry sets the content type.
      .on('GET', '/metrics', async ({ res }) => {
        if (!d.ops) throw notFound('/metrics');
        const text = await d.ops.metrics.metrics();
        res.writeHead(200, { 'content-type': d.ops.metrics.contentType, 'cache-control': 'no-store' });
        res.end(text);
      })
      .on('GET', '/meter', async ({ res }) => {
        const m = await d.captures.meter();
        const body: MeterResponse = {
          lux: m.lux,
          suggested_iso: m.iso,
          suggested_shutter: m.shutter,
          ev100: Math.round(m.ev100 * 100) / 100,
          ...(m.sunAltitudeDeg === undefined ? {} : { sun_altitude_deg: m.sunAltitudeDeg }),
          measured_at: d.now().toISOString(),
        };
        sendJson(res, 200, body);
      })
      .on('POST', '/capture', async (ctx) => {
        const request = parseCaptureRequest(await ctx.json());
        // A client that gives up while its capture waits for the camera takes it out of the queue.
        const gone = new AbortController();
        const onClose = (): void => {
          if (!ctx.res.writableFinished) gone.abort();
        };
        ctx.res.once('close', onClose);
        try {
          sendJson(
            ctx.res,
            200,
            await d.captures.capture(request, { signal: gone.signal, maxWaiting: MAX_WAITING_CAPTURES }),
          );
        } catch (err) {
          if (err instanceof AgentError && err.code === 'camera_busy') ctx.res.setHeader('retry-after', '2');
          throw err;
        } finally {
          ctx.res.off('close', onClose);
        }
      })
      .on('POST', '/profile/deploy', async (ctx) => {
        const bundle = validate(DeploymentBundle, await ctx.json(), 'deployment');
        await d.deployments.deploy(bundle);
        d.log.info(
          {
            event: 'profile.deployed',
            profile_id: bundle.profile_id,
            version: bundle.version,
            windows: bundle.plan?.windows.length ?? 0,
          },
          'profile deployed',
        );
        sendJson(ctx.res, 200, {
          status: 'deployed',
          profile_id: bundle.profile_id,
          version: bundle.version,
          plan_windows: bundle.plan?.windows.length ?? 0,
        });
      })
      .on('GET', '/captures', ({ res, url }) => {
        const query = validate(CaptureListQuery, Object.fromEntries(url.searchParams), 'query');
        const { items, more } = d.journal.list(query.after, query.limit, query.unsynced === 'true');
        const body: CaptureListResponse = {
          items,
          next_after: more && items.length > 0 ? items[items.length - 1]!.seq : null,
        };
        sendJson(res, 200, body);
      })
      .on('POST', '/captures/ack', async (ctx) => {
        const ack = validate(AckRequest, await ctx.json(), 'acknowledgement');
        const at = d.now().toISOString();
        const unknown: string[] = [];
        let acknowledged = 0;
        for (const c of ack.captures) {
          if (d.journal.ack(c.capture_id, c.sha256, at)) acknowledged++;
          else unknown.push(c.capture_id);
        }
        d.log.info({ event: 'captures.acked', acknowledged, unknown: unknown.length }, 'captures acknowledged');
        sendJson(ctx.res, 200, { acknowledged, unknown });
      })
      .on('GET', '/sensors/readings', ({ res, url }) => {
        const q = validate(SensorReadingsQuery, Object.fromEntries(url.searchParams), 'query');
        const items = d.journal.sensorReadingsAfter(q.after, q.limit + 1);
        const more = items.length > q.limit;
        const page = more ? items.slice(0, q.limit) : items;
        const body: SensorReadingsResponse = {
          items: page,
          next_after: more ? page[page.length - 1]!.id : null,
        };
        sendJson(res, 200, body);
      })
      .on('GET', '/captures/:capture_id/file', async ({ req, res, params, url }) => {
        const id = params['capture_id'] ?? '';
        if (!CAPTURE_ID_PATTERN.test(id))
          throw new ValidationError('capture_id: must use letters, digits, _ . and -', 'capture_id');
        const query = validate(CaptureFileQuery, Object.fromEntries(url.searchParams), 'query');
        const record = d.journal.get(id);
        if (!record) throw new NotFoundError(`No capture ${id} on this agent.`, 'capture_not_found');
        // ?extra=.fits: an original kept beside the JPEG, named like it; only suffixes the journal recorded.
        const extra = query.extra === undefined ? null : record.extra_files?.find((f) => f.suffix === query.extra);
        if (extra === undefined) {
          throw new NotFoundError(`Capture ${id} has no ${query.extra ?? ''} file.`, 'capture_extra_not_found');
        }
        const path = d.store.resolveInside(extra ? record.file_name.replace(/\.jpg$/, extra.suffix) : record.file_name);
        let size: number;
        try {
          size = (await stat(path)).size;
        } catch {
          if (!extra) d.journal.markMissing(id);
          throw new NotFoundError(`The file of capture ${id} is missing on the agent.`, 'capture_file_missing');
        }
        const range = parseRange(req.headers.range, size);
        if (range === 'unsatisfiable') {
          res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              status: 'error',
              error: {
                code: 'range_not_satisfiable',
                message: `Ranges must look like "bytes=N-" with N below ${size}.`,
              },
            }),
          );
          return;
        }
        const headers: Record<string, string | number> = {
          'content-type': extra ? 'application/octet-stream' : 'image/jpeg',
          'accept-ranges': 'bytes',
          [SHA256_HEADER]: extra ? extra.sha256 : record.sha256,
          'cache-control': 'no-store',
        };
        const start = range?.start ?? 0;
        const end = range?.end ?? size - 1;
        headers['content-length'] = end - start + 1;
        if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
        res.writeHead(range ? 206 : 200, headers);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        // pipeline() closes the file when the client hangs up (no descriptor left behind); a client that
        // goes away mid-file is ordinary (the station resumes with a Range), not an agent error.
        try {
          await pipeline(createReadStream(path, { start, end }), res);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
            d.log.debug({ event: 'file.aborted', capture_id: id }, 'the client left during a capture download');
          else
            d.log.warn(
              { event: 'file.read_failed', capture_id: id, err },
              'reading a capture file failed mid-download',
            );
          res.destroy();
        }
      });
  }
}
