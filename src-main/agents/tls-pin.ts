/**
 * Certificate pinning for agents that serve HTTPS/WSS with a self-signed
 * certificate (agent --tls). The station knows the certificate's sha256
 * fingerprint (from POST /pair or mDNS) and trusts exactly that certificate:
 *
 * 1. A probe TLS handshake (no application data) fetches the certificate and
 *    compares its fingerprint with the pin; a mismatch is refused.
 * 2. Real requests then trust only that certificate (`ca`) and check the
 *    fingerprint again, so the token is never sent before the peer is proven.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { connect, type PeerCertificate } from 'node:tls';
import { StationError } from '../util/errors.js';

export function normaliseFingerprint(f: string): string {
  return f.replace(/[^a-fA-F0-9]/g, '').toLowerCase();
}

function pem(cert: PeerCertificate): string {
  const b64 =
    cert.raw
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function mismatch(host: string, port: number): StationError {
  return new StationError(
    'agent_tls_mismatch',
    `The agent at ${host}:${port} presented a different TLS certificate than the one paired; if the camera was reinstalled, pair it again.`,
  );
}

/** Options that make a TLS connection trust only the pinned certificate. */
export interface PinnedTls {
  ca: string;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** Fetches the agent's certificate with a data-free handshake and checks it against the pin. */
export async function fetchPinnedTls(
  host: string,
  port: number,
  fingerprint: string,
  timeoutMs = 10_000,
): Promise<PinnedTls> {
  const pin = normaliseFingerprint(fingerprint);
  const cert = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false, servername: 'localhost' });
    const timer = setTimeout(() => socket.destroy(new Error('TLS handshake timed out')), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate(true);
      socket.destroy();
      resolve(c);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(
        new StationError('agent_unreachable', `Cannot open a TLS connection to the agent at ${host}:${port}.`, {
          cause: err,
        }),
      );
    });
  });
  if (!cert.fingerprint256 || normaliseFingerprint(cert.fingerprint256) !== pin) throw mismatch(host, port);
  return {
    ca: pem(cert),
    // The self-signed certificate names the agent, not the address we dialled: check the pin instead.
    checkServerIdentity: (_host, peer) =>
      normaliseFingerprint(peer.fingerprint256) === pin ? undefined : mismatch(host, port),
  };
}

function toHeaders(h: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.append(k, x);
    else if (v !== undefined) out.set(k, v);
  }
  return out;
}

/** fetch() over HTTPS that trusts only the pinned certificate. */
export function pinnedFetch(url: string, init: RequestInit, tls: PinnedTls): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const req = httpsRequest(
      url,
      {
        method: init.method ?? 'GET',
        headers,
        ca: tls.ca,
        checkServerIdentity: tls.checkServerIdentity,
        servername: 'localhost',
        ...(init.signal ? { signal: init.signal } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 502;
        const noBody = init.method === 'HEAD' || status === 204 || status === 304;
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            headers: toHeaders(res.headers),
          }),
        );
      },
    );
    req.once('error', reject);
    if (typeof init.body === 'string') req.end(init.body);
    else req.end();
  });
}
