/**
 * StationSettings: the Settings screen's side of the brain. It owns the
 * settings store and applies every change at once, with no restart:
 *
 * - Weather: the orchestration holds one SwitchableWeatherProvider for its
 *   life; an update puts a new HttpWeatherProvider in it (empty cache).
 * - Archive: the export service's archive target (ExportService.useArchiveSettings).
 *
 * Precedence for the weather (documented in the README):
 *   1. SKYSTATION_WEATHER=open-meteo|openweathermap in the environment (the
 *      program that starts the brain builds that provider and passes it as
 *      `fixedWeather`) wins: the screen shows the saved values and that the
 *      environment overrides them;
 *   2. otherwise the saved settings; SKYSTATION_WEATHER_API_KEY and
 *      SKYSTATION_WEATHER_URL fill in a key or server the settings leave empty;
 *   3. otherwise no weather (the strategies follow the sun only).
 */
import type { z } from 'zod';
import type { TokenVault } from '../agents/token-store.js';
import type { Db } from '../db/database.js';
import { checkS3, type ArchiveCheckResult } from '../archive/check.js';
import type { ArchiveTarget } from '../export/service.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { DEFAULT_WEATHER_URLS, weatherEnvDefaults } from '../weather/from-env.js';
import { HttpWeatherProvider, type WeatherPlace, type WeatherProvider } from '../weather/provider.js';
import { SwitchableWeatherProvider } from '../weather/switchable.js';
import type {
  settingsMethods,
  SettingsPatch,
  SettingsView,
  WeatherProviderName,
  WeatherTestResult,
} from './api-types.js';
import { SettingsStore, type ResolvedSettings } from './store.js';

export interface StationSettingsOptions {
  dataDir: string;
  /** The station database (the settings document lives there). */
  db: Db;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where the secrets are kept (default: a 0600 file in dataDir). */
  vault?: TokenVault | undefined;
  /** A provider chosen by the environment or the embedding program; it wins over the settings. */
  fixedWeather?: WeatherProvider | null | undefined;
  /** The station's place (the orchestration's location), for "Test connection". */
  location: () => WeatherPlace | null;
  /** The export service (or anything taking an archive target). */
  archive?: { useArchiveSettings(target: ArchiveTarget | null): void } | undefined;
  /** Test hooks for the HTTP weather provider (timeouts). */
  weatherTimeoutMs?: number;
}

type Methods = typeof settingsMethods;
export type SettingsHandlers = {
  [M in keyof Methods]: (params: z.output<Methods[M]['params']>) => Promise<Methods[M]['result']>;
};

function weatherConfig(
  w: ResolvedSettings['weather'],
  env: ReturnType<typeof weatherEnvDefaults>,
): { kind: Exclude<WeatherProviderName, 'none'>; baseUrl: string; apiKey: string | null } | null {
  if (w.provider === 'none') return null;
  return {
    kind: w.provider,
    baseUrl: w.baseUrl ?? env.baseUrl ?? DEFAULT_WEATHER_URLS[w.provider],
    apiKey: w.apiKey ?? env.apiKey,
  };
}

/** The S3 connection of archive settings (what the archive uploads with and the archive test checks). */
function s3Of(a: NonNullable<ResolvedSettings['archive']>): NonNullable<ArchiveTarget['s3']> {
  const { endpoint, region, bucket, prefix, accessKeyId, secretAccessKey, forcePathStyle } = a;
  return { endpoint, region, bucket, prefix, accessKeyId, secretAccessKey, forcePathStyle };
}

function toTarget(a: ResolvedSettings['archive']): ArchiveTarget | null {
  if (!a) return null;
  return { archiveExports: a.uploadExports, archiveOriginals: a.uploadOriginals, s3: s3Of(a) };
}

export class StationSettings {
  /** The provider the orchestration asks; swapped on every weather change. */
  readonly weather: SwitchableWeatherProvider;
  readonly store: SettingsStore;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fixed: WeatherProvider | null;

  private constructor(private readonly o: StationSettingsOptions) {
    this.env = o.env ?? process.env;
    this.fixed = o.fixedWeather ?? null;
    this.weather = new SwitchableWeatherProvider(this.fixed);
    this.store = new SettingsStore({ dataDir: o.dataDir, db: o.db, log: o.log, vault: o.vault });
  }

  static async start(o: StationSettingsOptions): Promise<StationSettings> {
    const s = new StationSettings(o);
    await s.store.load();
    s.apply(true, true);
    return s;
  }

  private envDefaults(): ReturnType<typeof weatherEnvDefaults> {
    return weatherEnvDefaults(this.env);
  }

