import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenVault, type TokenCipher } from '../agents/token-store.js';
import { openDatabase, type Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { createLogger } from '../util/log.js';
import { SETTINGS_FILE, SETTINGS_KEY, SETTINGS_SECRETS_FILE, SettingsStore, settingsSecretsVault } from './store.js';

const log = createLogger(null);
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const API_KEY = 'owm-0123456789abcdef';

let dir: string;
/** The station database (in memory here, so that the data folder holds only what the store writes there). */
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-settings-'));
  db = openDatabase(':memory:');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The settings document as stored, as text. */
const storedText = (): string => JSON.stringify(new OrchestrationRepo(db).getSetting(SETTINGS_KEY) ?? null);

async function loaded(d = dir): Promise<SettingsStore> {
  const s = new SettingsStore({ dataDir: d, db, log });
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

  it('saves the document in the database, keeps secrets out of it (0600 file), and reads them back', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'openweathermap', apiKey: API_KEY } });
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
    // Only the secrets are a file in the data folder (0600); no settings.json any more.
    expect(readdirSync(dir)).toEqual([SETTINGS_SECRETS_FILE]);
    expect(mode(join(dir, SETTINGS_SECRETS_FILE))).toBe(0o600);
    const text = storedText();
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

  it('refuses bad values naming the field, and leaves the saved settings as they were', async () => {
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo' } });
    const before = storedText();
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
    expect(storedText().replace(/"savedAt":"[^"]+"/, '')).toBe(before.replace(/"savedAt":"[^"]+"/, ''));
  });

  it('a damaged stored document: clear problem, defaults in use, until the next save replaces it', async () => {
    const repo = new OrchestrationRepo(db);
    for (const [doc, why] of [
      [{ version: 1, weather: { provider: 'sunny', baseUrl: null }, archive: null }, /bad value at weather\.provider/],
      [{ version: 2, weather: { provider: 'none', baseUrl: null }, archive: null }, /bad value at version/],
      [{ version: 1, weather: { provider: 'none', baseUrl: null }, archive: null, extra: 1 }, /bad value/],
    ] as const) {
      repo.setSetting(SETTINGS_KEY, doc);
      const s = await loaded();
      expect(s.problem).toMatch(why);
      expect(s.problem).toMatch(/the defaults are in use/);
      expect(s.file().weather.provider).toBe('none');
      // Loading never touches it.
      expect(storedText()).toBe(JSON.stringify(doc));
    }
    const s = await loaded();
    await s.update({ weather: { provider: 'open-meteo' } });
    expect(s.problem).toBeNull();
    expect((await loaded()).file().weather.provider).toBe('open-meteo');
  });

  it('an old settings.json that was not imported (damaged) is reported and left as it is', async () => {
    const path = join(dir, SETTINGS_FILE);
    writeFileSync(path, '{"version":1,"weather":');
    const s = await loaded();
    expect(s.problem).toContain(path);
    expect(s.problem).toMatch(/could not be imported; the defaults are in use/);
    await s.update({ weather: { provider: 'open-meteo' } });
    expect(s.problem).toBeNull();
    expect(readFileSync(path, 'utf8')).toBe('{"version":1,"weather":');
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
    const s = new SettingsStore({ dataDir: dir, db, log, vault: settingsSecretsVault(dir, cipher) });
    await s.load();
    expect(s.secretsKind).toBe('encrypted');
    expect(s.resolved().weather.apiKey).toBe(API_KEY);
    // Taken over into the sealed file; the plain one is gone.
    expect(readdirSync(dir)).not.toContain(SETTINGS_SECRETS_FILE);
    await s.update({ archive: { bucket: 'sky', accessKeyId: 'k', secretAccessKey: SECRET } });
    expect(readFileSync(sealed, 'utf8')).not.toContain(API_KEY);
    expect(readFileSync(sealed, 'utf8')).not.toContain(SECRET);
    expect(mode(sealed)).toBe(0o600);
    const again = new SettingsStore({ dataDir: dir, db, log, vault: new FileTokenVault(sealed, cipher) });
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
