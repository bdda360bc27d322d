/**
 * The operator's station password, stored as an scrypt hash in
 * <data-dir>/auth/password.json (atomic write, mode 0600). Never stored or
 * logged in clear.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureDirSync, writeFileAtomic } from '../util/atomic.js';
import { StationError } from '../util/errors.js';

export const MIN_PASSWORD_LENGTH = 8;

const PasswordFile = z.strictObject({
  format: z.literal(1),
  algorithm: z.literal('scrypt'),
  N: z.number().int().min(1024),
  r: z.number().int().min(1),
  p: z.number().int().min(1),
  keylen: z.number().int().min(16).max(128),
  salt: z.string().min(16),
  hash: z.string().min(16),
  set_at: z.iso.datetime(),
});
type PasswordFile = z.infer<typeof PasswordFile>;

const PARAMS = { N: 16384, r: 8, p: 1, keylen: 64 } as const;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, keylen, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export class PasswordStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'auth', 'password.json');
  }

  private async read(): Promise<PasswordFile | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const parsed = PasswordFile.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new StationError(
        'password_file_corrupt',
        `The password file ${this.path} is damaged; set a new password with "skystation password set".`,
      );
    }
    return parsed.data;
  }

  async isSet(): Promise<boolean> {
    return (await this.read()) !== null;
  }

  async set(password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new StationError(
        'password_too_short',
        `The station password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
      );
    }
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt, PARAMS.keylen, { N: PARAMS.N, r: PARAMS.r, p: PARAMS.p });
    const file: PasswordFile = {
      format: 1,
      algorithm: 'scrypt',
      ...PARAMS,
      salt: salt.toString('base64'),
      hash: hash.toString('base64'),
      set_at: new Date().toISOString(),
    };
    ensureDirSync(join(this.path, '..'));
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
  }

  /** True when the password matches (constant-time comparison); false when none is set. */
  async verify(password: string): Promise<boolean> {
    const file = await this.read();
    if (!file) return false;
    const expected = Buffer.from(file.hash, 'base64');
    const actual = await scrypt(password, Buffer.from(file.salt, 'base64'), file.keylen, {
      N: file.N,
      r: file.r,
      p: file.p,
    });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
