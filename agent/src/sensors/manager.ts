import type { Clock } from '../sky/clock.js';
import { systemClock } from '../sky/clock.js';
import type { Logger } from '../util/log.js';
import { Emitter } from './base.js';
import type {
  MalformedLine,
  Sensor,
  SensorKind,
  SensorProblem,
  SensorReading,
  SensorState,
  SensorStateChange,
  SensorWarning,
  Unsubscribe,
} from './types.js';

/** Plain counters and state per sensor, ready to map onto Prometheus metrics. */
export interface SensorStats {
  sensor: string;
  kind: SensorKind;
  state: SensorState | 'failed';
  connected: boolean;
  readings_total: number;
  malformed_total: number;
  warnings_total: number;
  /** Successful reopenings after the first connect. */
  reconnects_total: number;
  /** Failed attempts (open failures, disconnects, failing runs). */
  failures_total: number;
  last_reading_at: string | null;
  last_error: SensorProblem | null;
}

/** The freshest value of each quantity across all sensors (for capture records and /status). */
export interface CurrentConditions {
  temperature_c: number | null;
  humidity_percent: number | null;
  lux: number | null;
}

export interface SensorManagerOptions {
  logger?: Logger;
  clock?: Clock;
  /** At most one malformed-line log per sensor per this period (the counter is always exact). */
  malformedLogIntervalMs?: number;
}

interface Entry {
  sensor: Sensor;
  readings: number;
  malformed: number;
  warnings: number;
  startFailed: SensorProblem | null;
  lastReadingAt: string | null;
  /** Latest reading per probe ('' for sensors without probes). */
  latest: Map<string, SensorReading>;
  unsubscribe: Unsubscribe[];
  malformedLog: { lastAt: number; suppressed: number };
}

interface ManagerEvents {
  reading: SensorReading;
  warning: SensorWarning;
  state: SensorStateChange;
}

const DEFAULT_MALFORMED_LOG_INTERVAL_MS = 60_000;

/**
 * Owns the agent's sensors. A sensor that fails to start, throws from a
 * callback or keeps failing is isolated: the others keep reading and the
 * process keeps running.
 */
export class SensorManager {
  private readonly entries = new Map<string, Entry>();
  private readonly events: Emitter<ManagerEvents>;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly malformedLogIntervalMs: number;
  private started = false;
  /** Newest value of each quantity across sensors, kept apart so partial readings (T and H on separate lines) both count. */
  private readonly freshest: Partial<Record<keyof CurrentConditions, { value: number; at: number }>> = {};

  constructor(sensors: readonly Sensor[] = [], options: SensorManagerOptions = {}) {
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.malformedLogIntervalMs = options.malformedLogIntervalMs ?? DEFAULT_MALFORMED_LOG_INTERVAL_MS;
    this.events = new Emitter<ManagerEvents>((err, event) => {
      this.logger?.error({ err, event }, 'sensor manager listener threw; ignored');
    });
    for (const sensor of sensors) this.add(sensor);
  }

  /** Adds a sensor; names must be unique. Started at once if the manager is running. */
  add(sensor: Sensor): void {
    if (this.entries.has(sensor.name)) throw new Error(`A sensor named "${sensor.name}" already exists.`);
    const entry: Entry = {
      sensor,
      readings: 0,
      malformed: 0,
      warnings: 0,
      startFailed: null,
      lastReadingAt: null,
      latest: new Map(),
      unsubscribe: [],
      malformedLog: { lastAt: Number.NEGATIVE_INFINITY, suppressed: 0 },
    };
    entry.unsubscribe.push(
      sensor.on('reading', (reading) => {
        entry.readings += 1;
        entry.lastReadingAt = reading.time;
        entry.latest.set(reading.probe ?? '', reading);
        this.remember(reading);
        this.events.emit('reading', reading);
      }),
      sensor.on('malformed', (line) => {
        entry.malformed += 1;
        this.logMalformed(entry, line);
      }),
      sensor.on('warning', (warning) => {
        entry.warnings += 1;
        this.logger?.warn({ sensor: warning.sensor, code: warning.code }, warning.message);
        this.events.emit('warning', warning);
      }),
      sensor.on('state', (change) => {
        this.logger?.info(
          { sensor: change.sensor, state: change.state, previous: change.previous, code: change.code },
          'sensor state',
        );
        this.events.emit('state', change);
      }),
    );
    this.entries.set(sensor.name, entry);
    if (this.started) void this.startOne(entry);
  }

