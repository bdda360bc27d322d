import { mkdirSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isMethodName,
  methods,
  type AgentView,
  type ApiError,
  type CaptureView,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type StationEvent,
  type StationHealth,
  type SessionView,
  type AgentControlView,
} from '../api/contract.js';
import type { z } from 'zod';
import type { AgentClient } from '../agents/agent-client.js';
import type { SessionResponse, TimelapseStatusResponse } from '../agents/protocol.js';

type TimelapseStatus = z.infer<typeof TimelapseStatusResponse>;
import { findAppRoot, startEmbeddedAgent, type EmbeddedAgent } from '../agents/embedded-agent.js';
import { Fleet } from '../agents/fleet.js';
import { PreviewRelay } from '../preview/relay.js';
import { FileTokenVault, tokensPath, type TokenVault } from '../agents/token-store.js';
import { DiscoveryBrowser } from '../discovery/browser.js';
import { loadOrCreateStationIdentity, parseAgentAddress } from '../discovery/pairing.js';
import { AgentsRepo } from '../db/agents-repo.js';
import { CapturesRepo, type StoredCapture } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { exportHandlers, splitCaptureId } from '../export/handlers.js';
import { profileHandlers } from '../profiles/api-handlers.js';
import { galleryHandlers } from '../gallery/service.js';
import { ExportService } from '../export/service.js';
import { StationSettings } from '../settings/service.js';
import { startOrchestration, type Orchestration, type OrchestrationOptions } from '../orchestration/index.js';
import { SyncEngine } from '../sync/sync-engine.js';
import { DerivativesQueue } from '../media/derivatives.js';
import { SensorsRepo } from '../db/sensors-repo.js';
import { syncSensorReadings } from '../sync/sensor-sync.js';
import { compareClocks, describeOffset, type ClockComparison } from '../agents/clock-check.js';
import { ensureDirSync } from '../util/atomic.js';
import { StationError, errorMessage } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { StationMetrics } from './metrics.js';

export const STATION_VERSION = '0.1.0';

/** Live sensor events trigger a copy of the agent's series at most this often. */
const SENSOR_SYNC_MIN_MS = 5_000;

function toControlView(agentId: string, r: SessionResponse): AgentControlView {
  return {
    agentId,
    masterSessionId: r.master_session_id,
    forced: r.forced,
    sessions: r.sessions,
    connections: r.connections,
    maxConnections: r.max_connections,
  };
}

function toSessionView(agentId: string, r: TimelapseStatus): SessionView {
  const s = r.session;
  return {
    agentId,
    active: r.status === 'active',
    intervalSeconds: s?.interval ?? null,
    startedAt: s?.start_time ?? null,
    captures: s?.captures ?? 0,
    failed: s?.failed ?? 0,
    missed: s?.missed ?? 0,
    lastCaptureAt: s?.last_capture_at ?? null,
    nextCaptureAt: s?.next_capture_at ?? null,
    stoppedAt: s?.stopped_at ?? null,
    stopReason: s?.stop_reason ?? null,
  };
}

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

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiError };

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

type Handlers = {
  [M in MethodName]: (params: ReturnType<(typeof methods)[M]['params']['parse']>) => Promise<ResultOf<M>>;
};

