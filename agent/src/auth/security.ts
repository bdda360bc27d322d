/**
 * The agent's front door: who may call what.
 *
 * - Open without a token: GET/HEAD /health, GET /metrics, POST /pair.
 * - Everything else needs `Authorization: Bearer <token>` (WebSockets may use
 *   `?access_token=` because browsers cannot set headers there):
 *   401 auth_required without one, 401 auth_invalid with a wrong one.
 * - Mutating requests (any method but GET/HEAD/OPTIONS) need the master role
 *   (see ../session/sessions.ts): 403 not_master otherwise.
 * - Token administration (GET /pair/tokens, DELETE /pair/tokens/ID) needs the
 *   admin token: 403 admin_required.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PairRequest, type PairResponse, type SessionResponse } from '../protocol/index.js';
import { parseSessionId, SESSION_HEADER, SESSION_QUERY, type SessionManager } from '../session/sessions.js';
import { AgentError, NotFoundError, ValidationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Router } from '../http/router.js';
import { sendJson, validate } from '../http/router.js';
import { FailureLimiter, readPairingCode } from './pairing.js';
import { safeEqual, type Principal, type TokenStore } from './tokens.js';

export interface SecurityDeps {
  dataDir: string;
  agentId: string;
  agentName: string;
  tokens: TokenStore;
  sessions: SessionManager;
  log: Logger;
  tlsFingerprint: string | null;
  limiter?: FailureLimiter;
}

export interface Admission {
  principal: Principal;
  sessionId: string | null;
  /** Gives the connection slot back; call once when the socket closes. */
  release: () => void;
}

const PUBLIC_ROUTES = new Set(['GET /health', 'HEAD /health', 'GET /metrics', 'HEAD /metrics', 'POST /pair']);
/** Mutating requests every authenticated client may send, master or not. */
const ROLE_FREE = [/^POST \/pair$/, /^POST \/api\/force-master\/[^/]+$/];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return m ? m[1]! : '';
}

