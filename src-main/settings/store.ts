/**
 * The station's settings (weather provider, S3 archive): one document in the
 * station database (station_settings, key "settings"), validated with zod when
 * loaded and on every update. Stations before issue #13 kept it in
 * <dataDir>/settings.json; that file is imported once at start
 * (src-main/state/legacy-import.ts) and renamed settings.json.migrated.
 *
 * Secrets (the weather API key, the S3 secret access key) are not in that
 * document: they are kept like the cameras' access tokens, in a TokenVault
 * (<dataDir>/settings-secrets.json, 0600, or sealed with the OS keychain when
 * the Electron shell passes one), so that a copy of the database carries no
 * secret. Nothing here returns a secret to a UI; the views say only whether
 * one is set.
 *
 * A damaged document, or an old settings.json that could not be imported, is
 * never used silently: the defaults are in use and the problem is reported
 * (view.file.problem and the log); the old file is left as it is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FileTokenVault, type TokenCipher, type TokenVault } from '../agents/token-store.js';
import type { Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { ensureDirSync } from '../util/atomic.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import {
  ArchiveSettingsPatch,
  SettingsPatch,
  WeatherSettingsPatch,
  type ArchiveSettingsView,
  type WeatherProviderName,
} from './api-types.js';

/** The file of stations before issue #13 (imported once; see src-main/state/legacy-import.ts). */
export const SETTINGS_FILE = 'settings.json';
/** The settings document's key in the station database's station_settings table. */
export const SETTINGS_KEY = 'settings';
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
  /** The station database: the settings document lives there. */
  db: Db;
  log: Logger;
  /** Where the secrets are kept; default <dataDir>/settings-secrets.json (0600). */
  vault?: TokenVault | undefined;
}

function invalid(field: string, message: string): StationError {
  return new StationError('settings_invalid', `${field}: ${message}`);
}

export class SettingsStore {
  /** Where the settings are kept, for the views: the station database's file. */
  readonly path: string;
  private readonly vault: TokenVault;
  private readonly repo: OrchestrationRepo;
  private data: SettingsFile = structuredClone(DEFAULT_SETTINGS);
  private secrets = new Map<string, string>();
  private problemText: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SettingsStoreOptions) {
    this.path = o.db.name;
    this.repo = new OrchestrationRepo(o.db);
    this.vault = o.vault ?? settingsSecretsVault(o.dataDir);
  }

  get secretsKind(): 'file' | 'encrypted' {
    return this.vault.kind;
  }

  /** Why the file could not be used (defaults are in use), or null. */
  get problem(): string | null {
    return this.problemText;
  }

  /** Reads the settings and the secrets; never throws for bad ones (see `problem`). */
  async load(): Promise<void> {
    this.data = structuredClone(DEFAULT_SETTINGS);
    this.problemText = null;
    const stored = this.repo.getSetting(SETTINGS_KEY);
    if (stored !== undefined) {
      const r = SettingsFile.safeParse(stored);
      if (r.success) this.data = r.data;
      else {
        const issue = r.error.issues[0];
        this.fail(
          `The stored settings have a bad value at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}; the defaults are in use until the settings are saved again.`,
        );
      }
    } else if (existsSync(join(this.o.dataDir, SETTINGS_FILE))) {
      // Left in place by the import at start: it could not be read (the alert says why).
      this.fail(
        `The settings file ${join(this.o.dataDir, SETTINGS_FILE)} of an earlier Skystation could not be imported; the defaults are in use. Fix the file and restart, or save the settings here (the file is left as it is).`,
      );
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

  private fail(problem: string): void {
    this.problemText = problem;
    this.o.log.error({ problem }, 'settings: stored settings unusable; defaults in use');
  }

  /** The stored document (no secrets). */
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

  /** Applies a patch: validated, secrets to the vault, the document to the database. Serialised. */
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
      await this.setSecret(SECRET_WEATHER_API_KEY, next.weather.apiKey);
      await this.setSecret(SECRET_S3, secretAccessKey ?? null);
      this.repo.setSetting(SETTINGS_KEY, checked.data);
      this.data = checked.data;
      this.problemText = null;
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
}