  /** Puts the saved settings to work: a fresh weather provider, the archive target. */
  private apply(weather: boolean, archive: boolean): void {
    const r = this.store.resolved();
    if (weather && this.fixed === null) {
      const cfg = weatherConfig(r.weather, this.envDefaults());
      this.weather.use(
        cfg && (cfg.kind !== 'openweathermap' || cfg.apiKey)
          ? new HttpWeatherProvider({
              kind: cfg.kind,
              baseUrl: cfg.baseUrl,
              ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}),
            })
          : null,
      );
      this.o.log.info(
        { provider: cfg?.kind ?? 'none', baseUrl: cfg?.baseUrl ?? null },
        'settings: weather provider in use',
      );
    }
    if (archive) this.o.archive?.useArchiveSettings(toTarget(r.archive));
  }

  view(): SettingsView {
    const file = this.store.file();
    const env = this.envDefaults();
    const saved = this.store.resolved().weather;
    const fixed = this.fixed as { url?: (p: WeatherPlace) => string } | null;
    let effective: SettingsView['weather']['effective'];
    if (this.fixed) {
      const envKind = this.env['SKYSTATION_WEATHER'];
      const provider: WeatherProviderName =
        envKind === 'open-meteo' || envKind === 'openweathermap' ? envKind : 'open-meteo';
      const sample = fixed?.url?.({ latitude: 0, longitude: 0 });
      effective = {
        provider,
        baseUrl: sample ? new URL(sample).origin : null,
        apiKeySet: env.apiKey !== null,
        source: 'environment',
      };
    } else {
      const cfg = weatherConfig(saved, env);
      effective = {
        provider: cfg?.kind ?? 'none',
        baseUrl: cfg?.baseUrl ?? null,
        apiKeySet: cfg?.apiKey != null,
        source: 'settings',
      };
    }
    return {
      weather: {
        provider: file.weather.provider,
        baseUrl: file.weather.baseUrl,
        apiKeySet: saved.apiKey !== null,
        effective,
        environment: env.names,
        lastError: this.weather.lastError,
      },
      archive: this.store.archiveView(),
      file: { path: this.store.path, problem: this.store.problem },
      secrets: this.store.secretsKind,
    };
  }

  async update(patch: SettingsPatch): Promise<SettingsView> {
    await this.store.update(patch, { envApiKey: this.envDefaults().apiKey !== null });
    this.apply(patch.weather !== undefined, patch.archive !== undefined);
    this.o.log.info(
      { weather: patch.weather !== undefined, archive: patch.archive !== undefined },
      'settings: saved and applied',
    );
    return this.view();
  }

  /** Fetches the current weather once (no cache) with the saved settings, or with unsaved ones to try. */
  async testWeather(p: { weather?: SettingsPatch['weather'] }): Promise<WeatherTestResult> {
    const next = this.store.preview(p.weather ? { weather: p.weather } : {}, {
      envApiKey: this.envDefaults().apiKey !== null,
    });
    const cfg = weatherConfig(next.weather, this.envDefaults());
    if (!cfg) {
      throw new StationError(
        'weather_off',
        'No weather provider is chosen; choose Open-Meteo or OpenWeatherMap first.',
      );
    }
    const place = this.o.location();
    if (!place) {
      throw new StationError(
        'location_missing',
        "The station's location is not set; set it (Schedules) so the weather can be asked for that place.",
      );
    }
    const provider = new HttpWeatherProvider({
      kind: cfg.kind,
      baseUrl: cfg.baseUrl,
      ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}),
      ...(this.o.weatherTimeoutMs !== undefined ? { timeoutMs: this.o.weatherTimeoutMs } : {}),
    });
    const url = new URL(provider.url(place));
    for (const k of ['appid', 'apikey']) if (url.searchParams.has(k)) url.searchParams.set(k, '***');
    try {
      const observation = await provider.fetchOnce(place);
      return {
        provider: cfg.kind,
        url: url.toString(),
        place: { latitude: place.latitude, longitude: place.longitude },
        observation,
      };
    } catch (err) {
      throw new StationError(
        'weather_test_failed',
        `The weather test failed: ${err instanceof Error ? err.message : String(err)}.`,
      );
    }
  }

  /** HeadBucket + ListObjectsV2 with the saved archive settings, or with unsaved ones to try. */
  async testArchive(p: { archive?: SettingsPatch['archive'] }): Promise<ArchiveCheckResult> {
    const next = this.store.preview(p.archive ? { archive: p.archive } : {});
    const a = next.archive;
    if (!a) {
      throw new StationError('archive_not_configured', 'No S3 archive is set; enter the bucket and keys first.');
    }
    return checkS3(s3Of(a));
  }

  handlers(): SettingsHandlers {
    return {
      getSettings: () => Promise.resolve(this.view()),
      updateSettings: (p) => this.update(p),
      testWeather: (p) => this.testWeather(p),
      testArchive: (p) => this.testArchive(p),
    };
  }
}
