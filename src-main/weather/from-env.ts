import { z } from 'zod';
import { StationError } from '../util/errors.js';
import { HttpWeatherProvider } from './provider.js';

const DEFAULT_URLS = {
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
    baseUrl: e.SKYSTATION_WEATHER_URL ?? DEFAULT_URLS[e.SKYSTATION_WEATHER],
    ...(e.SKYSTATION_WEATHER_API_KEY ? { apiKey: e.SKYSTATION_WEATHER_API_KEY } : {}),
  });
}
