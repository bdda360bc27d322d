/**
 * Weather for the adaptive strategies (seed 001: "Weather APIs (cloud cover,
 * visibility, wind)", 15-minute refresh). Weather is optional: with no provider,
 * or when the provider fails, strategies use the sun alone.
 */
import { z } from 'zod';

export type WeatherCondition = 'clear' | 'cloudy' | 'fog' | 'drizzle' | 'rain' | 'snow' | 'thunderstorm' | 'unknown';

/** Current conditions, normalised across APIs (SI units; null when the API did not say). */
export interface WeatherObservation {
  readonly observed_at: string;
  readonly condition: WeatherCondition;
  readonly cloud_cover_percent: number | null;
  readonly precipitation_mm_h: number | null;
  readonly wind_speed_m_s: number | null;
  readonly visibility_m: number | null;
  readonly source: string;
}

export interface WeatherPlace {
  readonly latitude: number;
  readonly longitude: number;
}

/** Anything that can tell the current weather; resolves null rather than throwing. */
export interface WeatherProvider {
  current(place: WeatherPlace): Promise<WeatherObservation | null>;
}

export type WeatherApiKind = 'open-meteo' | 'openweathermap';

export interface HttpWeatherOptions {
  readonly kind: WeatherApiKind;
  /** e.g. "https://api.open-meteo.com" or "https://api.openweathermap.org" (tests: a local server). */
  readonly baseUrl: string;
  /** OpenWeatherMap `appid` (required there); Open-Meteo commercial `apikey` (optional). */
  readonly apiKey?: string;
  /** Cache lifetime; default 15 minutes. */
  readonly refreshMs?: number;
  /** After a failure, wait this long before asking again; default 60 s. */
  readonly retryMs?: number;
  /** A cached value older than this is not used as a fallback; default 3 h. */
  readonly maxStaleMs?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** WMO weather interpretation codes (Open-Meteo `weather_code`). */
export function conditionFromWmo(code: number): WeatherCondition {
  if (code <= 1) return 'clear';
  if (code <= 3) return 'cloudy';
  if (code === 45 || code === 48) return 'fog';
  if (code >= 51 && code <= 57) return 'drizzle';
  if ((code >= 61 && code <= 67) || (code >= 80 && code <= 82)) return 'rain';
  if ((code >= 71 && code <= 77) || code === 85 || code === 86) return 'snow';
  if (code >= 95 && code <= 99) return 'thunderstorm';
  return 'unknown';
}

/** OpenWeatherMap condition ids (2xx thunderstorm … 800 clear, 80x clouds). */
export function conditionFromOwm(id: number): WeatherCondition {
  if (id >= 200 && id < 300) return 'thunderstorm';
  if (id >= 300 && id < 400) return 'drizzle';
  if (id >= 500 && id < 600) return 'rain';
  if (id >= 600 && id < 700) return 'snow';
  if (id >= 700 && id < 800) return 'fog';
  if (id === 800) return 'clear';
  if (id > 800 && id < 900) return 'cloudy';
  return 'unknown';
}

const num = z.number().nullable().optional();

const OpenMeteoResponse = z.object({
  current: z.object({
    time: z.string(),
    weather_code: z.number(),
    cloud_cover: num,
    precipitation: num,
    wind_speed_10m: num,
    visibility: num,
  }),
  current_units: z.object({ wind_speed_10m: z.string().optional() }).optional(),
});

const OwmResponse = z.object({
  dt: z.number(),
  weather: z.array(z.object({ id: z.number() })).min(1),
  clouds: z.object({ all: z.number() }).optional(),
  wind: z.object({ speed: z.number() }).optional(),
  visibility: z.number().optional(),
  rain: z.object({ '1h': z.number().optional() }).optional(),
  snow: z.object({ '1h': z.number().optional() }).optional(),
});

function fromOpenMeteo(json: unknown): WeatherObservation {
  const r = OpenMeteoResponse.parse(json);
  const c = r.current;
  const unit = r.current_units?.wind_speed_10m ?? 'km/h';
  const wind = c.wind_speed_10m ?? null;
  const time = c.time.endsWith('Z') || /[+-]\d\d:\d\d$/.test(c.time) ? c.time : `${c.time}Z`;
  return {
    observed_at: new Date(time).toISOString(),
    condition: conditionFromWmo(c.weather_code),
    cloud_cover_percent: c.cloud_cover ?? null,
    precipitation_mm_h: c.precipitation ?? null,
    wind_speed_m_s: wind === null ? null : unit === 'm/s' ? wind : wind / 3.6,
    visibility_m: c.visibility ?? null,
    source: 'open-meteo',
  };
}

function fromOwm(json: unknown): WeatherObservation {
  const r = OwmResponse.parse(json);
  const rain = r.rain?.['1h'];
  const snow = r.snow?.['1h'];
  return {
    observed_at: new Date(r.dt * 1000).toISOString(),
    condition: conditionFromOwm(r.weather[0]?.id ?? 0),
    cloud_cover_percent: r.clouds?.all ?? null,
    precipitation_mm_h: rain !== undefined || snow !== undefined ? (rain ?? 0) + (snow ?? 0) : 0,
    wind_speed_m_s: r.wind?.speed ?? null,
    visibility_m: r.visibility ?? null,
    source: 'openweathermap',
  };
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

interface CacheEntry {
  value: WeatherObservation | null;
  fetchedAt: number;
  failedAt: number | null;
}

/**
 * An HTTP weather provider for Open-Meteo or OpenWeatherMap style APIs. Answers
 * are cached per place (2 decimals of lat/lon) for `refreshMs`; concurrent
 * callers share one request. On any failure it never throws: it returns the
 * last good value while it is younger than `maxStaleMs`, else null, records
 * `lastError`, and waits `retryMs` before trying again.
 */
export class HttpWeatherProvider implements WeatherProvider {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<WeatherObservation | null>>();
  private readonly opts: Required<Omit<HttpWeatherOptions, 'apiKey'>> & { apiKey: string | undefined };
  /** The last failure, for the operator; null after a success. */
  lastError: string | null = null;
  /** HTTP requests sent (for metrics and tests). */
  requests = 0;

  constructor(options: HttpWeatherOptions) {
    this.opts = {
      kind: options.kind,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      apiKey: options.apiKey,
      refreshMs: options.refreshMs ?? 15 * 60_000,
      retryMs: options.retryMs ?? 60_000,
      maxStaleMs: options.maxStaleMs ?? 3 * 3_600_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      now: options.now ?? Date.now,
      fetch: options.fetch ?? fetch,
    };
  }

  /** The request URL for a place (exposed for tests and logs; the key is included). */
  url(place: WeatherPlace): string {
    const { kind, baseUrl, apiKey } = this.opts;
    const lat = place.latitude.toFixed(4);
    const lon = place.longitude.toFixed(4);
    if (kind === 'open-meteo') {
      const q = new URLSearchParams({
        latitude: lat,
        longitude: lon,
        current: 'weather_code,cloud_cover,precipitation,wind_speed_10m,visibility',
        wind_speed_unit: 'ms',
      });
      if (apiKey) q.set('apikey', apiKey);
      return `${baseUrl}/v1/forecast?${q.toString()}`;
    }
    const q = new URLSearchParams({ lat, lon, units: 'metric' });
    if (apiKey) q.set('appid', apiKey);
    return `${baseUrl}/data/2.5/weather?${q.toString()}`;
  }

  async current(place: WeatherPlace): Promise<WeatherObservation | null> {
    const key = `${place.latitude.toFixed(2)},${place.longitude.toFixed(2)}`;
    const now = this.opts.now();
    const entry = this.cache.get(key);
    if (entry) {
      if (entry.failedAt === null && now - entry.fetchedAt < this.opts.refreshMs) return entry.value;
      if (entry.failedAt !== null && now - entry.failedAt < this.opts.retryMs) return this.fallback(entry, now);
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const request = this.fetchNow(key, place).finally(() => this.inflight.delete(key));
    this.inflight.set(key, request);
    return request;
  }

  private fallback(entry: CacheEntry | undefined, now: number): WeatherObservation | null {
    if (!entry?.value) return null;
    return now - entry.fetchedAt < this.opts.maxStaleMs ? entry.value : null;
  }

  /**
   * One request now, bypassing the cache; throws a sentence saying what went
   * wrong (the Settings screen's "Test connection").
   */
  async fetchOnce(place: WeatherPlace): Promise<WeatherObservation> {
    this.requests += 1;
    let res: Response;
    try {
      res = await this.opts.fetch(this.url(place), {
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why = err instanceof Error && err.name === 'TimeoutError' ? 'no answer in time' : (cause ?? errorText(err));
      throw new Error(`cannot reach ${this.opts.baseUrl} (${why})`, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      throw new Error(`the weather service refused the API key (HTTP ${res.status}); check the key`);
    }
    if (!res.ok) throw new Error(`the weather service answered HTTP ${res.status}`);
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new Error('the weather service answered something that is not JSON');
    }
    try {
      return this.opts.kind === 'open-meteo' ? fromOpenMeteo(json) : fromOwm(json);
    } catch {
      throw new Error(`the answer is not a ${this.opts.kind} current-weather answer (wrong provider or address?)`);
    }
  }

  private async fetchNow(key: string, place: WeatherPlace): Promise<WeatherObservation | null> {
    try {
      const value = await this.fetchOnce(place);
      this.cache.set(key, { value, fetchedAt: this.opts.now(), failedAt: null });
      this.lastError = null;
      return value;
    } catch (err) {
      const now = this.opts.now();
      const previous = this.cache.get(key);
      this.lastError = `Weather unavailable (${errorText(err)}); using the sun only until it answers again.`;
      this.cache.set(key, { value: previous?.value ?? null, fetchedAt: previous?.fetchedAt ?? 0, failedAt: now });
      return this.fallback(previous, now);
    }
  }
}
