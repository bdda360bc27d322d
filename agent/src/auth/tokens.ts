/**
 * Access tokens (issue 4). A token is 32 random bytes, base64url. The agent
 * keeps only sha256 hashes of paired stations' tokens in
 * <data-dir>/auth/tokens.json (atomic write, mode 0600). The local admin token
 * lives in <data-dir>/auth/admin.token (mode 0600) so `skystation-agent token`
 * can print it; SKYSTATION_AGENT_ADMIN_TOKEN seeds it instead of a random one.
 *
 * The file is the source of truth: the CLI (`tokens revoke`) edits it while
 * the agent runs, and the agent reloads it when its mtime changes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

export const ADMIN_TOKEN_ENV = 'SKYSTATION_AGENT_ADMIN_TOKEN';
/** base64url of 32 bytes is 43 characters; seeded tokens may be longer. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,256}$/;

export function authDir(dataDir: string): string {
  return join(dataDir, 'auth');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Constant-time equality of two strings (compares their sha256 digests). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

const TokenRecord = z.strictObject({
  id: z.string().regex(/^tok_[a-f0-9]{12}$/),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  station_id: z.string(),
  station_name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;
const TokensFile = z.strictObject({ version: z.literal(1), tokens: z.array(TokenRecord) });
type TokensFile = z.infer<typeof TokensFile>;

/** What a token proves: the local admin, or one paired station. */
export type Principal = { kind: 'admin'; tokenId: 'admin' } | { kind: 'station'; tokenId: string; stationId: string };

/** Writes a secret file atomically with mode 0600 (folder 0700). */
export async function writeSecret(path: string, data: string): Promise<void> {
  await writeFileAtomic(path, data);
  await chmod(path, 0o600);
}

export async function ensureAuthDir(dataDir: string): Promise<string> {
  const dir = authDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}

/** Reads the admin token, creating it once (or taking the seed from the environment). */
export async function loadOrCreateAdminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = await ensureAuthDir(dataDir);
  const file = join(dir, 'admin.token');
  const seeded = env[ADMIN_TOKEN_ENV];
  if (seeded !== undefined && seeded !== '') {
    if (!TOKEN_PATTERN.test(seeded)) {
      throw new AgentError('usage', `${ADMIN_TOKEN_ENV} must be 32 to 256 characters of letters, digits, _ and -.`, {
        status: 400,
      });
    }
    let current = '';
    try {
      current = (await readFile(file, 'utf8')).trim();
    } catch {
      // not there yet
    }
    if (current !== seeded) await writeSecret(file, `${seeded}\n`);
    return seeded;
  }
  try {
    const current = (await readFile(file, 'utf8')).trim();
    if (TOKEN_PATTERN.test(current)) return current;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = newToken();
  await writeSecret(file, `${token}\n`);
  return token;
}

/** Paired stations' tokens, stored as hashes. */
export class TokenStore {
  private readonly file: string;
  private data: TokensFile = { version: 1, tokens: [] };
  private mtimeMs = -1;
  private checkedAt = 0;
  private readonly lastUsed = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private adminHash: Buffer;

  constructor(
    private readonly dataDir: string,
    adminToken: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = join(authDir(dataDir), 'tokens.json');
    this.adminHash = sha256(adminToken);
  }

  async load(): Promise<void> {
    await ensureAuthDir(this.dataDir);
    this.reloadIfChanged(true);
  }

  list(): TokenRecord[] {
    this.reloadIfChanged(false);
    return this.data.tokens.map((t) => ({ ...t, last_used_at: this.lastUsed.get(t.id) ?? t.last_used_at }));
  }

  /** Which principal a presented token belongs to, or null. Compares every hash in constant time. */
  verify(token: string): Principal | null {
    this.reloadIfChanged(false);
    const presented = sha256(token);
    let found: TokenRecord | null = null;
    const isAdmin = timingSafeEqual(presented, this.adminHash);
    for (const t of this.data.tokens) {
      if (timingSafeEqual(presented, Buffer.from(t.sha256, 'hex')) && found === null) found = t;
    }
    if (isAdmin) return { kind: 'admin', tokenId: 'admin' };
    if (found === null) return null;
    this.lastUsed.set(found.id, this.now().toISOString());
    this.scheduleFlush();
    return { kind: 'station', tokenId: found.id, stationId: found.station_id };
  }

  /** Issues a token for a station, replacing an earlier token of the same station. */
  async issue(stationId: string, stationName: string): Promise<{ token: string; record: TokenRecord }> {
    this.reloadIfChanged(true);
    const token = newToken();
    const record: TokenRecord = {
      id: `tok_${randomBytes(6).toString('hex')}`,
      sha256: sha256(token).toString('hex'),
      station_id: stationId,
      station_name: stationName,
      created_at: this.now().toISOString(),
      last_used_at: null,
    };
    this.data = {
      version: 1,
      tokens: [...this.data.tokens.filter((t) => t.station_id !== stationId), record],
    };
    await this.save();
    return { token, record };
  }

  async revoke(id: string): Promise<boolean> {
    this.reloadIfChanged(true);
    const before = this.data.tokens.length;
    this.data = { version: 1, tokens: this.data.tokens.filter((t) => t.id !== id) };
    if (this.data.tokens.length === before) return false;
    this.lastUsed.delete(id);
    await this.save();
    return true;
  }

  /** Writes pending last-used times. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.lastUsed.size === 0) return;
    this.reloadIfChanged(true);
    await this.save();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch(() => undefined);
    }, 60_000);
    this.flushTimer.unref();
  }

  private async save(): Promise<void> {
    const tokens = this.data.tokens.map((t) => ({ ...t, last_used_at: this.lastUsed.get(t.id) ?? t.last_used_at }));
    this.data = { version: 1, tokens };
    this.lastUsed.clear();
    await ensureAuthDir(this.dataDir);
    await writeSecret(this.file, `${JSON.stringify(this.data, null, 2)}\n`);
    this.mtimeMs = statSync(this.file).mtimeMs;
  }

  /** Reloads the file when it changed on disk (checked at most every 500 ms unless forced). */
  private reloadIfChanged(force: boolean): void {
    const t = Date.now();
    if (!force && t - this.checkedAt < 500) return;
    this.checkedAt = t;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      this.data = { version: 1, tokens: [] };
      this.mtimeMs = -1;
      return;
    }
    if (mtime === this.mtimeMs) return;
    this.mtimeMs = mtime;
    this.data = readTokensFile(this.file);
    const ids = new Set(this.data.tokens.map((x) => x.id));
    for (const id of this.lastUsed.keys()) if (!ids.has(id)) this.lastUsed.delete(id);
  }
}

function readTokensFile(file: string): TokensFile {
  let text: string;
  try {
    // Synchronous on purpose: verify() runs on every request and the file is tiny.
    text = readFileSync(file, 'utf8');
  } catch {
    return { version: 1, tokens: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AgentError('tokens_corrupt', `${file} is not valid JSON; fix it or delete it and pair again.`);
  }
  const parsed = TokensFile.safeParse(raw);
  if (!parsed.success) {
    throw new AgentError('tokens_corrupt', `${file} is not a token list; fix it or delete it and pair again.`);
  }
  return parsed.data;
}
