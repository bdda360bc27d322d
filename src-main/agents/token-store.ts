/**
 * Where the station keeps the access tokens agents issue when it pairs
 * (POST /pair). A token is a password for a camera, so:
 *   - new FileTokenVault(path): a JSON file, mode 0600, in the station's data
 *     folder, written atomically (temp file, fsync, rename, fsync the folder);
 *   - new FileTokenVault(sealedPath, cipher, plainPath): each token sealed by a
 *     cipher the Electron shell makes from safeStorage (the OS keychain), so a
 *     copied data folder does not give the cameras away. Tokens saved by a
 *     headless run (plainPath) are sealed and that file removed on first load.
 * Only src-main/electron imports `electron`; it builds the cipher and passes
 * the vault in through StationOptions.tokenVault. Headless, the plain file is used.
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ensureDirSync, writeFileAtomic } from '../util/atomic.js';
import { StationError } from '../util/errors.js';

export interface TokenVault {
  /** 'file' (plain, 0600) or 'encrypted' (sealed with the OS keychain). */
  readonly kind: 'file' | 'encrypted';
  /** Every stored token by agent id. */
  load(): Promise<Map<string, string>>;
  set(agentId: string, token: string): Promise<void>;
  delete(agentId: string): Promise<void>;
}

/** Seals and opens strings; Electron's safeStorage fits (encryptString / decryptString). */
export interface TokenCipher {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

export const TOKENS_FILE = 'agent-tokens.json';
export const SEALED_TOKENS_FILE = 'agent-tokens.sealed.json';

const TokensFile = z.strictObject({
  version: z.literal(1),
  encrypted: z.boolean(),
  tokens: z.record(
    z.string().min(1).max(128),
    z.strictObject({ token: z.string().min(1).max(4096), saved_at: z.string() }),
  ),
});
type TokensFile = z.infer<typeof TokensFile>;

/** <dataDir>/agent-tokens.json, or agent-tokens.sealed.json for the keychain-sealed vault. */
export function tokensPath(dataDir: string, sealed = false): string {
  return join(dataDir, sealed ? SEALED_TOKENS_FILE : TOKENS_FILE);
}

/**
 * Tokens in one JSON file. Writes are serialised (one at a time, in call order)
 * so two pairings at once cannot lose each other's token.
 */
export class FileTokenVault implements TokenVault {
  readonly kind: 'file' | 'encrypted';
  private cache: Map<string, string> | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly cipher: TokenCipher | null = null,
    private readonly plainPath: string | null = null,
  ) {
    this.kind = cipher ? 'encrypted' : 'file';
  }

  async load(): Promise<Map<string, string>> {
    if (this.cache) return new Map(this.cache);
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.cache = this.cipher && this.plainPath ? await this.sealPlainFile(this.plainPath) : new Map();
        return new Map(this.cache);
      }
      throw new StationError(
        'tokens_unreadable',
        `Cannot read the camera access tokens in ${this.path}; check its permissions.`,
        { cause: err },
      );
    }
    let parsed: TokensFile;
    try {
      parsed = TokensFile.parse(JSON.parse(raw));
    } catch (cause) {
      throw new StationError(
        'tokens_corrupt',
        `The camera access tokens file ${this.path} is damaged; move it away and pair the cameras again.`,
        { cause },
      );
    }
    if (parsed.encrypted !== (this.cipher !== null)) {
      throw new StationError(
        'tokens_wrong_kind',
        parsed.encrypted
          ? `The camera access tokens in ${this.path} are sealed with this computer's keychain, which is not available now; start Skystation as the desktop app or pair the cameras again.`
          : `The camera access tokens in ${this.path} are not sealed; move the file away and pair the cameras again.`,
      );
    }
    const tokens = new Map<string, string>();
    for (const [id, entry] of Object.entries(parsed.tokens)) {
      tokens.set(id, this.cipher ? this.cipher.decrypt(Buffer.from(entry.token, 'base64')) : entry.token);
    }
    this.cache = tokens;
    return new Map(tokens);
  }

  /** Moves the tokens of a headless run into the sealed file, then deletes the plain file. */
  private async sealPlainFile(plainPath: string): Promise<Map<string, string>> {
    const plain = await new FileTokenVault(plainPath).load();
    if (plain.size === 0) return plain;
    await this.write(plain);
    await rm(plainPath, { force: true });
    return plain;
  }

  set(agentId: string, token: string): Promise<void> {
    return this.change((m) => m.set(agentId, token));
  }

  delete(agentId: string): Promise<void> {
    return this.change((m) => m.delete(agentId));
  }

  private change(fn: (m: Map<string, string>) => void): Promise<void> {
    const run = async (): Promise<void> => {
      const tokens = await this.load();
      fn(tokens);
      await this.write(tokens);
      this.cache = tokens;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(tokens: Map<string, string>): Promise<void> {
    const now = new Date().toISOString();
    const file: TokensFile = { version: 1, encrypted: this.cipher !== null, tokens: {} };
    for (const [id, token] of tokens) {
      file.tokens[id] = {
        token: this.cipher ? this.cipher.encrypt(token).toString('base64') : token,
        saved_at: now,
      };
    }
    ensureDirSync(dirname(this.path));
    // writeFileAtomic creates its temp file with mode 0600, and the rename keeps that mode.
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
  }
}
