import type { WeatherObservation, WeatherPlace, WeatherProvider } from './provider.js';

/**
 * The weather provider the orchestration holds for its whole life, while the
 * operator changes the real one in Settings: `use()` swaps what it asks (a new
 * provider starts with an empty cache), with no restart. With none it answers
 * null, so the strategies follow the sun only.
 */
export class SwitchableWeatherProvider implements WeatherProvider {
  private inner: WeatherProvider | null;

  constructor(initial: WeatherProvider | null = null) {
    this.inner = initial;
  }

  use(provider: WeatherProvider | null): void {
    this.inner = provider;
  }

  get provider(): WeatherProvider | null {
    return this.inner;
  }

  /** The current provider's last failure, when it records one. */
  get lastError(): string | null {
    const e = (this.inner as { lastError?: unknown } | null)?.lastError;
    return typeof e === 'string' ? e : null;
  }

  current(place: WeatherPlace): Promise<WeatherObservation | null> {
    return this.inner ? this.inner.current(place) : Promise.resolve(null);
  }
}
