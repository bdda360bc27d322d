import type { SensorBaseOptions } from './base.js';
import { SensorBase } from './base.js';

export const DEFAULT_SIMULATED_INTERVAL_MS = 10_000;

export interface SimulatedSensorOptions extends SensorBaseOptions {
  intervalMs?: number;
  /** Degrees east; shifts the diurnal curves to local solar time. */
  longitude?: number;
  /** Daily mean temperature and half the day-night swing, °C. */
  meanTemperatureC?: number;
  amplitudeC?: number;
  /** Dew point held constant through the day; humidity follows from it. */
  dewPointC?: number;
  /**
   * Ground illuminance at a time. The agent passes the camera's sky model
   * (`(t) => skyState(location, t).lux`); without it a simple day/night curve is used.
   */
  lux?: (time: Date) => number;
  /** Uniform 0..1 source for measurement noise (tests pass a fixed one). */
  random?: () => number;
}

/** Hours since local solar midnight, 0..24. */
export function solarHour(time: Date, longitude: number): number {
  const utcHours = time.getUTCHours() + time.getUTCMinutes() / 60 + time.getUTCSeconds() / 3600;
  return (((utcHours + longitude / 15) % 24) + 24) % 24;
}

/** Air temperature: coldest near sunrise (~05:00), warmest mid-afternoon (~15:00). */
export function diurnalTemperatureC(hour: number, mean: number, amplitude: number): number {
  return mean + amplitude * Math.cos(((hour - 15) / 24) * 2 * Math.PI);
}

/** Relative humidity from temperature and dew point (Magnus formula), 0..100. */
export function relativeHumidityPercent(temperatureC: number, dewPointC: number): number {
  const magnus = (t: number): number => (17.62 * t) / (243.12 + t);
  const rh = 100 * Math.exp(magnus(dewPointC) - magnus(temperatureC));
  return Math.min(100, Math.max(0, rh));
}

/**
 * A simple day/night illuminance: a sun that rises at 06:00 and sets at 18:00
 * solar time, ~100 000 lx at noon, ~400 lx at sunset, falling through
 * twilight to starlight (0.001 lx).
 */
export function simpleDayLux(hour: number): number {
  const elevation = Math.sin(((hour - 6) / 12) * Math.PI); // -1..1, 0 at sunrise/sunset
  if (elevation > 0) return 400 + 99_600 * elevation;
  return Math.max(0.001, 400 * Math.exp(elevation * 25));
}

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Plausible readings with no hardware: production code, used on laptops and in demos. */
export class SimulatedSensor extends SensorBase {
  readonly kind = 'simulated' as const;
  private readonly intervalMs: number;
  private readonly longitude: number;
  private readonly mean: number;
  private readonly amplitude: number;
  private readonly dewPoint: number;
  private readonly luxAt: ((time: Date) => number) | undefined;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: SimulatedSensorOptions) {
    super(options);
    this.intervalMs = options.intervalMs ?? DEFAULT_SIMULATED_INTERVAL_MS;
    this.longitude = options.longitude ?? 0;
    this.mean = options.meanTemperatureC ?? 10;
    this.amplitude = options.amplitudeC ?? 6;
    this.dewPoint = options.dewPointC ?? 2;
    this.luxAt = options.lux;
    this.random = options.random ?? Math.random;
  }

  start(): Promise<void> {
    if (this.timer !== null) return Promise.resolve();
    this.markConnected();
    this.tick();
    this.timer = setInterval(() => {
      this.tick();
    }, this.intervalMs);
    this.timer.unref();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.markStopped();
    return Promise.resolve();
  }

  /** The values the sensor would report at `time` (noise included). */
  sample(time: Date): { temperature_c: number; humidity_percent: number; lux: number } {
    const hour = solarHour(time, this.longitude);
    const noise = (scale: number): number => (this.random() - 0.5) * 2 * scale;
    const temperature = diurnalTemperatureC(hour, this.mean, this.amplitude) + noise(0.15);
    const humidity = relativeHumidityPercent(temperature, this.dewPoint) + noise(0.8);
    const lux = (this.luxAt === undefined ? simpleDayLux(hour) : this.luxAt(time)) * (1 + noise(0.02));
    return {
      temperature_c: round(temperature, 2),
      humidity_percent: round(Math.min(100, Math.max(0, humidity)), 1),
      lux: round(Math.min(200_000, Math.max(0, lux)), 3),
    };
  }

  private tick(): void {
    const now = this.clock.now();
    let values: ReturnType<SimulatedSensor['sample']>;
    try {
      values = this.sample(now);
    } catch (err) {
      // A supplied lux function that throws must not escape a timer and end the process.
      this.markFailed(
        'simulated_sample_failed',
        `Simulated sensor could not compute a reading: ${err instanceof Error ? err.message : String(err)}`,
        this.intervalMs,
      );
      return;
    }
    this.markConnected();
    this.emitReading(values, now.toISOString());
  }
}