  sensors(): Sensor[] {
    return [...this.entries.values()].map((e) => e.sensor);
  }

  /** Starts every sensor. Resolves when each has started or failed to; never rejects. */
  async start(): Promise<void> {
    this.started = true;
    await Promise.all([...this.entries.values()].map((entry) => this.startOne(entry)));
  }

  /** Stops every sensor; a sensor whose stop fails is logged and skipped. */
  async stop(): Promise<void> {
    this.started = false;
    const results = await Promise.allSettled([...this.entries.values()].map((entry) => entry.sensor.stop()));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const name = [...this.entries.keys()][i];
        this.logger?.error({ err: result.reason as unknown, sensor: name }, 'sensor did not stop cleanly');
      }
    });
  }

  onReading(listener: (reading: SensorReading) => void): Unsubscribe {
    return this.events.on('reading', listener);
  }

  onWarning(listener: (warning: SensorWarning) => void): Unsubscribe {
    return this.events.on('warning', listener);
  }

  /** Connection state changes (connecting, connected, disconnected, stopped). */
  onState(listener: (change: SensorStateChange) => void): Unsubscribe {
    return this.events.on('state', listener);
  }

  /** The latest reading of each sensor (one per probe for multi-probe sensors). */
  latest(): SensorReading[] {
    return [...this.entries.values()].flatMap((entry) => [...entry.latest.values()]);
  }

  stats(): SensorStats[] {
    return [...this.entries.values()].map((entry) => {
      const health = entry.sensor.health();
      const state = entry.startFailed === null ? health.state : 'failed';
      return {
        sensor: entry.sensor.name,
        kind: entry.sensor.kind,
        state,
        connected: state === 'connected',
        readings_total: entry.readings,
        malformed_total: entry.malformed,
        warnings_total: entry.warnings,
        reconnects_total: Math.max(0, health.connects_total - 1),
        failures_total: health.failures_total,
        last_reading_at: entry.lastReadingAt,
        last_error: entry.startFailed ?? health.last_error,
      };
    });
  }

  /**
   * The newest value of each quantity among readings younger than `maxAgeMs`
   * (default 10 minutes); null when no sensor measured it recently.
   */
  current(maxAgeMs = 10 * 60_000): CurrentConditions {
    const now = this.clock.now().getTime();
    const pick = (key: keyof CurrentConditions): number | null => {
      const value = this.freshest[key];
      return value !== undefined && now - value.at <= maxAgeMs ? value.value : null;
    };
    return { temperature_c: pick('temperature_c'), humidity_percent: pick('humidity_percent'), lux: pick('lux') };
  }

  private remember(reading: SensorReading): void {
    const at = Date.parse(reading.time);
    if (Number.isNaN(at)) return;
    for (const key of ['temperature_c', 'humidity_percent', 'lux'] as const) {
      const value = reading[key];
      const known = this.freshest[key];
      if (value !== undefined && (known === undefined || at >= known.at)) this.freshest[key] = { value, at };
    }
  }

  private async startOne(entry: Entry): Promise<void> {
    entry.startFailed = null;
    try {
      await entry.sensor.start();
    } catch (err) {
      const message = `Sensor ${entry.sensor.name} could not start: ${err instanceof Error ? err.message : String(err)}. The other sensors keep running.`;
      const problem = { code: 'sensor_start_failed', message, time: this.clock.now().toISOString() };
      entry.startFailed = problem;
      entry.warnings += 1;
      this.logger?.error({ err, sensor: entry.sensor.name }, message);
      this.events.emit('warning', { sensor: entry.sensor.name, ...problem });
    }
  }

  private logMalformed(entry: Entry, line: MalformedLine): void {
    const log = entry.malformedLog;
    const now = this.clock.now().getTime();
    if (now - log.lastAt < this.malformedLogIntervalMs) {
      log.suppressed += 1;
      return;
    }
    this.logger?.warn(
      {
        sensor: line.sensor,
        line: line.line,
        reason: line.reason,
        suppressed: log.suppressed,
        malformed_total: entry.malformed,
      },
      'malformed sensor line ignored',
    );
    log.lastAt = now;
    log.suppressed = 0;
  }
}
