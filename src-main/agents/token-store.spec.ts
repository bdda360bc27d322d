import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTokenVault, tokensPath, type TokenCipher } from './token-store.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skys-tokens-'));
  dirs.push(d);
  return d;
}

/** A real cipher (AES-256-GCM) standing in for Electron's safeStorage, which only exists inside Electron. */
function aesCipher(key = randomBytes(32)): TokenCipher {
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(sealed) {
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      d.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const TOKEN = 'tok_abcdefghijklmnopqrstuvwxyz0123456789';

describe('FileTokenVault', () => {
  it('keeps tokens in a 0600 file that survives a new vault, and deletes them', async () => {
    const dir = await tempDir();
    const path = tokensPath(dir);
    const vault = new FileTokenVault(path);
    expect(vault.kind).toBe('file');
    expect(await vault.load()).toEqual(new Map());
    await vault.set('agent-1', TOKEN);
    await vault.set('agent-2', `${TOKEN}2`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await new FileTokenVault(path).load()).toEqual(
      new Map([
        ['agent-1', TOKEN],
        ['agent-2', `${TOKEN}2`],
      ]),
    );
    await vault.delete('agent-1');
    expect([...(await new FileTokenVault(path).load()).keys()]).toEqual(['agent-2']);
    // No temp files left behind by the atomic writes.
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('loses no token when several are saved at once', async () => {
    const path = tokensPath(await tempDir());
    const vault = new FileTokenVault(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => vault.set(`agent-${i}`, `${TOKEN}${i}`)));
    expect((await new FileTokenVault(path).load()).size).toBe(20);
  });

  it('says what to do when the file is damaged', async () => {
    const path = tokensPath(await tempDir());
    await writeFile(path, '{"version":1,"tokens":');
    await expect(new FileTokenVault(path).load()).rejects.toMatchObject({ code: 'tokens_corrupt' });
    await writeFile(path, JSON.stringify({ version: 1, encrypted: false, tokens: {}, extra: 1 }));
    await expect(new FileTokenVault(path).load()).rejects.toMatchObject({ code: 'tokens_corrupt' });
  });

  it('seals tokens with a cipher so the file never holds them in clear, and imports a headless run’s file', async () => {
    const dir = await tempDir();
    await new FileTokenVault(tokensPath(dir)).set('agent-1', TOKEN);
    const cipher = aesCipher();
    const sealed = new FileTokenVault(tokensPath(dir, true), cipher, tokensPath(dir));
    expect(sealed.kind).toBe('encrypted');
    expect(await sealed.load()).toEqual(new Map([['agent-1', TOKEN]]));
    await expect(stat(tokensPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    await sealed.set('agent-2', `${TOKEN}2`);
    const text = await readFile(tokensPath(dir, true), 'utf8');
    expect(text).not.toContain(TOKEN);
    expect((await stat(tokensPath(dir, true))).mode & 0o777).toBe(0o600);
    expect((await new FileTokenVault(tokensPath(dir, true), cipher).load()).get('agent-2')).toBe(`${TOKEN}2`);
    // The sealed file cannot be read as a plain one.
    await expect(new FileTokenVault(tokensPath(dir, true)).load()).rejects.toMatchObject({ code: 'tokens_wrong_kind' });
  });
});
