/**
 * The station's settings file: <dataDir>/settings.json (weather provider, S3
 * archive), written atomically (temp file, fsync, rename) with mode 0600 and
 * validated with zod when loaded and on every update.
 *
 * Secrets (the weather API key, the S3 secret access key) are not in that
 * file: they are kept like the cameras' access tokens, in a TokenVault
 * (<dataDir>/settings-secrets.json, 0600, or sealed with the OS keychain when
 * the Electron shell passes one). Nothing here returns a secret to a UI; the
 * views say only whether one is set.
 *
 * A damaged file is never overwritten silently: the defaults are used, the
 * problem is reported (view.file.problem and the log), and the next save first
 * keeps the old file beside it as settings.json.bad-<time>.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FileTokenVault, type TokenCipher, type TokenVault } from '../agents/token-store.js';
import { ensureDirSync, writeFileAtomic } from '../util/atomic.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import {
  ArchiveSettingsPatch,
  SettingsPatch,
  WeatherSettingsPatch,
  type ArchiveSettingsView,
  type WeatherProviderName,
} from './api-types.js';

export const SETTINGS_FILE = 'settings.json';
export const SETTINGS_SECRETS_FILE = 'settings-secrets.json';
export const SEALED_SETTINGS_SECRETS_FILE = 'settings-secrets.sealed.json';

export const SECRET_WEATHER_API_KEY = 'weather.apiKey';
export const SECRET_S3 = 'archive.secretAccessKey';

const WeatherFile = WeatherSettingsPatch.omit({ apiKey: true }).required();
const ArchiveFile = ArchiveSettingsPatch.omit({ secretAccessKey: true }).required();
export const SettingsFile = z.strictObject({
  version: z.literal(1),
  weather: WeatherFile,
  archive: ArchiveFile.nullable(),
  savedAt: z.iso.datetime().optional(),
});
export type SettingsFile = z.infer<typeof SettingsFile>;
export type ArchiveFileSettings = z.infer<typeof ArchiveFile>;

export const DEFAULT_SETTINGS: SettingsFile = {
  version: 1,
  weather: { provider: 'none', baseUrl: null },
  archive: null,
};

const ARCHIVE_DEFAULTS = {
  endpoint: null,
  region: 'us-east-1',
  prefix: 'skystation/',
  forcePathStyle: false,
  uploadExports: false,
  uploadOriginals: false,
} as const;

/**
 * The vault for the settings' secrets: with a cipher (the Electron shell's
 * safeStorage, as for the camera tokens) a sealed file, taking over the secrets
 * a headless run left in the plain 0600 file; without one, that plain file.
 */
export function settingsSecretsVault(dataDir: string, cipher?: TokenCipher): TokenVault {
  const plain = join(dataDir, SETTINGS_SECRETS_FILE);
  return cipher
    ? new FileTokenVault(join(dataDir, SEALED_SETTINGS_SECRETS_FILE), cipher, plain)
    : new FileTokenVault(plain);
}

/** Settings with their secrets, for the brain's own use (never sent to a UI). */
export interface ResolvedSettings {
  weather: { provider: WeatherProviderName; baseUrl: string | null; apiKey: string | null };
  archive: (ArchiveFileSettings & { secretAccessKey: string }) | null;
}

export interface SettingsStoreOptions {
  dataDir: string;
  log: Logger;
  /** Where the secrets are kept; default <dataDir>/settings-secrets.json (0600). */
  vault?: TokenVault | undefined;
}

function invalid(field: string, message: string): StationError {
  return new StationError('settings_invalid', `${field}: ${message}`);
}

