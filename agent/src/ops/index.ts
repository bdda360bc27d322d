/**
 * Operations around the capture path, wired into the agent in one place:
 * sensors (journal, /status, events, metrics), Prometheus metrics, system
 * info with a periodic `status` event, retention and the disk guard, and the
 * capture-time context (clock synchronisation, sensor temperature).
 */
import type { CameraDriver, CameraStateName, DriverSettings } from '../camera/driver.js';
import type { AgentConfig } from '../config-file.js';
import type { Journal } from '../db/journal.js';
import type { AgentEvent, SensorStatus, StorageStatus, SystemStatus } from '../protocol/index.js';
import {
  createSensor,
  parseSensorSpecs,
  SensorManager,
  toSensorEvent,
  toWarningEvent,
  type SensorReading,
} from '../sensors/index.js';
import type { Clock } from '../sky/clock.js';
import { skyState, type Location } from '../sky/model.js';
import type { CapturesStore } from '../storage/captures-store.js';
import type { Logger } from '../util/log.js';
import { AgentMetrics } from './metrics.js';
import { StorageGuard } from './storage-guard.js';
import { SystemProbe, type ClockSyncOptions } from './system-info.js';

export { AgentMetrics } from './metrics.js';
export { StorageGuard, DiskFullError } from './storage-guard.js';
export { readLastLogEntries, createAgentLogger, logsDirFor, LOG_FILES } from './logging.js';

export interface AgentOpsDeps {
  dataDir: string;
  config: AgentConfig;
  /** `--sensor` values; when given they replace the config file's list. */
  sensorSpecs?: readonly string[];
  journal: Journal;
  store: CapturesStore;
  log: Logger;
  clock: Clock;
  location: Location;
  emit: (event: AgentEvent) => void;
  cameraState: () => CameraStateName;
  cameraTemperatureC?: () => Promise<number | null>;
  /** The camera driver's name, as the `camera` label of skystation_camera_temperature_celsius. */
  cameraDriver?: string;
  clockSync?: ClockSyncOptions;
  /** Simulated sensor period (tests shorten it). */
  simulatedSensorIntervalMs?: number;
}

