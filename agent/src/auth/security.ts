/**
 * The agent's front door: who may call what.
 *
 * - Open without a token: GET/HEAD /health, GET /metrics, POST /pair.
 * - Everything else needs `Authorization: Bearer <token>` (WebSockets may use
 *   `?access_token=` because browsers cannot set headers there):
 *   401 auth_required without one, 401 auth_invalid with a wrong one.
 * - A request without a session id comes from the token's holder itself (the
 *   paired station, or the admin): it owns the agent and may always act.
 * - Requests with a session id are interactive viewers: their mutating
 *   requests (any method but GET/HEAD/OPTIONS) need the master role (see
 *   ../session/sessions.ts): 403 not_master otherwise.
 * - POST /pair counts every attempt before evaluating it, per address and for
 *   the whole agent (./pairing.ts); a code lasts 10 minutes and one pairing.
 * - Revoking a token (HTTP or the CLI) also closes its open WebSockets.
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
import { statSync } from 'node:fs';
import { FailureLimiter, loadOrCreatePairingCode, pairingCodeTtlMs, pairingFile, readPairingState } from './pairing.js';
import { safeEqual, type Principal, type TokenStore } from './tokens.js';

export interface SecurityDeps {
  dataDir: string;
  agentId: string;
  agentName: string;
  tokens: TokenStore;
  sessions: SessionManager;
  log: Logger;
  tlsFingerprint: string | null;
  /** Wrong pairing codes per remote address (default 5 a minute). */
  limiter?: FailureLimiter;
  /** Pairing attempts on this agent from all addresses together (default 20 in 10 minutes). */
  agentLimiter?: FailureLimiter;
  /** How often open WebSockets are checked against revocations made with the CLI (default 1 s). */
  revocationCheckMs?: number;
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

const AGENT_KEY = 'agent';

export class AgentSecurity {
  private readonly principals = new WeakMap<IncomingMessage, { principal: Principal; sessionId: string | null }>();
  private readonly limiter: FailureLimiter;
  private readonly agentLimiter: FailureLimiter;
  /** Open WebSockets by the station token that opened them (the admin token cannot be revoked). */
  private readonly sockets = new Map<string, Set<Duplex>>();
  private revocationTimer: NodeJS.Timeout | null = null;
  /** Serialises pairing: one attempt is evaluated (and a code used) at a time. */
  private pairing: Promise<unknown> = Promise.resolve();
  /** When the current pairing code was written: the agent-wide attempt count starts there. */
  private codeWrittenAt = 0;

  constructor(private readonly deps: SecurityDeps) {
    this.limiter = deps.limiter ?? new FailureLimiter();
    this.agentLimiter = deps.agentLimiter ?? new FailureLimiter(20, 10 * 60_000);
  }

  /**
   * Keeps an upgraded socket with its token so revocation can close it; the
   * entry goes when the socket closes.
   */
  track(principal: Principal, socket: Duplex): void {
    if (principal.kind !== 'station') return;
    const id = principal.tokenId;
    let set = this.sockets.get(id);
    if (!set) {
      set = new Set();
      this.sockets.set(id, set);
    }
    set.add(socket);
    socket.once('close', () => {
      set.delete(socket);
      if (set.size === 0 && this.sockets.get(id) === set) this.sockets.delete(id);
      if (this.sockets.size === 0) this.stopRevocationChecks();
    });
    // Revocations made with the CLI only change the file: look at it while sockets are open.
    this.revocationTimer ??= setInterval(() => this.closeRevoked(), this.deps.revocationCheckMs ?? 1000);
    this.revocationTimer.unref();
  }

  /** Closes the WebSockets of tokens that no longer exist. */
  closeRevoked(): void {
    if (this.sockets.size === 0) return;
    let live: Set<string>;
    try {
      live = new Set(this.deps.tokens.list().map((t) => t.id));
    } catch (err) {
      this.deps.log.warn({ err }, 'cannot read the token file; open connections are kept');
      return;
    }
    for (const id of [...this.sockets.keys()]) if (!live.has(id)) this.closeSocketsOf(id);
  }

  stop(): void {
    this.stopRevocationChecks();
  }

  private stopRevocationChecks(): void {
    if (this.revocationTimer) clearInterval(this.revocationTimer);
    this.revocationTimer = null;
  }

  private closeSocketsOf(tokenId: string): void {
    const set = this.sockets.get(tokenId);
    if (!set) return;
    this.sockets.delete(tokenId);
    for (const socket of set) socket.destroy();
    this.deps.log.info(
      { event: 'token.connections_closed', token_id: tokenId, count: set.size },
      'closed the connections of a revoked token',
    );
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
    // No session id: the token's holder itself (the station, the admin) owns the agent; roles are for viewers.
    if (sessionId === null) return;
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
        this.countFromCurrentCode();
        const key = remoteKey(ctx.req);
        const own = this.limiter.retryAfterMs(key);
        const all = this.agentLimiter.retryAfterMs(AGENT_KEY);
        if (own > 0 || all > 0) {
          const s = Math.ceil(Math.max(own, all) / 1000);
          ctx.res.setHeader('retry-after', String(s));
          throw new AgentError(
            'too_many_attempts',
            own > 0
              ? `Too many wrong pairing codes from this address; try again in ${s} s.`
              : `Too many pairing attempts on this camera; try again in ${s} s (or run "skystation-agent pair --new" on the camera for a fresh code).`,
            { status: 429 },
          );
        }
        // Counted now, before anything is awaited: concurrent guesses all count.
        const takeBack = [this.limiter.record(key), this.agentLimiter.record(AGENT_KEY)];
        const body = validate(PairRequest, await ctx.json(), 'pairing request');
        const run = this.pairing.then(async () => {
          const state = await readPairingState(d.dataDir);
          if (state === null || !safeEqual(body.code, state.code)) {
            d.log.warn({ event: 'pair.failed', remote: key }, 'wrong pairing code');
            throw new AgentError(
              'pairing_code_invalid',
              'The pairing code is wrong; run "skystation-agent pair" on the camera to see the current code.',
              { status: 401 },
            );
          }
          if (state.expiresAt <= Date.now()) {
            d.log.warn({ event: 'pair.expired', remote: key }, 'expired pairing code');
            throw new AgentError(
              'pairing_code_expired',
              `The pairing code has expired (a code lasts ${Math.round(pairingCodeTtlMs() / 60_000)} minutes and one pairing); run "skystation-agent pair" on the camera for a new one.`,
              { status: 401 },
            );
          }
          const issued = await d.tokens.issue(body.station_id, body.station_name);
          // The code is used up: the next pairing needs the new one ("skystation-agent pair" shows it).
          await loadOrCreatePairingCode(d.dataDir, { renew: true });
          return issued;
        });
        this.pairing = run.catch(() => undefined);
        const { token, record } = await run;
        for (const undo of takeBack) undo();
        d.log.info(
          { event: 'pair.ok', token_id: record.id, station_id: body.station_id, station_name: body.station_name },
          'station paired; a new pairing code was made for the next one',
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
        this.closeSocketsOf(id);
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

  /**
   * Attempts against an earlier code do not count against a new one (`pair
   * --new`, or the code made after a pairing): a stat, synchronous, so no
   * attempt slips in between the check and the count.
   */
  private countFromCurrentCode(): void {
    let written: number;
    try {
      written = statSync(pairingFile(this.deps.dataDir)).mtimeMs;
    } catch {
      return;
    }
    if (written <= this.codeWrittenAt) return;
    this.codeWrittenAt = written;
    this.agentLimiter.forgetBefore(AGENT_KEY, written);
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
