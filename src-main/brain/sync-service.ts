/**
 * Copies every new capture from the cameras into the gallery (sha256-checked,
 * resumable), then its thumbnail and quality figures off the transfer's path,
 * and the sensors' time series after it. The station syncs an agent when it
 * comes online, after each capture it announces, and when asked.
 */
import type { AgentClient } from '../agents/agent-client.js';
import type { CapturesRepo, StoredCapture } from '../db/captures-repo.js';
import type { SensorsRepo } from '../db/sensors-repo.js';
import { DerivativesQueue } from '../media/derivatives.js';
import { syncSensorReadings } from '../sync/sensor-sync.js';
import { SyncEngine, type SyncOptions } from '../sync/sync-engine.js';
import type { Logger } from '../util/log.js';
import type { StationMetrics } from './metrics.js';
import { knownAgent, type HandlersFor, type StationService } from './service.js';

/** Live sensor events trigger a copy of the agent's series at most this often. */
export const SENSOR_SYNC_MIN_MS = 5_000;

export interface SyncServiceDeps {
  captures: CapturesRepo;
  sensors: SensorsRepo;
  mediaDir: string;
  log: Logger;
  client(agentId: string): AgentClient | undefined;
  /** A capture is in the gallery with its thumbnail. */
  onImported(row: StoredCapture): void;
  metrics: Pick<StationMetrics, 'imported' | 'syncBytes' | 'syncErrors'>;
  /** A full data disk pauses syncing (the images stay safe on the cameras); its alert, raised once and resolved. */
  diskFull: { raise(message: string): void; resolve(): void };
  now?: () => number;
}

export class SyncService implements StationService {
  readonly name = 'sync';
  readonly derivatives: DerivativesQueue;
  private readonly engine: SyncEngine;
  private readonly sensorSyncedAt = new Map<string, number>();

  constructor(private readonly deps: SyncServiceDeps) {
    const onImported = (agentId: string, captureId: string): void => {
      deps.metrics.imported.inc();
      const row = deps.captures.get(agentId, captureId);
      if (row) deps.onImported(row);
    };
    // Thumbnails and quality figures follow the verified copy, off the transfer's path.
    this.derivatives = new DerivativesQueue({
      captures: deps.captures,
      mediaDir: deps.mediaDir,
      log: deps.log,
      onReady: onImported,
    });
    this.engine = new SyncEngine({
      captures: deps.captures,
      mediaDir: deps.mediaDir,
      log: deps.log,
      derivatives: this.derivatives,
      onBytes: (n) => deps.metrics.syncBytes.inc(n),
      onImported,
      onPaused: (pause) => deps.diskFull.raise(pause.message),
      onResumed: () => deps.diskFull.resolve(),
    });
  }

  start(): void {
    const resumed = this.derivatives.resumePending();
    if (resumed > 0) this.deps.log.info({ resumed }, 'making thumbnails left over from the last run');
  }

  /** Thumbnails still queued are made at the next start (their rows have no quality figures yet). */
  stop(): Promise<void> {
    return this.derivatives.close();
  }

  /** Copies an agent's new captures; resolves with how many were imported (with `first`: of those, see SyncOptions). */
  async syncAgent(agentId: string, opts: SyncOptions = {}): Promise<number> {
    const client = knownAgent(this.deps.client(agentId), agentId);
    const r = await this.engine.sync(agentId, client, opts);
    if (r.failed > 0) this.deps.metrics.syncErrors.inc(r.failed);
    // The sensor time series follows the captures; a failure here never fails the capture sync.
    await syncSensorReadings(agentId, client, this.deps.sensors).catch((err: unknown) =>
      this.deps.log.warn({ err, agentId }, 'sensor readings sync failed; retried at the next sync'),
    );
    return r.imported;
  }

  /** Copies an agent's new captures and waits until their thumbnails and quality figures are made. */
  async syncWithDerivatives(agentId: string): Promise<number> {
    const n = await this.syncAgent(agentId);
    await this.derivatives.idle();
    return n;
  }

  /** Live readings: copy the series at most every few seconds per agent. */
  sensorReading(agentId: string): void {
    const now = (this.deps.now ?? Date.now)();
    const last = this.sensorSyncedAt.get(agentId) ?? 0;
    const client = this.deps.client(agentId);
    if (!client || now - last < SENSOR_SYNC_MIN_MS) return;
    this.sensorSyncedAt.set(agentId, now);
    syncSensorReadings(agentId, client, this.deps.sensors).catch((err: unknown) =>
      this.deps.log.warn({ err, agentId }, 'sensor readings sync failed; retried later'),
    );
  }

  readonly handlers: HandlersFor<'syncAgent' | 'sensorSeries'> = {
    syncAgent: async (p) => ({ imported: await this.syncAgent(p.agentId) }),
    sensorSeries: (p) =>
      Promise.resolve(
        this.deps.sensors.series({ agentId: p.agentId, sensor: p.sensor, from: p.from, to: p.to, limit: p.limit }),
      ),
  };
}
