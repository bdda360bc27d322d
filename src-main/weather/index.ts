/** Weather for adaptive strategies: optional, cached, never throws. */
/** WeatherProvider: current(place) → WeatherObservation | null. HttpWeatherProvider: Open-Meteo / OpenWeatherMap client with a 15-minute cache. */
export {
  HttpWeatherProvider,
  conditionFromOwm,
  conditionFromWmo,
  type HttpWeatherOptions,
  type WeatherApiKind,
  type WeatherCondition,
  type WeatherObservation,
  type WeatherPlace,
  type WeatherProvider,
} from './provider.js';
export { SwitchableWeatherProvider } from './switchable.js';
export { DEFAULT_WEATHER_URLS, weatherEnvDefaults, weatherFromEnv } from './from-env.js';