function remoteKey(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export class AgentSecurity {
  private readonly principals = new WeakMap<IncomingMessage, { principal: Principal; sessionId: string | null }>();
  private readonly limiter: FailureLimiter;

  constructor(private readonly deps: SecurityDeps) {
    this.limiter = deps.limiter ?? new FailureLimiter();
  }

  get sessions(): SessionManager {
    return this.deps.sessions;
  }

  /** Checks an HTTP request before routing; throws an AgentError (401/403) to refuse it. */
  authorizeRequest(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (PUBLIC_ROUTES.has(`${method} ${path}`)) return;
    const principal = this.authenticate(bearerToken(req), res);
    const raw = req.headers[SESSION_HEADER];
    const sessionId = parseSessionId(Array.isArray(raw) ? raw[0] : raw);
    this.principals.set(req, { principal, sessionId });
    const key = `${method} ${path}`;
    if (READ_METHODS.has(method) || ROLE_FREE.some((re) => re.test(key))) this.deps.sessions.touch(sessionId);
    else this.deps.sessions.requireMaster(sessionId);
  }

  /** Checks a WebSocket upgrade: token, session and a free connection slot. */
  admitUpgrade(req: IncomingMessage, url: URL): Admission {
    const fromQuery = url.searchParams.get('access_token');
    const token = bearerToken(req) ?? fromQuery;
    const principal = this.authenticate(token, null);
    const sessionId = parseSessionId(url.searchParams.get(SESSION_QUERY) ?? undefined);
    const release = this.deps.sessions.openConnection(sessionId);
    if (release === null) {
      throw new AgentError(
        'too_many_connections',
        `This camera already has ${this.deps.sessions.liveConnections()} live connections (the limit); close a preview or event stream and try again.`,
        { status: 503 },
      );
    }
    return { principal, sessionId, release };
  }

  /** Refuses malformed WebSocket handshakes with our JSON error (ws would answer in plain text). */
  static checkUpgradeHeaders(req: IncomingMessage): void {
    const key = req.headers['sec-websocket-key'];
    const version = req.headers['sec-websocket-version'];
    const upgrade = req.headers.upgrade;
    if (
      req.method !== 'GET' ||
      typeof upgrade !== 'string' ||
      upgrade.toLowerCase() !== 'websocket' ||
      typeof key !== 'string' ||
      !/^[+/0-9A-Za-z]{22}==$/.test(key) ||
      (version !== '13' && version !== '8')
    ) {
      throw new ValidationError(
        'The WebSocket handshake is malformed (needs GET, Upgrade: websocket, a valid Sec-WebSocket-Key and version 13).',
        undefined,
        'bad_upgrade',
      );
    }
  }

  /** Answers a request Node's HTTP parser refused with a JSON 400 (or 431 for huge headers). */
  static clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    AgentSecurity.rejectUpgrade(
      socket,
      tooLarge
        ? new AgentError('headers_too_large', 'The request headers are too large.', { status: 431 })
        : timedOut
          ? new AgentError('request_timeout', 'The request took too long to arrive.', { status: 408 })
          : new ValidationError('The request is not valid HTTP/1.1.', undefined, 'bad_http'),
    );
  }

  /** Writes a JSON error as the raw HTTP answer to a refused upgrade. */
  static rejectUpgrade(socket: Duplex, err: AgentError): void {
    const body = JSON.stringify({
      status: 'error',
      error: { code: err.code, message: err.message, ...(err.field === undefined ? {} : { field: err.field }) },
    });
    const reason =
      (
        {
          400: 'Bad Request',
          401: 'Unauthorized',
          404: 'Not Found',
          408: 'Request Timeout',
          409: 'Conflict',
          431: 'Request Header Fields Too Large',
          503: 'Service Unavailable',
        } as Record<number, string>
      )[err.status] ?? 'Error';
    const extra = err.status === 401 ? 'www-authenticate: Bearer realm="skystation-agent"\r\n' : '';
    socket.end(
      `HTTP/1.1 ${err.status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  principalOf(req: IncomingMessage): { principal: Principal; sessionId: string | null } | undefined {
    return this.principals.get(req);
  }

  routes(router: Router): void {
    const d = this.deps;
    router
      .on('POST', '/pair', async (ctx) => {
        const key = remoteKey(ctx.req);
        const wait = this.limiter.retryAfterMs(key);
        if (wait > 0) {
          ctx.res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
          throw new AgentError(
            'too_many_attempts',
            `Too many wrong pairing codes from this address; try again in ${Math.ceil(wait / 1000)} s.`,
            { status: 429 },
          );
        }
        const body = validate(PairRequest, await ctx.json(), 'pairing request');
        const code = await readPairingCode(d.dataDir);
        if (code === null || !safeEqual(body.code, code)) {
          this.limiter.fail(key);
          d.log.warn({ event: 'pair.failed', remote: key }, 'wrong pairing code');
          throw new AgentError(
            'pairing_code_invalid',
            'The pairing code is wrong; run "skystation-agent pair" on the camera to see the current code.',
            { status: 401 },
          );
        }
        const { token, record } = await d.tokens.issue(body.station_id, body.station_name);
        d.log.info(
          { event: 'pair.ok', token_id: record.id, station_id: body.station_id, station_name: body.station_name },
          'station paired',
        );
        const reply: PairResponse = {
          token,
          agent_id: d.agentId,
          agent_name: d.agentName,
          tls_fingerprint: d.tlsFingerprint,
        };
        sendJson(ctx.res, 200, reply);
      })
      .on('GET', '/pair/tokens', ({ req, res }) => {
        this.requireAdmin(req);
        sendJson(res, 200, {
          tokens: d.tokens.list().map((t) => ({
            id: t.id,
            station_id: t.station_id,
            station_name: t.station_name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
          })),
        });
      })
      .on('DELETE', '/pair/tokens/:token_id', async ({ req, res, params }) => {
        this.requireAdmin(req);
        const id = params['token_id'] ?? '';
        if (!/^tok_[a-f0-9]{12}$/.test(id))
          throw new ValidationError('token_id: must look like tok_0123456789ab', 'token_id');
        if (!(await d.tokens.revoke(id))) throw new NotFoundError(`No token ${id} on this agent.`, 'token_not_found');
        d.log.info({ event: 'token.revoked', token_id: id }, 'token revoked');
        sendJson(res, 200, { revoked: id });
      })
      .on('GET', '/api/session', ({ req, res }) => {
        const body: SessionResponse = d.sessions.view(this.principals.get(req)?.sessionId ?? null);
        sendJson(res, 200, body);
      })
      .on('POST', '/api/force-master/:session_id', ({ req, res, params }) => {
        const id = parseSessionId(params['session_id'] ?? '');
        if (id === null) throw new ValidationError('session_id: must not be empty', 'session_id', 'invalid_session');
        d.sessions.forceMaster(id);
        d.log.info({ event: 'session.force_master', session_id: id }, 'control transferred');
        const body: SessionResponse = d.sessions.view(this.principals.get(req)?.sessionId ?? id);
        sendJson(res, 200, body);
      });
  }

  private requireAdmin(req: IncomingMessage): void {
    if (this.principals.get(req)?.principal.kind !== 'admin') {
      throw new AgentError('admin_required', 'Only the agent admin token may manage tokens.', { status: 403 });
    }
  }

  private authenticate(token: string | null, res: ServerResponse | null): Principal {
    if (token === null || token === '') {
      res?.setHeader('www-authenticate', 'Bearer realm="skystation-agent"');
      throw new AgentError(
        token === null ? 'auth_required' : 'auth_invalid',
        token === null
          ? 'This camera needs an access token: pair the station with the code from "skystation-agent pair".'
          : 'The Authorization header must be "Bearer <token>".',
        { status: 401 },
      );
    }
    const principal = token.length > 512 ? null : this.deps.tokens.verify(token);
    if (principal === null) {
      res?.setHeader('www-authenticate', 'Bearer realm="skystation-agent", error="invalid_token"');
      throw new AgentError('auth_invalid', 'The access token is not valid here (revoked, or for another camera).', {
        status: 401,
      });
    }
    return principal;
  }
}
