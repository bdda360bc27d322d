/**
 * The station settings part of the station API (getSettings, updateSettings,
 * testWeather, testArchive): what the Settings screen edits instead of
 * environment variables and API-only fields (issues #5 and #6).
 *
 * Pure TypeScript + zod, no Node imports: the renderer, the preload and the
 * CLI import it through src-main/api/contract.ts. Secrets (the weather API key,
 * the S3 secret access key) are write-only: a view only says whether one is set.
 */
import { z } from 'zod';
import { returns } from '../api/method.js';
import type { S3SettingsView } from '../export/api-types.js';

export const WEATHER_PROVIDERS = ['none', 'open-meteo', 'openweathermap'] as const;
export type WeatherProviderName = (typeof WEATHER_PROVIDERS)[number];

const httpUrl = (what: string) =>
  z
    .string()
    .max(512)
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
        } catch {
          return false;
        }
      },
      { message: `${what} must be an http:// or https:// address, like https://s3.example.com` },
    );

const Secret = (what: string) =>
  z
    .string()
    .min(1, `${what} cannot be empty`)
    .max(256, `${what} is at most 256 characters`)
    .refine((s) => s.trim() === s && !/[\r\n]/.test(s), { message: `${what} has spaces or line breaks around it` });

export const WeatherSettingsPatch = z.strictObject({
  provider: z.enum(WEATHER_PROVIDERS, { message: 'provider is none, open-meteo or openweathermap' }).optional(),
  /** Write-only. null removes the stored key; omit to keep it. */
  apiKey: Secret('the API key').nullable().optional(),
  /** Another server than the provider's public one (self-hosted, tests); null: the provider's own. */
  baseUrl: httpUrl('the weather server').nullable().optional(),
});
export type WeatherSettingsPatch = z.input<typeof WeatherSettingsPatch>;

/** S3 bucket names: 3–63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. */
export const BucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    'the bucket name is 3 to 63 lowercase letters, digits, dots and hyphens',
  );

export const ArchiveSettingsPatch = z.strictObject({
  /** The S3-compatible server; null: AWS itself (from the region). */
  endpoint: httpUrl('the endpoint').nullable().optional(),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'the region is lowercase letters, digits and hyphens, like us-east-1')
    .optional(),
  bucket: BucketName.optional(),
  /** Key prefix for everything this station uploads, e.g. "skystation/" ("" for none). */
  prefix: z
    .string()
    .max(256, 'the prefix is at most 256 characters')
    .regex(/^(?!\/)[^\\\r\n]*$/, 'the prefix must not start with "/" nor hold backslashes or line breaks')
    .optional(),
  accessKeyId: z
    .string()
    .min(1, 'the access key id cannot be empty')
    .max(256)
    .regex(/^\S+$/, 'the access key id has no spaces')
    .optional(),
  /** Write-only; omit to keep the stored one. */
  secretAccessKey: Secret('the secret access key').optional(),
  /** Path-style URLs (http://host/bucket/key): most self-hosted servers need it. */
  forcePathStyle: z.boolean().optional(),
  /** Upload every finished export. */
  uploadExports: z.boolean().optional(),
  /** Also upload the original images as they are imported. */
  uploadOriginals: z.boolean().optional(),
});
export type ArchiveSettingsPatch = z.input<typeof ArchiveSettingsPatch>;

export const SettingsPatch = z.strictObject({
  weather: WeatherSettingsPatch.optional(),
  /** null removes the archive settings (and the stored secret). */
  archive: ArchiveSettingsPatch.nullable().optional(),
});
export type SettingsPatch = z.input<typeof SettingsPatch>;

export const TestWeatherParams = z.strictObject({
  /** Unsaved values to try (merged over the saved ones); omit to test what is saved. */
  weather: WeatherSettingsPatch.optional(),
});
export const TestArchiveParams = z.strictObject({
  archive: ArchiveSettingsPatch.optional(),
});

export interface WeatherSettingsView {
  provider: WeatherProviderName;
  baseUrl: string | null;
  apiKeySet: boolean;
  /** What the station uses now, after the environment's precedence. */
  effective: {
    provider: WeatherProviderName;
    baseUrl: string | null;
    apiKeySet: boolean;
    /** "environment": SKYSTATION_WEATHER (or the program that started the brain) chose the provider. */
    source: 'settings' | 'environment';
  };
  /** Environment variables that override or fill in these settings. */
  environment: string[];
  /** The live provider's last failure (null after a success or with no provider). */
  lastError: string | null;
}

export interface ArchiveSettingsView extends S3SettingsView {
  uploadExports: boolean;
  uploadOriginals: boolean;
}

export interface SettingsView {
  weather: WeatherSettingsView;
  /** null: no archive set here (the exports' own settings, if any, apply). */
  archive: ArchiveSettingsView | null;
  /** Where the settings live, and why they could not be read (defaults are then in use). */
  file: { path: string; problem: string | null };
  /** How the secrets are kept: a file only this user can read, or sealed with the OS keychain. */
  secrets: 'file' | 'encrypted';
}

export interface WeatherTestResult {
  provider: Exclude<WeatherProviderName, 'none'>;
  /** The address asked, without the key. */
  url: string;
  place: { latitude: number; longitude: number };
  observation: {
    observed_at: string;
    condition: string;
    cloud_cover_percent: number | null;
    precipitation_mm_h: number | null;
    wind_speed_m_s: number | null;
    visibility_m: number | null;
    source: string;
  };
}

export interface ArchiveTestResult {
  endpoint: string | null;
  bucket: string;
  prefix: string;
  /** Objects found under the prefix (at most 1000 counted). */
  objects: number;
  truncated: boolean;
}

const Empty = z.strictObject({}).default({});

/** The settings methods, merged into the contract's `methods`. */
export const settingsMethods = {
  getSettings: { params: Empty, result: returns<SettingsView>() },
  updateSettings: { params: SettingsPatch, result: returns<SettingsView>() },
  testWeather: { params: TestWeatherParams.default({}), result: returns<WeatherTestResult>() },
  testArchive: { params: TestArchiveParams.default({}), result: returns<ArchiveTestResult>() },
} as const;

export type SettingsMethodName = keyof typeof settingsMethods;
