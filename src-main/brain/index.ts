import { mkdirSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { MethodName, ParamsOf, ResultOf, StationEvent } from '../api/contract.js';
import type { AgentClient } from '../agents/agent-client.js';
import type { RaiseAlert } from '../alerts/center.js';
import { PreviewRelay } from '../preview/relay.js';
import { FileTokenVault, tokensPath, type TokenVault } from '../agents/token-store.js';
import { DiscoveryBrowser } from '../discovery/browser.js';
import { loadOrCreateStationIdentity } from '../discovery/pairing.js';
import { AgentsRepo } from '../db/agents-repo.js';
import { CapturesRepo } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { exportHandlers } from '../export/handlers.js';
import { profileHandlers } from '../profiles/api-handlers.js';
import { galleryHandlers } from '../gallery/service.js';
import { ExportService } from '../export/service.js';
import { importLegacyState } from '../state/legacy-import.js';
import { StationSettings } from '../settings/service.js';
import { startOrchestration, type Orchestration, type OrchestrationOptions } from '../orchestration/index.js';
import { SensorsRepo } from '../db/sensors-repo.js';
import { ensureDirSync } from '../util/atomic.js';
import { StationError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { CaptureService, captureView } from './capture-service.js';
import { ClockService } from './clock-service.js';
import { createDispatch, type DispatchResult } from './dispatch.js';
import { EmbeddedAgentService } from './embedded-service.js';
import { FleetService } from './fleet-service.js';
import { StationMetrics } from './metrics.js';
import { startServices, type Handlers } from './service.js';
import { SessionService } from './session-service.js';
import { SyncService } from './sync-service.js';

export type { DispatchResult } from './dispatch.js';

export const STATION_VERSION = '0.1.0';

export interface StationOptions {
  dataDir: string;
  /** true: always start the simulated agent; 'auto': only when no other agent is configured. */
  embeddedAgent?: boolean | 'auto';
  /** Extra flags for the embedded agent (tests use --sim-time, for instance). */
  embeddedAgentArgs?: string[];
  pollIntervalMs?: number;
  log?: Logger;
  /** Plan horizon, redeploy and alert settings (issue #5). */
  orchestration?: OrchestrationOptions;
  /** Where camera access tokens are kept; the Electron shell passes a keychain-sealed vault. Default: <dataDir>/agent-tokens.json (0600). */
  tokenVault?: TokenVault;
  /** Where the settings' secrets (weather API key, S3 secret) are kept; default <dataDir>/settings-secrets.json (0600). */
  settingsVault?: TokenVault;
  /** Look for agents with mDNS (default true; SKYSTATION_MDNS=off turns it off anyway). */
  discovery?: boolean;
}

export interface Station {
  dispatch(method: string, params: unknown): Promise<DispatchResult>;
  call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>>;
  onEvent(listener: (e: StationEvent) => void): () => void;
  readonly mediaDir: string;
  readonly dataDir: string;
  readonly log: Logger;
  readonly metrics: StationMetrics;
  /** Live preview: one upstream per agent fanned out to every viewer (issue 14). */
  readonly preview: PreviewRelay;
  close(): Promise<void>;
}

async function openDataDir(dataDir: string): Promise<void> {
  try {
    ensureDirSync(dataDir);
    await access(dataDir, constants.W_OK);
  } catch (cause) {
    throw new StationError(
      'data_dir_unwritable',
      `Skystation cannot write to its data folder ${dataDir}; choose another folder with --data-dir or fix its permissions.`,
      { cause },
    );
  }
}

/**
 * Wiring only: builds the station's services (brain/service.ts), starts them
 * in order, gathers their API handlers into the one method table, and stops
 * them in reverse on close. The work lives in the services.
 */
export async function startStation(opts: StationOptions): Promise<Station> {
  const dataDir = opts.dataDir;
  await openDataDir(dataDir);
  const log = opts.log ?? createLogger(dataDir);
  const mediaDir = join(dataDir, 'media');
  mkdirSync(mediaDir, { recursive: true });
  const db: Db = openDatabase(join(dataDir, 'gallery.sqlite'));
  // State kept in JSON files by stations before issue #13 moves into the database once (src-main/state).
  const legacyState = await importLegacyState({ db, dataDir, log });
  const agentsRepo = new AgentsRepo(db);
  const captures = new CapturesRepo(db);
  const listeners = new Set<(e: StationEvent) => void>();
  const metrics = new StationMetrics();
  // Schedules, profiles, deployment, fleet capture, override tests and alerts (issue #5); set once started.
  let orchestration: Orchestration | null = null;

  const emit = (e: StationEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log.error({ err }, 'event listener failed');
      }
    }
  };
  // Before orchestration runs there is no alert center: the alert goes to the UI as an event.
  const raise = (alert: RaiseAlert, time = new Date().toISOString()): void => {
    if (orchestration) orchestration.alerts.raise(alert);
    else emit({ event: 'alert', data: { ...alert, agentId: alert.agentId ?? null, time } });
  };
  const client = (id: string): AgentClient | undefined => fleetService.fleet.client(id);
  const agentNames = (): Map<string, string> => fleetService.names();

  // Timelapse exports and night products (issue #6).
  const exportsService = new ExportService({
    dataDir,
    db,
    mediaDir,
    gallery: captures,
    agents: () => fleetService.views(),
    emit,
    log,
  });
  // Settings screen (weather provider, S3 archive): applied at once, no restart.
  const settings = await StationSettings.start({
    dataDir,
    db,
    log,
    vault: opts.settingsVault,
    fixedWeather: opts.orchestration?.weather,
    location: () => orchestration?.orchestrator.location() ?? null,
    archive: exportsService,
  });
  const sync = new SyncService({
    captures,
    sensors: new SensorsRepo(db),
    mediaDir,
    log,
    client,
    onImported: (row) => {
      emit({ event: 'capture.added', data: captureView(row, agentNames()) });
      exportsService.noteImported(row);
    },
    metrics: {
      imported: () => metrics.imported.inc(),
      bytes: (n) => metrics.syncBytes.inc(n),
      errors: (n) => metrics.syncErrors.inc(n),
    },
    diskFull: {
      raise: (message) =>
        orchestration?.alerts.raise({ level: 'error', code: 'station_disk_full', message, key: 'station_disk_full' }),
      resolve: () => orchestration?.alerts.resolve('station_disk_full'),
    },
  });
  const clocks = new ClockService({
    client,
    agentName: (id) => agentNames().get(id) ?? id,
    raise: (alert) => raise(alert),
  });
  const fleetService: FleetService = new FleetService({
    fleet: {
      repo: agentsRepo,
      log,
      tokens: opts.tokenVault ?? new FileTokenVault(tokensPath(dataDir)),
      discovery: opts.discovery === false ? null : new DiscoveryBrowser({ log }),
      station: () => loadOrCreateStationIdentity(dataDir),
      ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    },
    log,
    metrics,
    emit,
    raise,
    observeAgents: (agents) => orchestration?.alerts.observeAgents(agents),
    decorate: (a) => ({
      ...(orchestration ? orchestration.orchestrator.decorate(a) : a),
      clockOffsetMs: clocks.offsetMs(a.id),
    }),
    syncAgent: (id) => sync.syncAgent(id),
    sensorReading: (id) => sync.sensorReading(id),
    checkClock: (id) => clocks.check(id),
    health: { version: STATION_VERSION, startedAt: new Date().toISOString(), captures: () => captures.count() },
  });
  const embedded = new EmbeddedAgentService({
    dataDir: join(dataDir, 'embedded-agent'),
    wanted: opts.embeddedAgent === true || (opts.embeddedAgent === 'auto' && agentsRepo.all().every((a) => a.embedded)),
    extraArgs: opts.embeddedAgentArgs,
    log,
  });
  const preview = new PreviewRelay({ client, log, registry: metrics.registry });
  const capture = new CaptureService({
    captures,
    client,
    agentNames,
    syncAgent: (id, opts) => sync.syncAgent(id, opts),
    whenDone: (agentId, captureId) => sync.derivatives.whenDone(agentId, captureId),
    startTimer: () => metrics.captureDuration.startTimer(),
    log,
  });

  // Started in this order, stopped in reverse: the preview first, the thumbnails queue last.
  const services = await startServices(
    [
      sync,
      embedded,
      fleetService,
      { name: 'exports', start: () => exportsService.start(), stop: () => exportsService.close() },
      {
        name: 'orchestration',
        start: async () => {
          orchestration = await startOrchestration({
            db,
            dataDir,
            fleet: fleetService.fleet,
            emit,
            // Orchestrated captures and A/B tests need the thumbnails and quality figures too.
            syncAgent: async (agentId: string) => {
              const n = await sync.syncAgent(agentId);
              await sync.derivatives.idle();
              return n;
            },
            log,
            options: { ...opts.orchestration, weather: settings.weather },
          });
        },
        stop: () => orchestration?.close(),
      },
      { name: 'preview', stop: () => preview.close() },
      { name: 'embedded-agent.add', start: () => embedded.addTo(fleetService.fleet) },
    ],
    log,
  );
  for (const p of legacyState.problems)
    raise({ level: 'error', code: 'state_import_failed', message: p.message, key: `state_import:${p.file}` });

  const handlers: Handlers = {
    ...orchestration!.orchestrator.handlers,
    ...exportHandlers(exportsService),
    ...profileHandlers({
      profiles: orchestration!.profiles,
      location: () => orchestration!.orchestrator.handlers.getLocation({}),
    }),
    ...settings.handlers(),
    ...galleryHandlers({
      captures,
      mediaDir,
      toView: (c) => captureView(c, agentNames()),
      agentNames,
      client,
      log,
    }),
    ...fleetService.handlers,
    ...sync.handlers,
    ...new SessionService({ client }).handlers,
    ...clocks.handlers,
    ...capture.handlers,
  };
  const dispatch = createDispatch(handlers, { log, apiErrors: metrics.apiErrors });

  let closed = false;
  return {
    dispatch,
    async call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
      const r = await dispatch(method, params);
      if (!r.ok) throw new StationError(r.error.code, r.error.message);
      return r.result as ResultOf<M>;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    mediaDir,
    dataDir,
    log,
    metrics,
    preview,
    async close() {
      if (closed) return;
      closed = true;
      await services.stop();
      db.close();
      listeners.clear();
      log.flush();
    },
  };
}
