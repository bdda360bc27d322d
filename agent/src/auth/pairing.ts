/**
 * Pairing (issue 4). The agent keeps a 6-digit code in <data-dir>/auth/pairing.json
 * (mode 0600), made on first start and printed by `skystation-agent pair`. A
 * station POSTs /pair with the code and gets a token. The code stays valid
 * until `skystation-agent pair --new` replaces it; failed attempts are
 * rate-limited per remote address, so guessing 10^6 codes is impractical.
 */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { authDir, ensureAuthDir, writeSecret } from './tokens.js';

const PairingFile = z.strictObject({ code: z.string().regex(/^\d{6}$/), created_at: z.string() });

export const PAIRING_CODE_PATTERN = /^\d{6}$/;

function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** The current pairing code; made (and saved) when there is none or `renew` is set. */
export async function loadOrCreatePairingCode(
  dataDir: string,
  opts: { renew?: boolean } = {},
): Promise<{ code: string; created: boolean }> {
  const file = join(authDir(dataDir), 'pairing.json');
  if (!opts.renew) {
    const current = await readPairingCode(dataDir);
    if (current !== null) return { code: current, created: false };
  }
  await ensureAuthDir(dataDir);
  const code = newCode();
  await writeSecret(file, `${JSON.stringify({ code, created_at: new Date().toISOString() }, null, 2)}\n`);
  return { code, created: true };
}

export async function readPairingCode(dataDir: string): Promise<string | null> {
  try {
    const parsed = PairingFile.safeParse(JSON.parse(await readFile(join(authDir(dataDir), 'pairing.json'), 'utf8')));
    return parsed.success ? parsed.data.code : null;
  } catch {
    return null;
  }
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
    const list = this.prune(key);
    list.push(this.now());
    this.failures.set(key, list);
    if (this.failures.size > 10_000) {
      // Bound memory under a flood from many addresses: forget the oldest keys.
      for (const k of [...this.failures.keys()].slice(0, 5_000)) this.failures.delete(k);
    }
  }

  private prune(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }
}
