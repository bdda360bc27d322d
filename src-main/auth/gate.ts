/**
 * Station login when the UI is served beyond this computer. Every HTTP request
 * and the WebSocket need a session cookie (HttpOnly, SameSite=Strict), except
 * the login page itself:
 *   GET  /login       a small login form (no script)
 *   POST /api/login   password (form or JSON) → Set-Cookie + 303 to /
 *   POST /api/logout  ends the session
 * Sessions live in memory (a restart logs everyone out) and expire after
 * `sessionTtlMs` (default 12 h). Failed logins are slowed down.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { cutOffBody } from '../../agent/src/util/cut-off.js';
import type { PasswordStore } from './password.js';

export const SESSION_COOKIE = 'skystation_session';
const LOGIN_BODY_LIMIT = 4096;

const LoginBody = z.strictObject({ password: z.string().min(1).max(1024), next: z.string().max(512).optional() });

export interface AuthGateOptions {
  passwords: PasswordStore;
  sessionTtlMs?: number;
  /** Mark the cookie Secure (when served over HTTPS by a proxy). */
  secureCookie?: boolean;
  now?: () => number;
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function loginPage(message: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark"><title>Skystation login</title>
<style>body{background:#07080b;color:#c9c3b8;font-family:system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0}
form{background:#0f1117;border:1px solid #242834;padding:1.5rem 2rem;border-radius:6px;display:grid;gap:.75rem;min-width:18rem}
h1{color:#d9822b;font-size:1.2rem;margin:0}input{background:#151821;color:inherit;border:1px solid #242834;padding:.45rem;border-radius:4px}
button{background:#7a4518;color:#fff;border:0;padding:.5rem;border-radius:4px}.error{color:#c0463a;margin:0}</style></head>
<body><form method="post" action="/api/login" data-testid="login-form"><h1>Skystation</h1>
<label>Station password <input type="password" name="password" autocomplete="current-password" autofocus required data-testid="login-password"></label>
${message ? `<p class="error" role="alert" data-testid="login-error">${escapeHtml(message)}</p>` : ''}
<button type="submit" data-testid="login-submit">Log in</button></form></body></html>`;
}

export class AuthGate {
  private readonly sessions = new Map<string, number>();
  private failures = 0;

  constructor(private readonly opts: AuthGateOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** True when the request carries a live session. */
  allows(req: IncomingMessage): boolean {
    const token = cookieValue(req, SESSION_COOKIE);
    if (token === null || token.length !== 43) return false;
    const now = this.now();
    for (const [t, expires] of this.sessions) {
      if (expires <= now) {
        this.sessions.delete(t);
        continue;
      }
      const a = Buffer.from(t);
      const b = Buffer.from(token);
      if (a.length === b.length && timingSafeEqual(a, b)) return true;
    }
    return false;
  }

  /**
   * Handles login/logout and refuses requests without a session. Returns true
   * when it answered the request, false when the request may go on.
   */
  async intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split(/[?#]/)[0]!;
    res.setHeader('x-content-type-options', 'nosniff');
    if (path === '/login' && (req.method === 'GET' || req.method === 'HEAD')) {
      this.html(res, 200, loginPage(null));
      return true;
    }
    if (path === '/api/login' && req.method === 'POST') {
      await this.login(req, res);
      return true;
    }
    if (path === '/api/logout' && req.method === 'POST') {
      const token = cookieValue(req, SESSION_COOKIE);
      if (token !== null && sameOrigin(req)) this.sessions.delete(token);
      res.writeHead(303, { location: '/login', 'set-cookie': this.cookie('', 0) });
      res.end();
      return true;
    }
    if (this.allows(req)) return false;
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (wantsHtml && (req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/api/')) {
      res.writeHead(303, { location: '/login', 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    this.json(res, 401, {
      ok: false,
      error: { code: 'login_required', message: 'Log in to the station first (POST /api/login or open /login).' },
    });
    return true;
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (!sameOrigin(req)) {
      this.json(res, 403, { ok: false, error: { code: 'forbidden', message: 'Log in from the station page.' } });
      return;
    }
    let body: unknown;
    try {
      const text = await readBody(req, LOGIN_BODY_LIMIT);
      body = isForm ? Object.fromEntries(new URLSearchParams(text)) : (JSON.parse(text) as unknown);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        // Stop reading: answer and close instead of taking in the rest of the body.
        cutOffBody(req, res);
        this.json(res, 413, {
          ok: false,
          error: { code: 'payload_too_large', message: `The login body is larger than ${LOGIN_BODY_LIMIT} bytes.` },
        });
        return;
      }
      body = null;
    }
    const parsed = LoginBody.safeParse(body);
    const ok = parsed.success && (await this.opts.passwords.verify(parsed.data.password));
    if (!ok) {
      this.failures++;
      // Slow down guessing: 250 ms per recent failure, at most 5 s.
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * this.failures)));
      if (isForm) this.html(res, 401, loginPage('Wrong password; try again.'));
      else this.json(res, 401, { ok: false, error: { code: 'login_failed', message: 'Wrong password; try again.' } });
      return;
    }
    this.failures = 0;
    const token = randomBytes(32).toString('base64url');
    const ttl = this.opts.sessionTtlMs ?? 12 * 3_600_000;
    this.sessions.set(token, this.now() + ttl);
    const cookie = this.cookie(token, Math.floor(ttl / 1000));
    if (isForm) {
      res.writeHead(303, { location: '/', 'set-cookie': cookie, 'cache-control': 'no-store' });
      res.end();
    } else {
      res.setHeader('set-cookie', cookie);
      this.json(res, 200, { ok: true });
    }
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.opts.secureCookie ? '; Secure' : ''}`;
  }

  private html(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

class BodyTooLarge extends Error {
  readonly code = 'payload_too_large';
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge('body too large'));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
