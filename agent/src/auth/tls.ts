/**
 * Optional TLS (--tls): a self-signed certificate made once in <data-dir>/auth/
 * (cert.pem, key.pem mode 0600) with openssl. Stations pin it by its sha256
 * fingerprint, which /pair returns and mDNS advertises (tlsFingerprint()).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from '../util/run.js';
import { AgentError } from '../util/errors.js';
import { authDir, ensureAuthDir } from './tokens.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** sha256 fingerprint as Node prints it: "AB:CD:…" (32 bytes). */
  fingerprint: string;
}

export function certPaths(dataDir: string): { cert: string; key: string } {
  return { cert: join(authDir(dataDir), 'cert.pem'), key: join(authDir(dataDir), 'key.pem') };
}

/** Normalises a fingerprint for comparison: hex digits only, lower case. */
export function normaliseFingerprint(f: string): string {
  return f.replace(/[^a-fA-F0-9]/g, '').toLowerCase();
}

/** The fingerprint of the agent's certificate, or null when it has none (no --tls yet). */
export function tlsFingerprint(dataDir: string): string | null {
  try {
    return new X509Certificate(readFileSync(certPaths(dataDir).cert)).fingerprint256;
  } catch {
    return null;
  }
}

/** Loads the certificate, creating a self-signed one (10 years, EC P-256) on first use. */
export async function ensureCertificate(dataDir: string, commonName: string): Promise<TlsMaterial> {
  const paths = certPaths(dataDir);
  try {
    const [cert, key] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
    return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
  } catch {
    // make one
  }
  const dir = await ensureAuthDir(dataDir);
  const tmpCert = join(dir, `.tmp-cert-${process.pid}.pem`);
  const tmpKey = join(dir, `.tmp-key-${process.pid}.pem`);
  const cn = commonName.replace(/[^\w.-]/g, '-').slice(0, 64) || 'skystation-agent';
  try {
    await runChecked(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        tmpKey,
        '-out',
        tmpCert,
        '-days',
        '3650',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { timeoutMs: 30_000 },
    );
    await chmod(tmpKey, 0o600);
    await rename(tmpKey, paths.key);
    await rename(tmpCert, paths.cert);
  } catch (cause) {
    await rm(tmpCert, { force: true });
    await rm(tmpKey, { force: true });
    throw new AgentError(
      'tls_setup_failed',
      'Could not create the TLS certificate with openssl; install openssl or run without --tls.',
      { cause },
    );
  }
  const [cert, key] = await Promise.all([readFile(paths.cert, 'utf8'), readFile(paths.key, 'utf8')]);
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
}
