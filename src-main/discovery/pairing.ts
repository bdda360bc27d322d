/**
 * Pairing from the station: POST /pair {code, station_id, station_name} on the
 * agent returns an access token and the agent's TLS fingerprint. Also the
 * station's own identity (station.json) and parsing of "HOST:PORT" / URLs.
 *
 * Requests go through node:http / node:https directly (not fetch) because a
 * TLS agent has a self-signed certificate that the station pins by its
 * fingerprint: with a fingerprint from mDNS the certificate must match it
 * before the pairing code is sent; without one (trust on first use) the
 * certificate must match the fingerprint the agent states in its answer.
 *
 * When the scheme is not known (a bare HOST:PORT), TLS is tried first and
 * plain HTTP only when the TLS handshake shows a plain-HTTP server: the
 * pairing code never travels in clear to an agent that speaks TLS (issue 12).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { ErrorResponse, HealthResponse, PairResponse } from '../agents/protocol.js';
import { writeFileAtomic } from '../util/atomic.js';
import { StationError, errorMessage } from '../util/errors.js';

export interface StationIdentity {
  id: string;
  name: string;
}

const StationFile = z.strictObject({ id: z.uuid(), created_at: z.string() });

/** <dataDir>/station.json holds the station's stable id, made on first use; the name is this computer's. */
export async function loadOrCreateStationIdentity(dataDir: string): Promise<StationIdentity> {
  const file = join(dataDir, 'station.json');
  const name = `Skystation on ${hostname().split('.')[0] || 'this computer'}`.slice(0, 128);
  try {
    const parsed = StationFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return { id: parsed.data.id, name };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const id = randomUUID();
  await writeFileAtomic(file, `${JSON.stringify({ id, created_at: new Date().toISOString() }, null, 2)}\n`);
  return { id, name };
}

export interface AgentTarget {
  host: string;
  port: number;
  /** true: https; false: http; undefined: https, then http if the agent turns out to speak only plain HTTP. */
  tls?: boolean;
}

/** "HOST:PORT", "[v6]:PORT", "HOST" (port 8080), or an http(s):// URL. */
export function parseAgentAddress(text: string): AgentTarget {
  const s = text.trim();
  const bad = (): StationError =>
    new StationError(
      'bad_address',
      `"${text}" is not an agent address; use HOST:PORT such as 192.168.1.20:8080, or http(s)://HOST:PORT.`,
    );
  if (/^https?:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw bad();
    }
    const tls = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!host) throw bad();
    return { host, port: url.port ? Number(url.port) : 8080, tls };
  }
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([\w.-]+)(?::(\d{1,5}))?$/.exec(s);
  if (!m?.[1]) throw bad();
  const port = m[2] === undefined ? 8080 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad();
  return { host: m[1], port };
}

export function normaliseFingerprint(f: string): string {
  return f.replace(/[^a-fA-F0-9]/g, '').toLowerCase();
}

interface RawReply {
  status: number;
  body: unknown;
  peerFingerprint: string | null;
}

/** One JSON request; with TLS the certificate is checked against `pin` before anything is sent. */
function requestJson(
  target: { host: string; port: number; tls: boolean },
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  pin: string | null,
  timeoutMs: number,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== null) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const options = {
      host: target.host,
      port: target.port,
      path,
      method,
      headers,
      agent: false as const,
      timeout: timeoutMs,
    };
    let peerFingerprint: string | null = null;
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1_000_000) req.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, peerFingerprint });
      });
      res.on('error', reject);
    };
    const req = target.tls
      ? httpsRequest({ ...options, rejectUnauthorized: false, checkServerIdentity: () => undefined }, onResponse)
      : httpRequest(options, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
    req.on('error', reject);
    if (target.tls) {
      // Send nothing (the pairing code!) until the certificate is the expected one.
      req.on('socket', (socket) => {
        socket.once('secureConnect', () => {
          const cert = (socket as TLSSocket).getPeerCertificate();
          peerFingerprint = cert.fingerprint256 || null;
          if (pin && (!peerFingerprint || normaliseFingerprint(peerFingerprint) !== normaliseFingerprint(pin))) {
            req.destroy(
              new StationError(
                'agent_tls_mismatch',
                `The camera at ${target.host}:${target.port} presented a different certificate than it advertises; it may be an impostor. Check the camera, then pair again.`,
              ),
            );
            return;
          }
          req.end(payload ?? undefined);
        });
      });
    } else {
      req.end(payload ?? undefined);
    }
  });
}

function unreachable(target: { host: string; port: number }, cause: unknown): StationError {
  if (cause instanceof StationError) return cause;
  const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
  return new StationError(
    timedOut ? 'agent_timeout' : 'agent_unreachable',
    timedOut
      ? `The agent at ${target.host}:${target.port} did not answer in time. Check that it is running and the network is up.`
      : `Cannot reach the agent at ${target.host}:${target.port} (${errorMessage(cause)}). Check that it is running and reachable from this computer.`,
    { cause },
  );
}

/**
 * Did a TLS handshake reach a plain-HTTP server? Such a server answers the
 * ClientHello with an HTTP 400, which OpenSSL reports as "wrong version
 * number" / "packet length too long" (EPROTO). Nothing was sent yet: the
 * handshake never completed. A reset or a hang-up is not proof of plain
 * HTTP (a busy TLS agent may do that), so it never leads to a clear-text retry.
 */