export async function startStation(opts: StationOptions): Promise<Station> {
  const dataDir = opts.dataDir;
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
  const log = opts.log ?? createLogger(dataDir);
  const mediaDir = join(dataDir, 'media');
  mkdirSync(mediaDir, { recursive: true });
  const db: Db = openDatabase(join(dataDir, 'gallery.sqlite'));
  const agentsRepo = new AgentsRepo(db);
  const captures = new CapturesRepo(db);
  const sensors = new SensorsRepo(db);
  const sensorSyncedAt = new Map<string, number>();
  const listeners = new Set<(e: StationEvent) => void>();
  const startedAt = new Date().toISOString();
  const metrics = new StationMetrics();

  const emit = (e: StationEvent): void => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log.error({ err }, 'event listener failed');
      }
    }
  };

  const agentNames = (): Map<string, string> => new Map(fleet.views().map((a) => [a.id, a.name]));

  const requireClient = (agentId: string): AgentClient => {
    const client = fleet.client(agentId);
    if (!client) throw new StationError('agent_unknown', `No agent with id ${agentId} is configured.`);
    return client;
  };

  // Clocks are compared at every connection; a drifted agent raises an alert here and a warning on the agent.
  const clockChecks = new Map<string, ClockComparison>();
  const checkClock = async (agentId: string): Promise<ClockComparison | null> => {
    const client = fleet.client(agentId);
    if (!client) return null;
    const c = await compareClocks(client);
    clockChecks.set(agentId, c);
    if (c.drifted) {
      const alert = {
        level: 'warning',
        code: 'clock_offset',
        message: describeOffset(agentNames().get(agentId) ?? agentId, c.offsetMs),
        agentId,
      } as const;
      if (orchestration) orchestration.alerts.raise(alert);
      else emit({ event: 'alert', data: { ...alert, time: new Date().toISOString() } });
    }
    return c;
  };
  const toCaptureView = (c: StoredCapture, names = agentNames()): CaptureView => ({
    id: `${c.agentId}/${c.captureId}`,
    agentId: c.agentId,
    agentName: names.get(c.agentId) ?? c.agentId,
    capturedAt: c.capturedAt,
    schedule: c.schedule,
    profile: c.profile,
    testId: c.testId,
    iso: c.iso,
    shutterSpeed: c.shutterSpeed,
    lux: c.lux,
    width: c.width,
    height: c.height,
    sizeBytes: c.sizeBytes,
    sha256: c.sha256,
    thumbPath: c.thumbPath,
    thumbReady: c.meanBrightness !== null && c.meanBrightness !== undefined,
    meanBrightness: c.meanBrightness ?? null,
    imagePath: c.imagePath,
    bracket:
      c.bracketGroup != null && c.bracketIndex != null && c.bracketCount != null && c.bracketEv != null
        ? { group: c.bracketGroup, index: c.bracketIndex, count: c.bracketCount, ev: c.bracketEv }
        : null,
    frameKind: c.frameKind ?? 'light',
  });

  // Timelapse exports and night products (issue #6); the queue starts below.
  const exportsService = new ExportService({
    dataDir,
    mediaDir,
    gallery: captures,
    agents: () => fleet.views(),
    emit,
    log,
  });
  // Settings screen (weather provider, S3 archive): applied at once, no restart.
  const settings = await StationSettings.start({
    dataDir,
    log,
    vault: opts.settingsVault,
    fixedWeather: opts.orchestration?.weather,
    location: () => orchestration?.orchestrator.location() ?? null,
    archive: exportsService,
  });

  const onImported = (agentId: string, captureId: string): void => {
    metrics.imported.inc();
    const row = captures.get(agentId, captureId);
    if (row) emit({ event: 'capture.added', data: toCaptureView(row) });
    if (row) exportsService.noteImported(row);
  };
  // Thumbnails and quality figures follow the verified copy, off the transfer's path.
  const derivatives = new DerivativesQueue({ captures, mediaDir, log, onReady: onImported });
  const resumed = derivatives.resumePending();
  if (resumed > 0) log.info({ resumed }, 'making thumbnails left over from the last run');
  const sync = new SyncEngine({
    captures,
    mediaDir,
    log,
    derivatives,
    onBytes: (n) => metrics.syncBytes.inc(n),
    onImported,
    // A full data disk pauses syncing (the images stay safe on the cameras): the operator sees why, once.
    onPaused: (pause) =>
      orchestration?.alerts.raise({
        level: 'error',
        code: 'station_disk_full',
        message: pause.message,
        key: 'station_disk_full',
      }),
    onResumed: () => orchestration?.alerts.resolve('station_disk_full'),
  });

  const syncAgent = async (agentId: string): Promise<number> => {
    const client = fleet.client(agentId);
    if (!client) throw new StationError('agent_unknown', `No agent with id ${agentId} is configured.`);
    const r = await sync.sync(agentId, client);
    if (r.failed > 0) metrics.syncErrors.inc(r.failed);
    // The sensor time series follows the captures; a failure here never fails the capture sync.
    await syncSensorReadings(agentId, client, sensors).catch((err: unknown) =>
      log.warn({ err, agentId }, 'sensor readings sync failed; retried at the next sync'),
    );
    return r.imported;
  };

  const fleet: Fleet = new Fleet({
    repo: agentsRepo,
    log,
    tokens: opts.tokenVault ?? new FileTokenVault(tokensPath(dataDir)),
    discovery: opts.discovery === false ? null : new DiscoveryBrowser({ log }),
    station: () => loadOrCreateStationIdentity(dataDir),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    listener: {
      onAgentsChanged: (agents: AgentView[]) => {
        metrics.agents.reset();
        metrics.syncBacklog.reset();
        for (const a of agents) {
          metrics.agents.inc({ state: a.state });
          if (a.unsynced !== null) metrics.syncBacklog.set({ agent: a.name }, a.unsynced);
        }
        orchestration?.alerts.observeAgents(agents);
        emit({ event: 'agents.changed', data: decorate(agents) });
      },
      onAgentEvent: (agentId, event) => {
        if (event.type === 'capture.done') {
          syncAgent(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'sync after capture failed'));
        } else if (event.type === 'capture.started') {
          emit({
            event: 'capture.started',
            data: { agentId, exposureSeconds: event.exposure_seconds, startedAt: event.started_at },
          });
        } else if (event.type === 'sensor') {
          // Live readings: copy the series at most every few seconds per agent.
          const last = sensorSyncedAt.get(agentId) ?? 0;
          const client = fleet.client(agentId);
          if (client && Date.now() - last >= SENSOR_SYNC_MIN_MS) {
            sensorSyncedAt.set(agentId, Date.now());
            syncSensorReadings(agentId, client, sensors).catch((err: unknown) =>
              log.warn({ err, agentId }, 'sensor readings sync failed; retried later'),
            );
          }
        } else if (event.type === 'warning' || event.type === 'capture.failed') {
          const name = fleet.view(agentId)?.name ?? agentId;
          const alert = { level: 'warning', code: event.code, message: `${name}: ${event.message}`, agentId } as const;
          if (orchestration) orchestration.alerts.raise(alert);
          else emit({ event: 'alert', data: { ...alert, time: event.time } });
        }
      },
      onAgentOnline: (agentId) => {
        syncAgent(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'sync on reconnect failed'));
        checkClock(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'clock check failed'));
      },
    },
  });
  // Schedules, profiles, deployment, fleet capture, override tests and alerts (issue #5).
  let orchestration: Orchestration | null = null;
  const decorate = (agents: AgentView[]): AgentView[] =>
    (orchestration ? agents.map((a) => orchestration!.orchestrator.decorate(a)) : agents).map((a) => ({
      ...a,
      clockOffsetMs: clockChecks.get(a.id)?.offsetMs ?? null,
    }));
  await fleet.start();
  const preview = new PreviewRelay({ client: (id) => fleet.client(id), log, registry: metrics.registry });
  orchestration = await startOrchestration({
    db,
    dataDir,
    fleet,
    emit,
    // Orchestrated captures and A/B tests need the thumbnails and quality figures too.
    syncAgent: async (agentId: string) => {
      const n = await syncAgent(agentId);
      await derivatives.idle();
      return n;
    },
    log,
    options: { ...opts.orchestration, weather: settings.weather },
  });
  await exportsService.start();

  // The embedded simulated agent: a new user sees a working camera with no hardware.
  let embedded: EmbeddedAgent | null = null;
  const wantEmbedded =
    opts.embeddedAgent === true || (opts.embeddedAgent === 'auto' && agentsRepo.all().every((a) => a.embedded));
  if (wantEmbedded) {
    embedded = await startEmbeddedAgent({
      dataDir: join(dataDir, 'embedded-agent'),
      appRoot: findAppRoot(import.meta.dirname),
      log,
      ...(opts.embeddedAgentArgs ? { extraArgs: opts.embeddedAgentArgs } : {}),
    });
    await fleet.add(embedded.host, embedded.port, { embedded: true, token: embedded.token });
  }

  const handlers: Handlers = {
    ...orchestration.orchestrator.handlers,
    ...exportHandlers(exportsService),
    ...profileHandlers({
      profiles: orchestration.profiles,
      location: () => orchestration!.orchestrator.handlers.getLocation({}),
    }),
    ...settings.handlers(),
    ...galleryHandlers({
      captures,
      mediaDir,
      toView: (c) => toCaptureView(c),
      agentNames,
      client: (id) => fleet.client(id),
      log,
    }),
    health: (): Promise<StationHealth> => {
      const agents = fleet.views();
      return Promise.resolve({
        status: 'ok',
        version: STATION_VERSION,
        agents: agents.length,
        agentsOnline: agents.filter((a) => a.state === 'online').length,
        captures: captures.count(),
        startedAt,
      });
    },
    listAgents: () => Promise.resolve(decorate(fleet.allViews())),
    pairAgent: (p) =>
      fleet.pair(p.agentId !== undefined ? { agentId: p.agentId } : parseAgentAddress(p.url ?? ''), p.code),
    addAgent: (p) => fleet.add(p.host, p.port, { name: p.name, token: p.token }),
    removeAgent: (p) => Promise.resolve({ removed: fleet.remove(p.agentId) }),
    syncAgent: async (p) => ({ imported: await syncAgent(p.agentId) }),
    startSession: async (p) => {
      const client = requireClient(p.agentId);
      await client.startTimelapse(p.intervalSeconds);
      return toSessionView(p.agentId, await client.timelapseStatus());
    },
    stopSession: async (p) => {
      const client = requireClient(p.agentId);
      await client.stopTimelapse();
      return toSessionView(p.agentId, await client.timelapseStatus());
    },
    sessionStatus: async (p) => toSessionView(p.agentId, await requireClient(p.agentId).timelapseStatus()),
    agentLog: async (p) => {
      const r = await requireClient(p.agentId).logs(p.limit, p.level);
      return r.logs.map((l) => ({ time: l.timestamp, level: l.level, message: l.message, module: l.module }));
    },
    agentControl: async (p) => toControlView(p.agentId, await requireClient(p.agentId).control()),
    forceMaster: async (p) => toControlView(p.agentId, await requireClient(p.agentId).forceMaster(p.sessionId)),
    sensorSeries: (p) =>
      Promise.resolve(sensors.series({ agentId: p.agentId, sensor: p.sensor, from: p.from, to: p.to, limit: p.limit })),
    setAgentClock: async (p) => {
      const client = fleet.client(p.agentId);
      if (!client) throw new StationError('agent_unknown', `No agent with id ${p.agentId} is configured.`);
      const before = (await checkClock(p.agentId))!;
      const r = await client.setClock(new Date(), true);
      const after = (await checkClock(p.agentId))!;
      return { agentId: p.agentId, offsetBeforeMs: before.offsetMs, offsetAfterMs: after.offsetMs, applied: r.applied };
    },
    captureNow: async (p) => {
      const client = fleet.client(p.agentId);
      if (!client) throw new StationError('agent_unknown', `No agent with id ${p.agentId} is configured.`);
      const timer = metrics.captureDuration.startTimer();
      const response = await client.capture({
        auto: true,
        schedule: 'manual',
        ...(p.frameKind === 'dark' ? { frame_kind: 'dark' as const } : {}),
      });
      await syncAgent(p.agentId);
      await derivatives.whenDone(p.agentId, response.capture_id);
      const row = captures.get(p.agentId, response.capture_id);
      if (!row) {
        throw new StationError(
          'capture_not_synced',
          'The camera took the picture but it could not be copied to this computer yet; it stays safe on the camera and will be copied on the next sync.',
        );
      }
      timer();
      return toCaptureView(row);
    },
    captureBracket: async (p) => {
      const client = fleet.client(p.agentId);
      if (!client) throw new StationError('agent_unknown', `No agent with id ${p.agentId} is configured.`);
      // One request: the agent takes the whole set back to back under its capture lock (each image may be long).
      let response;
      try {
        response = await client.capture(
          {
            auto: true,
            schedule: 'manual',
            bracket: { evs: p.evs },
            ...(p.frameKind === 'dark' ? { frame_kind: 'dark' as const } : {}),
          },
          120_000 * p.evs.length,
        );
      } catch (err) {
        // A set that stopped partway: the images taken are journalled on the agent. Copy them now, so the
        // operator finds them in the gallery beside the error instead of after the next sync.
        if (err instanceof StationError && err.code === 'bracket_incomplete') {
          await syncAgent(p.agentId).catch((syncErr: unknown) =>
            log.warn({ err: syncErr, agentId: p.agentId }, 'copying an incomplete bracketed set failed'),
          );
        }
        throw err;
      }
      const ids = response.captures?.map((c) => c.capture_id) ?? [response.capture_id];
      await syncAgent(p.agentId);
      const views: CaptureView[] = [];
      for (const id of ids) {
        await derivatives.whenDone(p.agentId, id);
        const row = captures.get(p.agentId, id);
        if (!row) {
          throw new StationError(
            'capture_not_synced',
            `The camera took the ${ids.length} pictures but they could not all be copied to this computer yet; they stay safe on the camera and will be copied on the next sync.`,
          );
        }
        views.push(toCaptureView(row));
      }
      return views;
    },
    listCaptures: (p) => {
      const page = captures.page({ agentId: p.agentId, cursor: p.cursor, limit: p.limit, frameKind: p.frameKind });
      const names = agentNames();
      return Promise.resolve({ items: page.items.map((c) => toCaptureView(c, names)), nextCursor: page.nextCursor });
    },
    setFrameKind: (p) => {
      const names = agentNames();
      const updated = captures.setFrameKind(p.ids.map(splitCaptureId), p.kind).map((c) => toCaptureView(c, names));
      const missing = p.ids.filter((id) => !updated.some((u) => u.id === id));
      if (updated.length === 0) {
        throw new StationError('capture_not_found', `No capture in the gallery has the id ${missing[0]}.`);
      }
      return Promise.resolve({ updated, missing });
    },
  };

  const dispatch = async (method: string, params: unknown): Promise<DispatchResult> => {
    if (!isMethodName(method)) {
      return { ok: false, error: { code: 'unknown_method', message: `The station has no method "${method}".` } };
    }
    const parsed = methods[method].params.safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(params)';
      return {
        ok: false,
        error: {
          code: 'bad_request',
          message: `${field}: ${issue?.message ?? 'invalid value'}`,
          details: {
            field,
            issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        },
      };
    }
    try {
      const handler = handlers[method] as (p: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      metrics.apiErrors.inc({ code: err instanceof StationError ? err.code : 'internal' });
      if (err instanceof StationError) return { ok: false, error: { code: err.code, message: err.message } };
      log.error({ err, method }, 'station method failed');
      return {
        ok: false,
        error: {
          code: 'internal',
          message: `Something went wrong in the station (${errorMessage(err)}). See the log.`,
        },
      };
    }
  };

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
      preview.close();
      await orchestration?.close();
      await exportsService.close();
      await fleet.close();
      await embedded?.stop();
      // Thumbnails still queued are made at the next start (their rows have no quality figures yet).
      await derivatives.close();
      db.close();
      listeners.clear();
      log.flush();
    },
  };
}