export class AgentOps {
  readonly metrics = new AgentMetrics();
  readonly sensors: SensorManager;
  readonly guard: StorageGuard;
  readonly probe: SystemProbe;
  private statusTimer: NodeJS.Timeout | null = null;
  private lastClockSync: string | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: AgentOpsDeps) {
    const { config, log } = deps;
    this.probe = new SystemProbe(deps.dataDir, deps.clockSync ?? {});
    if (deps.cameraDriver !== undefined) this.metrics.setCameraName(deps.cameraDriver);
    const specs = parseSensorSpecs(
      deps.sensorSpecs !== undefined && deps.sensorSpecs.length > 0 ? deps.sensorSpecs : config.sensors,
    );
    this.sensors = new SensorManager(
      specs.map((spec) =>
        createSensor(spec, {
          clock: deps.clock,
          logger: log,
          stateDir: deps.dataDir,
          longitude: deps.location.longitude,
          simulatedLux: (t) => skyState(deps.location, t).lux,
          ...(deps.simulatedSensorIntervalMs === undefined
            ? {}
            : { simulatedIntervalMs: deps.simulatedSensorIntervalMs }),
        }),
      ),
      { logger: log.child({ component: 'sensors' }), clock: deps.clock },
    );
    this.guard = new StorageGuard({
      dataDir: deps.dataDir,
      journal: deps.journal,
      store: deps.store,
      log: log.child({ component: 'storage' }),
      emit: deps.emit,
      now: () => deps.clock.now(),
      retention: config.retention,
      disk: config.disk,
      metrics: this.metrics,
    });
    this.metrics.setCollectors({
      disk: async () => {
        const s = await this.probe.info();
        return s.disk;
      },
      unsynced: () => deps.journal.counts().unsynced,
      cameraConnected: () => {
        const state = deps.cameraState();
        return state === 'ready' || state === 'busy';
      },
      ...(deps.cameraTemperatureC ? { cameraTemperatureC: deps.cameraTemperatureC } : {}),
      sensorStats: () => this.sensors.stats(),
      system: async () => {
        const s = await this.probe.info();
        return {
          soc_temperature_c: s.soc_temperature_c,
          clock_synced: s.clock.sync === 'unknown' ? null : s.clock.sync === 'synchronized',
          load1: s.load_average[0],
          memory_used_bytes: s.memory.used_bytes,
        };
      },
      capturePaused: () => this.guard.paused(),
    });
    deps.journal.setCaptureContext(() => ({
      clock_synced: this.probe.clockNow() === 'synchronized',
      temperature_c: this.sensors.current().temperature_c,
    }));
  }

  /** Starts sensors, the disk guard, retention and the status ticker. */
  async start(): Promise<void> {
    const d = this.deps;
    this.unsubscribe.push(
      this.sensors.onReading((reading) => this.onReading(reading)),
      this.sensors.onWarning((warning) => d.emit(toWarningEvent(warning))),
    );
    await this.refreshClock();
    await this.guard.check();
    this.guard.start();
    await this.guard.runRetention();
    await this.sensors.start();
    this.statusTimer = setInterval(() => void this.emitStatus(), d.config.status.interval_seconds * 1000);
    this.statusTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    await this.sensors.stop();
    await this.guard.stop();
  }

  private onReading(reading: SensorReading): void {
    const d = this.deps;
    try {
      d.journal.insertSensorReading({
        sensor: reading.sensor,
        probe: reading.probe ?? null,
        time: reading.time,
        temperature_c: reading.temperature_c ?? null,
        humidity_percent: reading.humidity_percent ?? null,
        lux: reading.lux ?? null,
      });
    } catch (err) {
      d.log.error({ err, sensor: reading.sensor }, 'could not journal a sensor reading');
    }
    this.metrics.recordSensorReading(reading);
    d.emit(toSensorEvent(reading));
  }

  /**
   * Probes clock synchronisation (cached) and says so when it changes: a
   * warning event while captures are being flagged `clock_synced: false`.
   */
  private async refreshClock(): Promise<void> {
    const { sync, source } = await this.probe.clock();
    if (sync === this.lastClockSync) return;
    this.lastClockSync = sync;
    const d = this.deps;
    if (sync === 'synchronized') {
      d.log.info({ event: 'clock.synchronized', source }, 'the system clock is NTP-synchronised');
      return;
    }
    const message =
      sync === 'unknown'
        ? 'Cannot tell whether the system clock is NTP-synchronised (no timedatectl or systemd-timesyncd); captures are flagged clock_synced: false.'
        : 'The system clock is not NTP-synchronised; captures are flagged clock_synced: false until it is.';
    d.log.warn({ event: 'clock.not_synchronized', sync, source }, message);
    d.emit({ type: 'warning', code: 'clock_not_synchronized', message, time: d.clock.now().toISOString() });
  }

  /** Counts captures and errors from the agent's own events. */
  observe(event: AgentEvent): void {
    if (event.type === 'capture.done') this.metrics.imagesCaptured.inc();
    else if (event.type === 'capture.failed') this.metrics.captureErrors.inc({ error_type: event.code });
  }

  /**
   * The camera as the capture service sees it: each capture first checks the
   * disk guard (507 disk_full when paused) and refreshes the clock state, then
   * is timed and counted as active.
   */
  instrumentCamera(camera: CameraDriver): CameraDriver {
    const capture = async (settings: DriverSettings, signal?: AbortSignal): ReturnType<CameraDriver['capture']> => {
      await this.guard.assertCanCapture();
      await this.refreshClock();
      this.metrics.activeCaptures.inc();
      const end = this.metrics.captureDuration.startTimer();
      try {
        return await camera.capture(settings, signal);
      } finally {
        end();
        this.metrics.activeCaptures.dec();
      }
    };
    return new Proxy(camera, {
      get(target, prop, receiver) {
        if (prop === 'capture') return capture;
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  async system(): Promise<SystemStatus> {
    const { disk: _disk, ...info } = await this.probe.info();
    return info;
  }

  sensorStatus(): SensorStatus[] {
    const latest = this.sensors.latest();
    return this.sensors.stats().map((s) => ({
      sensor: s.sensor,
      kind: s.kind,
      state: s.state,
      connected: s.connected,
      readings_total: s.readings_total,
      malformed_total: s.malformed_total,
      last_reading_at: s.last_reading_at,
      last_error: s.last_error,
      latest: latest
        .filter((r) => r.sensor === s.sensor)
        .map((r) => ({
          time: r.time,
          ...(r.probe === undefined ? {} : { probe: r.probe }),
          ...(r.temperature_c === undefined ? {} : { temperature_c: r.temperature_c }),
          ...(r.humidity_percent === undefined ? {} : { humidity_percent: r.humidity_percent }),
          ...(r.lux === undefined ? {} : { lux: r.lux }),
        })),
    }));
  }

  storage(): StorageStatus {
    return this.guard.status();
  }

  /** Fields /status adds (system, sensors, storage). */
  async statusFields(): Promise<{ system: SystemStatus; sensors: SensorStatus[]; storage: StorageStatus }> {
    return { system: await this.system(), sensors: this.sensorStatus(), storage: this.storage() };
  }

  async emitStatus(): Promise<void> {
    try {
      this.deps.emit({
        type: 'status',
        camera_state: this.deps.cameraState(),
        time: this.deps.clock.now().toISOString(),
        system: await this.system(),
        storage: this.storage(),
      });
    } catch (err) {
      this.deps.log.warn({ err }, 'could not build the status event');
    }
  }
}
