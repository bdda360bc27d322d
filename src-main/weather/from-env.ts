import { z } from 'zod';
import { StationError } from '../util/errors.js';
import { HttpWeatherProvider } from './provider.js';

/** The providers' public servers. */
export const DEFAULT_WEATHER_URLS = {
  'open-meteo': 'https://api.open-meteo.com',
  openweathermap: 'https://api.openweathermap.org',
} as const;

const WeatherEnv = z.object({
  SKYSTATION_WEATHER: z.enum(['off', 'open-meteo', 'openweathermap']).default('off'),
  SKYSTATION_WEATHER_URL: z.url().optional(),
  SKYSTATION_WEATHER_API_KEY: z.string().min(1).optional(),
});

/**
 * The optional weather provider of the adaptive strategies, from the
 * environment: SKYSTATION_WEATHER=open-meteo|openweathermap (default off),
 * SKYSTATION_WEATHER_API_KEY (OpenWeatherMap needs one), and
 * SKYSTATION_WEATHER_URL to use another server (tests: a local one).
 *
 * Precedence with the Settings screen (src-main/settings/service.ts):
 * SKYSTATION_WEATHER set to a provider overrides the saved settings; with it
 * unset or "off" the saved settings decide, and SKYSTATION_WEATHER_API_KEY /
 * SKYSTATION_WEATHER_URL fill in a key or server they leave empty.
 */
export function weatherFromEnv(env: NodeJS.ProcessEnv = process.env): HttpWeatherProvider | null {
  const parsed = WeatherEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StationError(
      'weather_settings_invalid',
      `${issue?.path.join('.') ?? 'SKYSTATION_WEATHER'}: ${issue?.message ?? 'invalid'} (SKYSTATION_WEATHER is off, open-meteo or openweathermap).`,
    );
  }
  const e = parsed.data;
  if (e.SKYSTATION_WEATHER === 'off') return null;
  if (e.SKYSTATION_WEATHER === 'openweathermap' && !e.SKYSTATION_WEATHER_API_KEY) {
    throw new StationError(
      'weather_settings_invalid',
      'OpenWeatherMap needs an API key: set SKYSTATION_WEATHER_API_KEY, or use SKYSTATION_WEATHER=open-meteo (no key).',
    );
  }
  return new HttpWeatherProvider({
    kind: e.SKYSTATION_WEATHER,
    baseUrl: e.SKYSTATION_WEATHER_URL ?? DEFAULT_WEATHER_URLS[e.SKYSTATION_WEATHER],
    ...(e.SKYSTATION_WEATHER_API_KEY ? { apiKey: e.SKYSTATION_WEATHER_API_KEY } : {}),
  });
}

/**
 * The weather variables that fill in saved settings (src-main/settings): a key
 * or server given in the environment is used when Settings has none. Invalid
 * values are left out (weatherFromEnv reports them at start-up).
 */
export function weatherEnvDefaults(env: NodeJS.ProcessEnv = process.env): {
  apiKey: string | null;
  baseUrl: string | null;
  names: string[];
} {
  const key = WeatherEnv.shape.SKYSTATION_WEATHER_API_KEY.safeParse(env['SKYSTATION_WEATHER_API_KEY']);
  const url = WeatherEnv.shape.SKYSTATION_WEATHER_URL.safeParse(env['SKYSTATION_WEATHER_URL']);
  const apiKey = key.success ? (key.data ?? null) : null;
  const baseUrl = url.success ? (url.data ?? null) : null;
  const names = [
    ...(env['SKYSTATION_WEATHER'] && env['SKYSTATION_WEATHER'] !== 'off' ? ['SKYSTATION_WEATHER'] : []),
    ...(apiKey ? ['SKYSTATION_WEATHER_API_KEY'] : []),
    ...(baseUrl ? ['SKYSTATION_WEATHER_URL'] : []),
  ];
  return { apiKey, baseUrl, names };
}
