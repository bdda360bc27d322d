import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenVault, type TokenCipher } from '../agents/token-store.js';
import { createLogger } from '../util/log.js';
import { SETTINGS_FILE, SETTINGS_SECRETS_FILE, SettingsStore, settingsSecretsVault } from './store.js';

const log = createLogger(null);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const API_KEY = 'owm-0123456789abcdef';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-settings-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function loaded(d = dir): Promise<SettingsStore> {
  const s = new SettingsStore({ dataDir: d, log });
  await s.load();
  return s;
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('SettingsStore', () => {
  it('starts with the defaults when there is no file, and writes nothing until a save', async () => {
    const s = await loaded();
    expect(s.file()).toEqual({ version: 1, weather: { provider: 'none', baseUrl: null }, archive: null });
    expect(s.problem).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('saves atomically with mode 0600, keeps secrets out of settings.json, and reads them back', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'openweathermap', apiKey: API_KEY } });
    const path = join(dir, SETTINGS_FILE);
    const inodeBefore = statSync(path).ino;
    await s.update({
      archive: {
        endpoint: 'http://127.0.0.1:9000',
        bucket: 'sky-archive',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: SECRET,
        forcePathStyle: true,
        uploadExports: true,
      },
    });
    // Replaced by a rename (a new inode), not rewritten in place; no temp file left behind.
    expect(statSync(path).ino).not.toBe(inodeBefore);
    expect(readdirSync(dir).sort()).toEqual([SETTINGS_FILE, SETTINGS_SECRETS_FILE].sort());
    expect(mode(path)).toBe(0o600);
    expect(mode(join(dir, SETTINGS_SECRETS_FILE))).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(API_KEY);
    expect(JSON.parse(text)).toMatchObject({
      version: 1,
      weather: { provider: 'openweathermap', baseUrl: null },
      archive: { bucket: 'sky-archive', region: 'us-east-1', prefix: 'skystation/', uploadOriginals: false },
    });

    const again = await loaded();
    expect(again.resolved()).toEqual({
      weather: { provider: 'openweathermap', baseUrl: null, apiKey: API_KEY },
      archive: {
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        bucket: 'sky-archive',
        prefix: 'skystation/',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: SECRET,
        forcePathStyle: true,
        uploadExports: true,
        uploadOriginals: false,
      },
    });
    // What a UI gets has no secret, only whether one is set.
    const view = again.archiveView();
    expect(view).toMatchObject({ secretAccessKeySet: true });
    expect(JSON.stringify(view)).not.toContain(SECRET);
    expect(again.hasSecret('weather.apiKey')).toBe(true);
  });

  it('keeps a stored secret when a patch leaves it out, and removes it with null', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo', apiKey: API_KEY } });
    await s.update({ weather: { baseUrl: 'http://127.0.0.1:1234' } });
    expect(s.resolved().weather).toEqual({ provider: 'open-meteo', baseUrl: 'http://127.0.0.1:1234', apiKey: API_KEY });
    await s.update({ weather: { apiKey: null } });
    expect(s.resolved().weather.apiKey).toBeNull();
    expect(readFileSync(join(dir, SETTINGS_SECRETS_FILE), 'utf8')).not.toContain(API_KEY);
    // Removing the archive removes its secret too.
    await s.update({ archive: { bucket: 'abc', accessKeyId: 'k', secretAccessKey: SECRET } });
    await s.update({ archive: null });
    expect(s.resolved().archive).toBeNull();
    expect(readFileSync(join(dir, SETTINGS_SECRETS_FILE), 'utf8')).not.toContain(SECRET);
  });

  it('refuses bad values naming the field, and leaves the saved file as it was', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo' } });
    const before = readFileSync(join(dir, SETTINGS_FILE), 'utf8');
    await expect(s.update({ weather: { provider: 'openweathermap' } })).rejects.toMatchObject({
      code: 'settings_invalid',
      message: expect.stringMatching(/^weather\.apiKey: OpenWeatherMap needs an API key/) as unknown,
    });
    await expect(
      s.update({ archive: { bucket: 'Bad_Bucket', accessKeyId: 'k', secretAccessKey: 's' } }),
    ).rejects.toThrow(/^archive\.bucket: the bucket name is 3 to 63 lowercase/);
    await expect(s.update({ archive: { bucket: 'good-bucket', accessKeyId: 'k' } })).rejects.toThrow(
      /^archive\.secretAccessKey: enter the secret access key/,
    );
    await expect(s.update({ weather: { baseUrl: 'ftp://x' } })).rejects.toThrow(/^weather\.baseUrl: .*http/);
    await expect(s.update({ archive: { prefix: '/abs' } })).rejects.toThrow(/^archive\.prefix/);
    await expect(s.update({ weather: { colour: 'blue' } } as never)).rejects.toThrow(/settings_invalid|colour|weather/);
    // The key comes from the environment: OpenWeatherMap is accepted without a stored one.
    await s.update({ weather: { provider: 'openweathermap' } }, { envApiKey: true });
    expect(s.resolved().weather.provider).toBe('openweathermap');
    await s.update({ weather: { provider: 'open-meteo' } });
    expect(readFileSync(join(dir, SETTINGS_FILE), 'utf8').replace(/"savedAt": "[^"]+"/, '')).toBe(
      before.replace(/"savedAt": "[^"]+"/, ''),
    );
  });

  it('a damaged file: clear problem, defaults in use, not overwritten silently (kept aside on the next save)', async () => {
    const path = join(dir, SETTINGS_FILE);
    for (const [content, why] of [
      ['{"version":1,"weather":', /is not valid JSON/],
      ['{"version":1,"weather":{"provider":"sunny","baseUrl":null},"archive":null}', /bad value at weather\.provider/],
      ['{"version":2,"weather":{"provider":"none","baseUrl":null},"archive":null}', /bad value at version/],
      ['{"version":1,"weather":{"provider":"none","baseUrl":null},"archive":null,"extra":1}', /bad value/],
    ] as const) {
      writeFileSync(path, content);
      const s = await loaded();
      expect(s.problem).toMatch(why);
      expect(s.problem).toContain(path);
      expect(s.problem).toMatch(/the defaults are in use/);
      expect(s.file().weather.provider).toBe('none');
      // Loading never touches it.
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo' } });
    expect(s.problem).toBeNull();
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${SETTINGS_FILE}.bad-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toContain('"extra":1');
    expect((await loaded()).file().weather.provider).toBe('open-meteo');
  });

  it('keeps secrets sealed by a cipher (the Electron keychain) when one is given', async () => {
    // A stand-in for safeStorage: reversible, and visibly not the plain text.
    const cipher: TokenCipher = {
      encrypt: (p) => Buffer.from([...Buffer.from(p)].reverse().map((b) => b ^ 0x5a)),
      decrypt: (b) => Buffer.from([...b].map((x) => x ^ 0x5a).reverse()).toString(),
    };
    // A headless run saved a key in the plain 0600 file first.
    const plain = await loaded();
    await plain.update({ weather: { provider: 'openweathermap', apiKey: API_KEY } });
    const sealed = join(dir, 'settings-secrets.sealed.json');
    const s = new SettingsStore({ dataDir: dir, log, vault: settingsSecretsVault(dir, cipher) });
    await s.load();
    expect(s.secretsKind).toBe('encrypted');
    expect(s.resolved().weather.apiKey).toBe(API_KEY);
    // Taken over into the sealed file; the plain one is gone.
    expect(readdirSync(dir)).not.toContain(SETTINGS_SECRETS_FILE);
    await s.update({ archive: { bucket: 'sky', accessKeyId: 'k', secretAccessKey: SECRET } });
    expect(readFileSync(sealed, 'utf8')).not.toContain(API_KEY);
    expect(readFileSync(sealed, 'utf8')).not.toContain(SECRET);
    expect(mode(sealed)).toBe(0o600);
    const again = new SettingsStore({ dataDir: dir, log, vault: new FileTokenVault(sealed, cipher) });
    await again.load();
    expect(again.resolved().archive?.secretAccessKey).toBe(SECRET);
  });

  it('a damaged secrets file: reported, and saving a secret says what to do', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo', apiKey: API_KEY } });
    writeFileSync(join(dir, SETTINGS_SECRETS_FILE), '{"version":1,');
    const t = await loaded();
    expect(t.problem).toMatch(/The stored settings secrets could not be read/);
    expect(t.resolved().weather).toEqual({ provider: 'open-meteo', baseUrl: null, apiKey: null });
    await expect(t.update({ weather: { apiKey: 'new-key' } })).rejects.toMatchObject({
      code: 'settings_secrets_unwritable',
      message: expect.stringMatching(/Move that file away and enter the secrets again\.$/) as unknown,
    });
    // settings.json itself was fine: it is not moved aside.
    expect(readdirSync(dir).filter((f) => f.includes('.bad-'))).toEqual([]);
  });
});
