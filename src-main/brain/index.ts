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
import { createDispatch, type Dispatch, type DispatchResult } from './dispatch.js';
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
  const events = stationEvents(log);
  const emit = events.emit;
  const metrics = new StationMetrics();
  const orch: Core['orch'] = { current: null };
  const {
    exportsService,
    settings,
    sync,
    clocks,
    fleetService,
    embedded,
    preview,
    capture,
    raise,
    client,
    agentNames,
  } = await buildServices({
    opts,
    dataDir,
    mediaDir,
    log,
    db,
    agentsRepo,
    captures,
    emit,
    metrics,
    orch,
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
          const options = { ...opts.orchestration, weather: settings.weather };
          // Orchestrated captures and A/B tests need the thumbnails and quality figures too.
          const syncAgent = (agentId: string): Promise<number> => sync.syncWithDerivatives(agentId);
          orch.current = await startOrchestration({
            db,
            dataDir,
            fleet: fleetService.fleet,
            emit,
            syncAgent,
            log,
            options,
          });
        },
        stop: () => orch.current?.close(),
      },
      { name: 'preview', stop: () => preview.close() },
      { name: 'embedded-agent.add', start: () => embedded.addTo(fleetService.fleet) },
    ],
    log,
  );
  for (const p of legacyState.problems)
    raise({ level: 'error', code: 'state_import_failed', message: p.message, key: `state_import:${p.file}` });

  const orchestration = orch.current!;
  const handlers: Handlers = {
    ...orchestration.orchestrator.handlers,
    ...exportHandlers(exportsService),
    ...profileHandlers({
      profiles: orchestration.profiles,
      location: () => orchestration.orchestrator.handlers.getLocation({}),
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
    call: (method, params) => callThrough(dispatch, method, params),
    onEvent: events.on,
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
      events.clear();
      log.flush();
    },
  };
}

/** What every service is built from: the data folder, its database and the station's log, events and metrics. */
interface Core {
  opts: StationOptions;
  dataDir: string;
  mediaDir: string;
  log: Logger;
  db: Db;
  agentsRepo: AgentsRepo;
  captures: CapturesRepo;
  emit: (e: StationEvent) => void;
  metrics: StationMetrics;
  /** Schedules, profiles, deployment, fleet capture, override tests and alerts (issue #5); set once started. */
  orch: { current: Orchestration | null };
}

/** Builds the station's services with their collaborators (nothing starts here). */
async function buildServices(core: Core) {
  const { opts, dataDir, mediaDir, log, db, agentsRepo, captures, emit, metrics, orch } = core;
  // Before orchestration runs there is no alert center: the alert goes to the UI as an event.
  const raise = (alert: RaiseAlert, time = new Date().toISOString()): void => {
    if (orch.current) orch.current.alerts.raise(alert);
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
    location: () => orch.current?.orchestrator.location() ?? null,
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
    metrics,
    diskFull: {
      raise: (message) =>
        orch.current?.alerts.raise({ level: 'error', code: 'station_disk_full', message, key: 'station_disk_full' }),
      resolve: () => orch.current?.alerts.resolve('station_disk_full'),
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
    observeAgents: (agents) => orch.current?.alerts.observeAgents(agents),
    decorate: (a) => ({
      ...(orch.current ? orch.current.orchestrator.decorate(a) : a),
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

  return {
    exportsService,
    settings,
    sync,
    clocks,
    fleetService,
    embedded,
    preview,
    capture,
    raise,
    client,
    agentNames,
  };
}
/** The station's event fan-out: a listener that throws is logged and the others still hear the event. */
function stationEvents(log: Logger): {
  emit: (e: StationEvent) => void;
  on: (listener: (e: StationEvent) => void) => () => void;
  clear: () => void;
} {
  const listeners = new Set<(e: StationEvent) => void>();
  return {
    emit: (e) => {
      for (const l of listeners) {
        try {
          l(e);
        } catch (err) {
          log.error({ err }, 'event listener failed');
        }
      }
    },
    on: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => listeners.clear(),
  };
}

/** Station.call: the dispatcher's result, or its error thrown as a StationError. */
async function callThrough<M extends MethodName>(
  dispatch: Dispatch,
  method: M,
  params?: ParamsOf<M>,
): Promise<ResultOf<M>> {
  const r = await dispatch(method, params);
  if (!r.ok) throw new StationError(r.error.code, r.error.message);
  return r.result as ResultOf<M>;
}
