/**
 * Pairing (issue 4, hardened in issue 12). The agent keeps a 6-digit code in
 * <data-dir>/auth/pairing.json (mode 0600), made on start and printed by
 * `skystation-agent pair`. A station POSTs /pair with the code and gets a token.
 *
 * A code is valid for 10 minutes (SKYSTATION_PAIRING_CODE_TTL_MS) and for one
 * pairing: a successful pairing replaces it with a new one. `skystation-agent
 * pair` prints the current code, or makes a new one when it has expired.
 * Attempts are counted before they are evaluated, per remote address (5 a
 * minute) and for the whole agent (20 in 10 minutes, counted from the
 * current code's making), so neither concurrent guesses nor many source
 * addresses get more tries: at most ~20 guesses of 10^6 per code, and an
 * operator locked out by someone's guessing makes a new code with `pair --new`.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { authDir, ensureAuthDir, writeSecret } from './tokens.js';

const PairingFile = z.strictObject({ code: z.string().regex(/^\d{6}$/), created_at: z.string() });

export const PAIRING_CODE_PATTERN = /^\d{6}$/;
export const DEFAULT_PAIRING_CODE_TTL_MS = 10 * 60_000;
export const PAIRING_TTL_ENV = 'SKYSTATION_PAIRING_CODE_TTL_MS';

/** How long a pairing code lasts: SKYSTATION_PAIRING_CODE_TTL_MS, else 10 minutes. */
export function pairingCodeTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = Number(env[PAIRING_TTL_ENV] ?? '');
  return Number.isFinite(raw) && raw >= 1000 ? raw : DEFAULT_PAIRING_CODE_TTL_MS;
}

/** Where the pairing code is kept. */
export function pairingFile(dataDir: string): string {
  return join(authDir(dataDir), 'pairing.json');
}

export interface PairingState {
  code: string;
  createdAt: number;
  expiresAt: number;
}

function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * The current pairing code; a new one is made (and saved) when there is none,
 * it has expired, or `renew` is set.
 */
export async function loadOrCreatePairingCode(
  dataDir: string,
  opts: { renew?: boolean; now?: () => number; ttlMs?: number } = {},
): Promise<{ code: string; created: boolean; expiresAt: number }> {
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlMs ?? pairingCodeTtlMs();
  const file = join(authDir(dataDir), 'pairing.json');
  if (!opts.renew) {
    const current = await readPairingState(dataDir, ttl);
    if (current !== null && current.expiresAt > now()) {
      return { code: current.code, created: false, expiresAt: current.expiresAt };
    }
  }
  await ensureAuthDir(dataDir);
  const code = newCode();
  const createdAt = now();
  await writeSecret(file, `${JSON.stringify({ code, created_at: new Date(createdAt).toISOString() }, null, 2)}\n`);
  return { code, created: true, expiresAt: createdAt + ttl };
}

/** The saved code and when it expires, or null when there is none (or the file is unreadable). */
export async function readPairingState(dataDir: string, ttlMs = pairingCodeTtlMs()): Promise<PairingState | null> {
  try {
    const parsed = PairingFile.safeParse(JSON.parse(await readFile(join(authDir(dataDir), 'pairing.json'), 'utf8')));
    if (!parsed.success) return null;
    const createdAt = Date.parse(parsed.data.created_at);
    // An unreadable date counts as expired: the code is replaced, never trusted forever.
    const created = Number.isFinite(createdAt) ? createdAt : 0;
    return { code: parsed.data.code, createdAt: created, expiresAt: created + ttlMs };
  } catch {
    return null;
  }
}

export async function readPairingCode(dataDir: string): Promise<string | null> {
  return (await readPairingState(dataDir))?.code ?? null;
}

/** Counts failures per key in a sliding window; `retryAfterMs` > 0 means blocked. */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 5,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  retryAfterMs(key: string): number {
    const list = this.prune(key);
    if (list.length < this.max) return 0;
    return Math.max(1, list[0]! + this.windowMs - this.now());
  }

  fail(key: string): void {
    this.record(key);
  }

  /**
   * Counts an attempt now, before it is evaluated (so concurrent attempts
   * cannot all slip through); returns a function that takes it back (a success).
   */
  record(key: string): () => void {
    const list = this.prune(key);
    const at = this.now();
    list.push(at);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) {
      // Bound memory under a flood from many addresses: forget the oldest keys.
      for (const k of [...this.failures.keys()].slice(0, 5_000)) this.failures.delete(k);
    }
    let undone = false;
    return () => {
      if (undone) return;
      undone = true;
      const current = this.failures.get(key);
      const i = current?.lastIndexOf(at) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
    };
  }

  /** Forgets the attempts on `key` made before `at` (they were against a code that is gone). */
  forgetBefore(key: string, at: number): void {
    const list = this.failures.get(key);
    if (!list) return;
    const kept = list.filter((t) => t >= at);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
  }

  private prune(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
}