export class SettingsStore {
  readonly path: string;
  private readonly vault: TokenVault;
  private data: SettingsFile = structuredClone(DEFAULT_SETTINGS);
  private secrets = new Map<string, string>();
  private problemText: string | null = null;
  /** settings.json itself is unusable (kept aside on the next save). */
  private fileBad = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SettingsStoreOptions) {
    this.path = join(o.dataDir, SETTINGS_FILE);
    this.vault = o.vault ?? settingsSecretsVault(o.dataDir);
  }

  get secretsKind(): 'file' | 'encrypted' {
    return this.vault.kind;
  }

  /** Why the file could not be used (defaults are in use), or null. */
  get problem(): string | null {
    return this.problemText;
  }

  /** Reads the file and the secrets; never throws for a bad file (see `problem`). */
  async load(): Promise<void> {
    this.data = structuredClone(DEFAULT_SETTINGS);
    this.problemText = null;
    this.fileBad = false;
    let text: string | null = null;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
      }
    }
    if (text !== null) {
      let json: unknown;
      let parsedJson = true;
      try {
        json = JSON.parse(text);
      } catch {
        parsedJson = false;
        this.fail('is not valid JSON');
      }
      if (parsedJson) {
        const r = SettingsFile.safeParse(json);
        if (r.success) this.data = r.data;
        else {
          const issue = r.error.issues[0];
          this.fail(`has a bad value at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
        }
      }
    }
    try {
      this.secrets = await this.vault.load();
    } catch (err) {
      this.secrets = new Map();
      const why = `The stored settings secrets could not be read (${errorMessage(err)})`;
      // (fail() may have set problemText above.)
      const prior = this.problemText as string | null;
      this.problemText = prior ? `${prior} ${why}.` : `${why}; enter them again.`;
      this.o.log.error({ err: errorMessage(err) }, 'settings: secrets unreadable');
    }
  }

  private fail(why: string): void {
    this.fileBad = true;
    this.problemText = `The settings file ${this.path} ${why}; the defaults are in use. Saving settings keeps the old file beside it as ${SETTINGS_FILE}.bad-<time>.`;
    this.o.log.error({ file: this.path, why }, 'settings: file unusable; defaults in use');
  }

  /** The file's contents (no secrets). */
  file(): SettingsFile {
    return structuredClone(this.data);
  }

  hasSecret(name: string): boolean {
    return this.secrets.has(name);
  }

  resolved(): ResolvedSettings {
    const a = this.data.archive;
    const secret = this.secrets.get(SECRET_S3);
    return {
      weather: { ...this.data.weather, apiKey: this.secrets.get(SECRET_WEATHER_API_KEY) ?? null },
      archive: a && secret ? { ...a, secretAccessKey: secret } : null,
    };
  }

  archiveView(): ArchiveSettingsView | null {
    const a = this.data.archive;
    return a && { ...a, secretAccessKeySet: this.secrets.has(SECRET_S3) };
  }

  /**
   * What the settings would be with `patch` applied (nothing saved): the
   * merged values with their secrets. Throws settings_invalid naming the field.
   */
  preview(input: SettingsPatch, opts: { envApiKey?: boolean } = {}): ResolvedSettings {
    const r = SettingsPatch.safeParse(input);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw invalid(issue?.path.join('.') || '(settings)', issue?.message ?? 'invalid value');
    }
    const patch = r.data;
    const cur = this.resolved();
    const w = patch.weather ?? {};
    const weather = {
      provider: w.provider ?? cur.weather.provider,
      baseUrl: w.baseUrl === undefined ? cur.weather.baseUrl : w.baseUrl,
      apiKey: w.apiKey === undefined ? cur.weather.apiKey : w.apiKey,
    };
    if (weather.provider === 'openweathermap' && weather.apiKey === null && opts.envApiKey !== true) {
      throw invalid('weather.apiKey', 'OpenWeatherMap needs an API key; enter yours or choose Open-Meteo (no key).');
    }
    let archive: ResolvedSettings['archive'] = this.data.archive
      ? { ...this.data.archive, secretAccessKey: this.secrets.get(SECRET_S3) ?? '' }
      : null;
    if (patch.archive === null) archive = null;
    else if (patch.archive !== undefined) {
      const base = archive ?? { ...ARCHIVE_DEFAULTS, bucket: '', accessKeyId: '', secretAccessKey: '' };
      const merged = { ...base };
      for (const [k, v] of Object.entries(patch.archive)) {
        if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
      }
      if (merged.bucket === '') throw invalid('archive.bucket', 'enter the bucket name.');
      if (merged.accessKeyId === '') throw invalid('archive.accessKeyId', 'enter the access key id.');
      if (merged.secretAccessKey === '') {
        throw invalid('archive.secretAccessKey', 'enter the secret access key (none is stored yet).');
      }
      archive = merged;
    } else if (archive && archive.secretAccessKey === '') {
      archive = null;
    }
    return { weather, archive };
  }

  /** Applies a patch: validated, secrets to the vault, the file written atomically. Serialised. */
  update(patch: SettingsPatch, opts: { envApiKey?: boolean } = {}): Promise<void> {
    const run = async (): Promise<void> => {
      const next = this.preview(patch, opts);
      const { secretAccessKey, ...archiveFile } = next.archive ?? { secretAccessKey: null };
      const file: SettingsFile = {
        version: 1,
        weather: { provider: next.weather.provider, baseUrl: next.weather.baseUrl },
        archive: next.archive ? (archiveFile as ArchiveFileSettings) : this.keepArchiveWithoutSecret(patch),
        savedAt: new Date().toISOString(),
      };
      // Validate what is written exactly as it will be read back.
      const checked = SettingsFile.safeParse(file);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw invalid(issue?.path.join('.') || '(settings)', issue?.message ?? 'invalid value');
      }
      ensureDirSync(this.o.dataDir);
      if (this.fileBad) await this.keepBadFileAside();
      await this.setSecret(SECRET_WEATHER_API_KEY, next.weather.apiKey);
      await this.setSecret(SECRET_S3, secretAccessKey ?? null);
      await writeFileAtomic(this.path, `${JSON.stringify(checked.data, null, 2)}\n`);
      this.data = checked.data;
      this.problemText = null;
      this.fileBad = false;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** An archive section whose secret went missing (unreadable vault) stays as it was unless the patch touches it. */
  private keepArchiveWithoutSecret(patch: SettingsPatch): ArchiveFileSettings | null {
    if (patch.archive !== undefined) return null;
    return this.data.archive;
  }

  private async setSecret(name: string, value: string | null): Promise<void> {
    try {
      if (value === null) {
        if (this.secrets.has(name)) await this.vault.delete(name);
        this.secrets.delete(name);
      } else if (this.secrets.get(name) !== value) {
        await this.vault.set(name, value);
        this.secrets.set(name, value);
      }
    } catch (err) {
      // The vault's own messages speak of camera tokens: say what it is here.
      throw new StationError(
        'settings_secrets_unwritable',
        `The settings secrets (${SETTINGS_SECRETS_FILE} in ${this.o.dataDir}) cannot be saved: ${errorMessage(err)} Move that file away and enter the secrets again.`,
        { cause: err },
      );
    }
  }

  private async keepBadFileAside(): Promise<void> {
    const aside = `${this.path}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.path, aside);
      this.o.log.warn({ file: aside }, 'settings: the unusable settings file was kept aside before saving');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StationError(
          'settings_unwritable',
          `Cannot move the unusable settings file ${this.path} aside (${errorMessage(err)}); move it yourself and save again.`,
          { cause: err },
        );
      }
    }
  }
}
