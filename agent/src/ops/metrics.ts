/**
 * Prometheus metrics for GET /metrics, in the agent's own Registry. Names
 * follow seed 000 (skycam_*) with the `skystation_` prefix and units in the
 * name. Gauges that mirror state (disk, backlog, camera, sensors) are filled
 * when scraped from `collectors`; counters are driven by the code that does
 * the work.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';
import { CAMERA_ERROR_KIND } from '../camera/failures.js';
import type { SensorReading, SensorStats } from '../sensors/index.js';

/**
 * Only the four classes the agent uses, each from its own file. prom-client's
 * index also loads its Pushgateway (node's https and zlib), its cluster
 * aggregator and the default collectors (v8, perf_hooks): about 0.7 MB of
 * resident memory on an idle agent for code it never runs.
 */
const promFile = createRequire(import.meta.url);
const Counter = promFile('prom-client/lib/counter') as typeof Prom.Counter;
const Gauge = promFile('prom-client/lib/gauge') as typeof Prom.Gauge;
const Histogram = promFile('prom-client/lib/histogram') as typeof Prom.Histogram;
const Registry = promFile('prom-client/lib/registry') as typeof Prom.Registry;
type Counter<T extends string = string> = Prom.Counter<T>;
type Gauge<T extends string = string> = Prom.Gauge<T>;
type Histogram<T extends string = string> = Prom.Histogram<T>;

export const METRIC_PREFIX = 'skystation_';

/** Where scrape-time gauges read their values; any of them may be missing. */
export interface MetricsCollectors {
  disk?: () => Promise<{ used_bytes: number; used_percent: number; total_bytes: number } | null>;
  unsynced?: () => number;
  cameraConnected?: () => boolean;
  cameraTemperatureC?: () => Promise<number | null>;
  sensorStats?: () => SensorStats[];
  system?: () => Promise<{
    soc_temperature_c: number | null;
    clock_synced: boolean | null;
    load1: number;
    memory_used_bytes: number;
  }>;
  capturePaused?: () => boolean;
  /** Live preview viewers; without it the gauge keeps what setPreviewClients() last set. */
  previewClients?: () => number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly imagesCaptured: Counter;
  readonly captureErrors: Counter<'error_type'>;
  readonly captureDuration: Histogram;
  readonly cameraTemperature: Gauge;
  readonly sensorTemperature: Gauge<'sensor'>;
  readonly sensorHumidity: Gauge<'sensor'>;
  readonly sensorLux: Gauge<'sensor'>;
  readonly sensorConnected: Gauge<'sensor'>;
  readonly sensorMalformed: Counter<'sensor'>;
  readonly activeCaptures: Gauge;
  readonly diskUsedBytes: Gauge;
  readonly diskUsedPercent: Gauge;
  readonly unsyncedCaptures: Gauge;
  readonly cameraConnected: Gauge;
  readonly previewClients: Gauge;
  readonly capturePaused: Gauge;
  readonly retentionDeleted: Counter<'reason'>;
  readonly socTemperature: Gauge;
  readonly clockSynchronized: Gauge;
  private collectors: MetricsCollectors = {};
  /** One disk / system probe per scrape, shared by the gauges that read it (they are collected in parallel). */
  private readonly memo = new Map<string, { at: number; value: Promise<unknown> }>();
  private readonly malformedSeen = new Map<string, number>();

  private cameraName = 'camera';

  // eslint-disable-next-line max-lines-per-function -- one declaration per metric (name, help, labels), read as the list /metrics prints.
  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    // prom-client's default Node metrics fail promtool's lint (gauges named *_total); the process basics are below.
    if (options.processMetrics ?? true) {
      new Gauge({
        name: `${p}agent_resident_memory_bytes`,
        help: 'Resident memory of the agent process',
        registers,
        collect() {
          this.set(process.memoryUsage.rss());
        },
      });
      new Gauge({
        name: `${p}agent_start_time_seconds`,
        help: 'When the agent process started, seconds since the Unix epoch',
        registers,
      }).set(Math.round((Date.now() - process.uptime() * 1000) / 1000));
      let cpuSeen = 0;
      new Counter({
        name: `${p}agent_cpu_seconds_total`,
        help: 'CPU time used by the agent process (user + system)',
        registers,
        collect() {
          const u = process.cpuUsage();
          const total = (u.user + u.system) / 1e6;
          if (total > cpuSeen) this.inc(total - cpuSeen);
          cpuSeen = Math.max(cpuSeen, total);
        },
      });
    }