function looksLikePlainHttp(err: unknown): boolean {
  if (err instanceof StationError) return false;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return (
    code === 'EPROTO' ||
    code.startsWith('ERR_SSL_') ||
    /wrong version number|packet length too long|unknown protocol|http request/i.test(errorMessage(err))
  );
}

/** Did a plain-HTTP attempt hit a TLS-only server? (Node's https server hangs up or answers 400 without JSON.) */
function looksLikeTls(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up|parse error/i.test(errorMessage(err));
}

/**
 * One request when the scheme is unknown. `secret`: the request carries a
 * secret (a pairing code), so TLS is tried first. Without one (GET /health)
 * plain HTTP goes first, as most agents on a LAN speak it and a probe should
 * cost one round trip.
 */
async function withTlsFallback(
  target: AgentTarget,
  pin: string | null,
  attempt: (t: { host: string; port: number; tls: boolean }) => Promise<RawReply>,
  secret: boolean,
): Promise<RawReply & { tls: boolean }> {
  const tls = target.tls ?? (pin ? true : undefined);
  if (tls !== undefined) {
    try {
      return { ...(await attempt({ host: target.host, port: target.port, tls })), tls };
    } catch (err) {
      throw unreachable(target, err);
    }
  }
  if (!secret) {
    try {
      const r = await attempt({ host: target.host, port: target.port, tls: false });
      if (r.status !== 400 || r.body !== undefined) return { ...r, tls: false };
    } catch (err) {
      if (!looksLikeTls(err)) throw unreachable(target, err);
    }
    try {
      return { ...(await attempt({ host: target.host, port: target.port, tls: true })), tls: true };
    } catch (err) {
      throw unreachable(target, err);
    }
  }
  // TLS first: the request (a pairing code) is written only after the handshake, so a plain-HTTP
  // agent sees nothing but a ClientHello, and a TLS agent never sees the code in clear.
  try {
    return { ...(await attempt({ host: target.host, port: target.port, tls: true })), tls: true };
  } catch (err) {
    if (!looksLikePlainHttp(err)) throw unreachable(target, err);
  }
  try {
    return { ...(await attempt({ host: target.host, port: target.port, tls: false })), tls: false };
  } catch (err) {
    throw unreachable(target, err);
  }
}

function refusal(target: { host: string; port: number }, reply: RawReply): StationError {
  const parsed = ErrorResponse.safeParse(reply.body);
  if (parsed.success)
    return new StationError(parsed.data.error.code, `The agent refused: ${parsed.data.error.message}`);
  return new StationError(
    'agent_http_error',
    `The agent at ${target.host}:${target.port} answered HTTP ${reply.status}.`,
  );
}

export interface PairResult {
  token: string;
  agentId: string;
  agentName: string;
  tlsFingerprint: string | null;
  /** Whether the agent was reached over TLS. */
  tls: boolean;
}

/**
 * POST /pair. `expectedFingerprint` (from mDNS) pins the certificate before the
 * code is sent; without it the certificate must match what the agent answers.
 */
export async function pairWithAgent(
  target: AgentTarget,
  request: { code: string; station: StationIdentity; expectedFingerprint?: string | null },
  timeoutMs = 10_000,
): Promise<PairResult> {
  const pin = request.expectedFingerprint ?? null;
  const body = { code: request.code, station_id: request.station.id, station_name: request.station.name };
  const reply = await withTlsFallback(target, pin, (t) => requestJson(t, 'POST', '/pair', body, pin, timeoutMs), true);
  if (reply.status !== 200) throw refusal(target, reply);
  const parsed = PairResponse.safeParse(reply.body);
  if (!parsed.success) {
    throw new StationError(
      'agent_bad_response',
      `The agent at ${target.host}:${target.port} answered /pair in an unexpected shape; update the agent to the station's version.`,
    );
  }
  const r = parsed.data;
  if (reply.tls) {
    const stated = r.tls_fingerprint;
    if (
      !stated ||
      !reply.peerFingerprint ||
      normaliseFingerprint(stated) !== normaliseFingerprint(reply.peerFingerprint)
    ) {
      throw new StationError(
        'agent_tls_mismatch',
        `The camera at ${target.host}:${target.port} presented a certificate that does not match the fingerprint it reports; it may be an impostor. Check the camera, then pair again.`,
      );
    }
  }
  return {
    token: r.token,
    agentId: r.agent_id,
    agentName: r.agent_name,
    tlsFingerprint: reply.tls ? (reply.peerFingerprint ?? r.tls_fingerprint) : r.tls_fingerprint,
    tls: reply.tls,
  };
}

/** GET /health (no token needed): is this address really the agent mDNS described? */
export async function probeHealth(
  target: AgentTarget,
  expectedFingerprint: string | null,
  timeoutMs = 5_000,
): Promise<HealthResponse & { tls: boolean }> {
  const reply = await withTlsFallback(
    target,
    expectedFingerprint,
    (t) => requestJson(t, 'GET', '/health', undefined, expectedFingerprint, timeoutMs),
    false,
  );
  if (reply.status !== 200) throw refusal(target, reply);
  const parsed = HealthResponse.safeParse(reply.body);
  if (!parsed.success) {
    throw new StationError(
      'agent_bad_response',
      `The program at ${target.host}:${target.port} is not a Skystation agent.`,
    );
  }
  return { ...parsed.data, tls: reply.tls };
}
