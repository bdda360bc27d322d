/**
 * Roles (ObsCam, seed 004): one controlling client (the master) and observers.
 *
 * How a client is identified: by a session id it chooses (8–64 letters,
 * digits, _ and -, e.g. a UUID), sent as the `X-Skystation-Session` header on
 * HTTP and as `?session=` on WebSocket URLs. Every request still needs a token.
 *
 * Rules:
 * - The first session seen becomes master; later ones are observers.
 * - POST /api/force-master/SESSION_ID makes that session master (ObsCam's
 *   "force master"). It stays master until it expires or another session forces.
 * - Requests without a session id are the token's holder itself (the paired
 *   station or the admin): the agent's owner, never subject to roles; a
 *   forced master does not lock the station out of live captures or deploys.
 * - Observers may read and watch, but every mutating request gets 403 not_master.
 * - A session expires after 30 minutes without requests (injectable); a
 *   session with an open WebSocket does not expire. When the master expires,
 *   the longest-known live session becomes master.
 * - At most 5 live WebSocket connections (preview + events) in total; the
 *   6th upgrade gets HTTP 503 too_many_connections.
 * - At most 256 sessions are kept (injectable): a new one evicts the longest
 *   idle session that holds no connection and is not the master; when none
 *   can go, it gets 503 too_many_sessions.
 */
import { AgentError, ValidationError } from '../util/errors.js';

export const SESSION_HEADER = 'x-skystation-session';
export const SESSION_QUERY = 'session';
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_CONNECTIONS = 5;
export const DEFAULT_MAX_SESSIONS = 256;

export type Role = 'master' | 'observer';

interface Session {
  id: string;
  createdAt: number;
  lastSeen: number;
  sockets: number;
}

export interface SessionOptions {
  idleMs?: number;
  maxConnections?: number;
  maxSessions?: number;
  now?: () => number;
}

export interface SessionView {
  session_id: string | null;
  role: Role;
  master_session_id: string | null;
  forced: boolean;
  sessions: number;
  connections: number;
  max_connections: number;
}

export function parseSessionId(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (!SESSION_ID_PATTERN.test(raw)) {
    throw new ValidationError('The session id must be 8 to 64 letters, digits, _ or -.', 'session', 'invalid_session');
  }
  return raw;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private master: string | null = null;
  private forced = false;
  private connections = 0;
  private readonly idleMs: number;
  private readonly maxConnections: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxSessions = Math.max(1, opts.maxSessions ?? DEFAULT_MAX_SESSIONS);
    this.now = opts.now ?? Date.now;
  }

  /** Records activity of a session (null = the station without a session) and returns its role. */
  touch(sessionId: string | null): Role {
    this.expire();
    if (sessionId === null) return 'master';
    let s = this.sessions.get(sessionId);
    if (!s) {
      this.makeRoom();
      s = { id: sessionId, createdAt: this.now(), lastSeen: this.now(), sockets: 0 };
      this.sessions.set(sessionId, s);
    }
    s.lastSeen = this.now();
    if (this.master === null) this.master = sessionId;
    return this.master === sessionId ? 'master' : 'observer';
  }

  /** Throws 403 not_master unless the session may change things. */
  requireMaster(sessionId: string | null): void {
    if (this.touch(sessionId) === 'master') return;
    throw new AgentError(
      'not_master',
      this.master === null
        ? 'Another client has control of this camera; ask it to release control or force master.'
        : `Session ${this.master} has control of this camera; observers cannot change anything (POST /api/force-master/SESSION_ID takes control).`,
      { status: 403 },
    );
  }

  forceMaster(sessionId: string): void {
    this.touch(sessionId);
    this.master = sessionId;
    this.forced = true;
  }

  view(sessionId: string | null): SessionView {
    const role = this.touch(sessionId);
    return {
      session_id: sessionId,
      role,
      master_session_id: this.master,
      forced: this.forced,
      sessions: this.sessions.size,
      connections: this.connections,
      max_connections: this.maxConnections,
    };
  }

  /** Reserves one WebSocket slot; returns its release function, or null when all slots are taken. */
  openConnection(sessionId: string | null): (() => void) | null {
    this.expire();
    if (this.connections >= this.maxConnections) return null;
    // Registered first: a refused session (too_many_sessions) must not take a slot with it.
    if (sessionId !== null) this.touch(sessionId);
    this.connections++;
    if (sessionId !== null) {
      const s = this.sessions.get(sessionId);
      if (s) s.sockets++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.connections--;
      if (sessionId !== null) {
        const s = this.sessions.get(sessionId);
        if (s) {
          s.sockets = Math.max(0, s.sockets - 1);
          s.lastSeen = this.now();
        }
      }
    };
  }

  liveConnections(): number {
    return this.connections;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  /** Frees a place for a new session, or refuses it with 503 too_many_sessions. */
  private makeRoom(): void {
    if (this.sessions.size < this.maxSessions) return;
    let idlest: Session | null = null;
    for (const s of this.sessions.values()) {
      if (s.sockets > 0 || s.id === this.master) continue;
      if (!idlest || s.lastSeen < idlest.lastSeen) idlest = s;
    }
    if (idlest === null) {
      throw new AgentError(
        'too_many_sessions',
        `This camera already has ${this.sessions.size} client sessions (the limit); close a viewer and try again.`,
        { status: 503 },
      );
    }
    this.sessions.delete(idlest.id);
  }

  private expire(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, s] of this.sessions) {
      if (s.sockets === 0 && s.lastSeen <= cutoff) this.sessions.delete(id);
    }
    if (this.master !== null && !this.sessions.has(this.master)) {
      this.forced = false;
      let oldest: Session | null = null;
      for (const s of this.sessions.values()) if (!oldest || s.createdAt < oldest.createdAt) oldest = s;
      this.master = oldest?.id ?? null;
    }
  }
}