    this.imagesCaptured = new Counter({
      name: `${p}images_captured_total`,
      help: 'Total number of images captured and stored',
      registers,
    });
    this.captureErrors = new Counter({
      name: `${p}capture_errors_total`,
      help: 'Total number of capture errors, by error type (the error code)',
      labelNames: ['error_type'],
      registers,
    });
    // Every known code prints a 0 sample from the start, so rate() and dashboards see the series before the first error.
    for (const error_type of [...Object.keys(CAMERA_ERROR_KIND), 'capture_failed', 'disk_full'])
      this.captureErrors.inc({ error_type }, 0);
    this.captureDuration = new Histogram({
      name: `${p}capture_duration_seconds`,
      help: 'Time taken by the camera for each capture',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    // prom-client calls collect() with `this` bound to the metric, so the collectors are reached through `self`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.cameraTemperature = new Gauge({
      name: `${p}camera_temperature_celsius`,
      help: 'Camera sensor temperature in Celsius (absent when the camera does not report one)',
      labelNames: ['camera'],
      registers,
      async collect() {
        const t = await self.collectors.cameraTemperatureC?.().catch(() => null);
        this.reset();
        if (t !== null && t !== undefined) this.set({ camera: self.cameraName }, t);
      },
    });
    this.sensorTemperature = new Gauge({
      name: `${p}sensor_temperature_celsius`,
      help: 'External sensor temperature in Celsius, by sensor',
      labelNames: ['sensor'],
      registers,
    });
    this.sensorHumidity = new Gauge({
      name: `${p}sensor_humidity_percent`,
      help: 'External sensor relative humidity in percent, by sensor',
      labelNames: ['sensor'],
      registers,
    });
    this.sensorLux = new Gauge({
      name: `${p}sensor_illuminance_lux`,
      help: 'External sensor illuminance in lux, by sensor',
      labelNames: ['sensor'],
      registers,
    });
    this.sensorConnected = new Gauge({
      name: `${p}sensor_connected`,
      help: 'Whether each sensor is connected (1) or not (0)',
      labelNames: ['sensor'],
      registers,
      collect() {
        for (const s of self.collectors.sensorStats?.() ?? []) this.set({ sensor: s.sensor }, s.connected ? 1 : 0);
      },
    });
    this.sensorMalformed = new Counter({
      name: `${p}sensor_malformed_lines_total`,
      help: 'Malformed sensor lines dropped, by sensor',
      labelNames: ['sensor'],
      registers,
      collect() {
        for (const s of self.collectors.sensorStats?.() ?? []) {
          const seen = self.malformedSeen.get(s.sensor) ?? 0;
          if (s.malformed_total > seen) this.inc({ sensor: s.sensor }, s.malformed_total - seen);
          else if (seen === 0) this.inc({ sensor: s.sensor }, 0);
          self.malformedSeen.set(s.sensor, Math.max(seen, s.malformed_total));
        }
      },
    });
    this.activeCaptures = new Gauge({
      name: `${p}active_captures`,
      help: 'Number of captures in progress',
      registers,
    });
    this.diskUsedBytes = new Gauge({
      name: `${p}disk_used_bytes`,
      help: 'Bytes used on the filesystem holding the data folder',
      registers,
      async collect() {
        const d = await self.disk();
        if (d) this.set(d.used_bytes);
      },
    });
    this.diskUsedPercent = new Gauge({
      name: `${p}disk_used_percent`,
      help: 'Percent used of the filesystem holding the data folder',
      registers,
      async collect() {
        const d = await self.disk();
        if (d) this.set(d.used_percent);
      },
    });
    this.unsyncedCaptures = new Gauge({
      name: `${p}unsynced_captures`,
      help: 'Captures not yet acknowledged by the station (the sync backlog)',
      registers,
      collect() {
        const n = self.collectors.unsynced?.();
        if (n !== undefined) this.set(n);
      },
    });
    this.cameraConnected = new Gauge({
      name: `${p}camera_connected`,
      help: 'Whether the camera is connected (1) or not (0)',
      registers,
      collect() {
        const c = self.collectors.cameraConnected?.();
        if (c !== undefined) this.set(c ? 1 : 0);
      },
    });
    this.previewClients = new Gauge({
      name: `${p}preview_clients`,
      help: 'Number of clients watching the live preview',
      registers,
      collect() {
        const n = self.collectors.previewClients?.();
        if (n !== undefined) this.set(n);
      },
    });
    this.capturePaused = new Gauge({
      name: `${p}capture_paused`,
      help: 'Whether captures are paused because the disk is above the hard limit (1) or not (0)',
      registers,
      collect() {
        const paused = self.collectors.capturePaused?.();
        if (paused !== undefined) this.set(paused ? 1 : 0);
      },
    });
    this.retentionDeleted = new Counter({
      name: `${p}retention_deleted_captures_total`,
      help: 'Captures deleted by retention or the disk guard, by reason',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['synced_expired', 'disk_synced', 'disk_emergency_unsynced'])
      this.retentionDeleted.inc({ reason }, 0);
    this.socTemperature = new Gauge({
      name: `${p}soc_temperature_celsius`,
      help: 'System-on-chip temperature in Celsius (absent when the board does not report one)',
      labelNames: ['zone'],
      registers,
      async collect() {
        const s = await self.system();
        this.reset();
        if (s && s.soc_temperature_c !== null) this.set({ zone: 'thermal_zone0' }, s.soc_temperature_c);
      },
    });
    this.clockSynchronized = new Gauge({
      name: `${p}clock_synchronized`,
      help: 'Whether the system clock is NTP-synchronised: 1 yes, 0 no, -1 cannot be told',
      registers,
      async collect() {
        const s = await self.system();
        if (s) this.set(s.clock_synced === null ? -1 : s.clock_synced ? 1 : 0);
      },
    });
    this.activeCaptures.set(0);
    this.previewClients.set(0);
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key);
    if (hit && Date.now() - hit.at < 1000) return hit.value as Promise<T>;
    const value = fn();
    this.memo.set(key, { at: Date.now(), value });
    return value;
  }

  private disk(): Promise<Awaited<ReturnType<NonNullable<MetricsCollectors['disk']>>>> {
    return this.once('disk', () => this.collectors.disk?.().catch(() => null) ?? Promise.resolve(null));
  }

  private system(): Promise<Awaited<ReturnType<NonNullable<MetricsCollectors['system']>>> | null> {
    return this.once('system', () => this.collectors.system?.().catch(() => null) ?? Promise.resolve(null));
  }

  setCollectors(collectors: MetricsCollectors): void {
    this.collectors = { ...this.collectors, ...collectors };
  }

  setCameraName(name: string): void {
    this.cameraName = name;
  }

  /** For other code (the preview hub): the number of connected preview clients. */
  setPreviewClients(n: number): void {
    this.previewClients.set(n);
  }

  recordSensorReading(reading: SensorReading): void {
    const sensor = reading.probe === undefined ? reading.sensor : `${reading.sensor}/${reading.probe}`;
    if (reading.temperature_c !== undefined) this.sensorTemperature.set({ sensor }, reading.temperature_c);
    if (reading.humidity_percent !== undefined) this.sensorHumidity.set({ sensor }, reading.humidity_percent);
    if (reading.lux !== undefined) this.sensorLux.set({ sensor }, reading.lux);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
