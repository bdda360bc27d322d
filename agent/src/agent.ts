import { readFileSync } from 'node:fs';
import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadOrCreatePairingCode } from './auth/pairing.js';
import { AgentSecurity } from './auth/security.js';
import { ensureCertificate } from './auth/tls.js';
import { loadOrCreateAdminToken, TokenStore } from './auth/tokens.js';
import { selectCamera } from './camera/factory.js';
import { ResilientCamera, watchdogFromEnv } from './camera/resilient.js';
import { CaptureService } from './capture-service.js';
import { Journal } from './db/journal.js';
import { AgentHttpServer } from './http/server.js';
import { loadOrCreateIdentity } from './identity.js';
import { capabilityTags, startAdvertiser, type MdnsMode } from './mdns.js';
import { PreviewHub, pausingPreview, previewSourceFor } from './preview/hub.js';
import { simulatedPreviewFrames } from './preview/simulated-source.js';
import { DeploymentStore } from './profile/deployment-store.js';
import { bootstrapOps } from './ops/bootstrap.js';
import { printPairingBanner } from './ops/logging.js';
import { AgentOps } from './ops/index.js';
import { reconcileOrphanFiles } from './ops/reconcile.js';
import { systemdNotifier } from './ops/systemd.js';
import type { AgentConfig } from './config-file.js';
import { SessionManager } from './session/sessions.js';
import { AgentClock } from './clock/agent-clock.js';
import { createAgentModules } from './plan/modules.js';
import { DEFAULT_LOCATION } from './sky/model.js';
import { CapturesStore } from './storage/captures-store.js';
import { AgentError } from './util/errors.js';
import { collectingAfterCapture } from './util/memory.js';
import type { Logger } from './util/log.js';
import type { LevelWithSilent } from 'pino';

export interface AgentOptions {
  dataDir: string;
  camera?: string;
  /** INDI server HOST:PORT and device for --camera indi (or auto). */
  indiServer?: string | undefined;
  indiDevice?: string | undefined;
  /** gphoto2 --port (usb:001,005) for --camera gphoto2. */
  gphoto2Port?: string | undefined;
  /** /dev/videoN for --camera v4l2. */
  v4l2Device?: string | undefined;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  name?: string;
  mdns?: boolean;
  /** Which mDNS advertiser: @homebridge/ciao in process (default) or the system's avahi (--mdns avahi). */
  mdnsMode?: MdnsMode;
  latitude?: number;
  longitude?: number;
  /** Start the simulated clock at this instant; it then advances in real time. */
  simTime?: Date;
  simWidth?: number;
  simHeight?: number;
  /** Scales how long long exposures really take (SKYSTATION_SIM_TIME_SCALE; tests use 0.01). */
  timeScale?: number;
  logLevel?: LevelWithSilent;
  logger?: Logger;
  /** `--config FILE` (must exist); default <data-dir>/agent.yaml when present. */
  configPath?: string;
  /** A config object instead of the file (tests). */
  config?: AgentConfig;
  /** `--sensor` specs; when given they replace the config file's sensors. */
  sensors?: string[];
  /** Simulated sensor period in ms (default 10 s). */
  simulatedSensorIntervalMs?: number;
  /** Serve HTTPS/WSS with a self-signed certificate made once in <data-dir>/auth/. */
  tls?: boolean;
  /** Idle time after which a client session expires (default 30 min; SKYSTATION_SESSION_IDLE_MS). */
  sessionIdleMs?: number;
  /** Live WebSocket connections allowed at once (default 5). */
  maxConnections?: number;
  /** POST /clock sets the system clock instead of the agent's own offset (--allow-set-system-clock). */
  allowSetSystemClock?: boolean;
}

export interface RunningAgent {
  url: string;
  port: number;
  id: string;
  dataDir: string;
  /** The local admin token (also in <data-dir>/auth/admin.token). */
  token: string;
  /** sha256 fingerprint of the TLS certificate, or null without TLS. */
  tlsFingerprint: string | null;
  close(): Promise<void>;
}

export const AGENT_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** The simulated sensor's period: the option, else SKYSTATION_SIM_SENSOR_INTERVAL_MS (tests), else its default. */
function simulatedSensorInterval(options: AgentOptions): number | undefined {
  if (options.simulatedSensorIntervalMs) return options.simulatedSensorIntervalMs;
  const raw = Number(process.env['SKYSTATION_SIM_SENSOR_INTERVAL_MS']);
  return Number.isFinite(raw) && raw >= 50 ? raw : undefined;
}

export function timeScaleFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['SKYSTATION_SIM_TIME_SCALE'];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new AgentError('usage', `SKYSTATION_SIM_TIME_SCALE must be a number of 0 or more, not "${raw}".`, {
      status: 400,
    });
  }
  return n;
}

async function ensureWritableDir(dir: string): Promise<void> {
  const unwritable = (cause: unknown): AgentError =>
    new AgentError(
      'data_dir_unwritable',
      `Cannot write to the data folder ${dir}; choose another folder with --data-dir or fix its permissions.`,
      {
        cause,
      },
    );
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.write-probe-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    throw unwritable(err);
  }
}

function listen(server: AgentHttpServer['server'], host: string, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new AgentError(
            'port_in_use',
            `Port ${port} on ${host} is already in use; stop the program using it or choose another port with --port.`,
            { cause: err },
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new AgentError(
            'port_denied',
            `Not allowed to listen on port ${port}; choose a port above 1023 with --port.`,
            { cause: err },
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(
          new AgentError(
            'host_unavailable',
            `The address ${host} is not on this machine; choose another with --host (for example 0.0.0.0 or 127.0.0.1).`,
            { cause: err },
          ),
        );
      } else {
        reject(err);
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Sessions with the options' idle time (else SKYSTATION_SESSION_IDLE_MS, else the default) and connection limit. */
function sessionManagerFor(options: AgentOptions): SessionManager {
  const envIdle = Number(process.env['SKYSTATION_SESSION_IDLE_MS'] ?? '');
  return new SessionManager({
    ...(options.sessionIdleMs !== undefined
      ? { idleMs: options.sessionIdleMs }
      : Number.isFinite(envIdle) && envIdle > 0
        ? { idleMs: envIdle }
        : {}),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
}

/** The chosen camera driver, under the watchdog + reconnect wrapper every driver runs in (camera/resilient.ts). */
async function openCameraDriver(
  options: AgentOptions,
  ctx: {
    clock: AgentClock;
    location: { latitude: number; longitude: number };
    log: Logger;
    dataDir: string;
    cameraIdentity: string;
  },
): Promise<ResilientCamera> {
  const watchdog = watchdogFromEnv();
  const driver = await selectCamera(options.camera ?? 'simulated', {
    clock: ctx.clock,
    location: ctx.location,
    width: options.simWidth ?? 1920,
    height: options.simHeight ?? 1080,
    timeScale: options.timeScale ?? timeScaleFromEnv(),
    log: ctx.log,
    tempDir: join(ctx.dataDir, 'captures'),
    marginMs: watchdog.marginMs,
    indiServer: options.indiServer,
    indiDevice: options.indiDevice,
    gphoto2Port: options.gphoto2Port,
    v4l2Device: options.v4l2Device,
    cameraIdentity: ctx.cameraIdentity,
  });
  return new ResilientCamera(driver, { log: ctx.log, ...watchdog });
}

/** After a crash: unfinished temp files go, journal rows whose file vanished are marked missing, orphans adopted. */
async function reconcileAfterCrash(store: CapturesStore, journal: Journal, log: Logger): Promise<void> {
  for (const path of await store.removeTempFiles())
    log.warn({ event: 'reconcile.temp_removed', path }, 'removed an unfinished capture file');
  for (const row of journal.present()) {
    if (!(await store.exists(row.file_name))) {
      journal.markMissing(row.capture_id);
      log.warn(
        { event: 'reconcile.missing', capture_id: row.capture_id, file: row.file_name },
        'capture file is missing; marked missing in the journal',
      );
    }
  }
  await reconcileOrphanFiles(store, journal, log);
}

/** The agent's own URL for the log and for tests: a wildcard host is reached on loopback. */
function listeningUrl(host: string, port: number, tls: boolean): string {
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${urlHost}:${port}`;
}

/**
 * Logs that the agent listens and announces it over mDNS (unless turned off); a reopened or swapped
 * camera is re-announced when its model changes.
 */
function announce(
  options: AgentOptions,
  a: {
    log: Logger;
    port: number;
    url: string;
    host: string;
    dataDir: string;
    id: string;
    name: string;
    camera: ResilientCamera;
    tls: { fingerprint: string } | null;
  },
): ReturnType<typeof startAdvertiser> {
  const tags = (): { cameraModel: string; capabilities: ReturnType<typeof capabilityTags> } => ({
    cameraModel: a.camera.capabilities().model,
    capabilities: capabilityTags(a.camera.capabilities()),
  });
  const advertiser = startAdvertiser({
    enabled: options.mdns ?? true,
    mode: options.mdnsMode ?? 'bonjour',
    log: a.log,
    port: a.port,
    id: a.id,
    name: a.name,
    version: AGENT_VERSION,
    ...tags(),
    tlsFingerprint: a.tls?.fingerprint ?? null,
    refresh: tags,
  });
  a.log.info(
    {
      event: 'listening',
      port: a.port,
      url: a.url,
      host: a.host,
      id: a.id,
      name: a.name,
      camera: a.camera.driver,
      data_dir: a.dataDir,
      version: AGENT_VERSION,
    },
    'agent listening',
  );
  return advertiser;
}

/** The agent's identity, admin token and token store; prints the pairing code (to stdout only, never the logs: issue 12). */
async function loadCredentials(
  dataDir: string,
  o: { log: Logger; quiet: boolean },
): Promise<{ identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>; adminToken: string; tokens: TokenStore }> {
  const identity = await loadOrCreateIdentity(dataDir);
  const adminToken = await loadOrCreateAdminToken(dataDir);
  const tokens = new TokenStore(dataDir, adminToken);
  await tokens.load();
  const pairing = await loadOrCreatePairingCode(dataDir);
  if (!o.quiet) printPairingBanner(pairing.code, pairing.expiresAt);
  o.log.info({ event: 'pairing_ready' }, 'A pairing code is ready: "skystation-agent pair" on this camera shows it.');
  return { identity, adminToken, tokens };
}

/** Starts the agent: identity, journal, camera, HTTP + WS server. Used by the CLI and by tests. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '0.0.0.0';
  const requestedPort = options.port ?? 8080;
  const name = options.name ?? hostname();
  const location = {
    latitude: options.latitude ?? DEFAULT_LOCATION.latitude,
    longitude: options.longitude ?? DEFAULT_LOCATION.longitude,
  };
  const clock = AgentClock.forDataDir(dataDir, options.simTime);

  await ensureWritableDir(dataDir);
  const boot = await bootstrapOps(options, dataDir);
  const log = boot.log;
  await clock.load(log);
  const { identity, adminToken, tokens } = await loadCredentials(dataDir, {
    log,
    quiet: (options.logLevel ?? boot.config.logging.level) === 'silent',
  });
  const tls = options.tls ? await ensureCertificate(dataDir, name) : null;
  const sessions = sessionManagerFor(options);
  const camera = await openCameraDriver(options, { clock, location, log, dataDir, cameraIdentity: identity.id });

  const store = new CapturesStore(dataDir);
  await store.init();
  const journal = Journal.open(join(dataDir, 'journal.sqlite'));
  const cleanup: (() => Promise<void> | void)[] = [() => boot.closeLog(), () => journal.close(), () => tokens.flush()];
  const closeAll = async (): Promise<void> => {
    for (const fn of cleanup.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'error while shutting down');
      }
    }
  };

  try {
    await reconcileAfterCrash(store, journal, log);

    const deployments = new DeploymentStore(dataDir, log);
    await deployments.load();
    await camera.open();
    cleanup.push(() => camera.close());
    const previewSource = previewSourceFor(camera, (o, signal) =>
      simulatedPreviewFrames({ clock, location }, o, signal),
    );
    const preview = previewSource ? new PreviewHub({ source: previewSource, log }) : null;
    if (preview) cleanup.push(() => preview.close());

    let server: AgentHttpServer | null = null;
    const ops = new AgentOps({
      dataDir,
      config: boot.config,
      ...(options.sensors ? { sensorSpecs: options.sensors } : {}),
      ...(simulatedSensorInterval(options) ? { simulatedSensorIntervalMs: simulatedSensorInterval(options) } : {}),
      journal,
      store,
      log,
      clock,
      location,
      emit: (event) => server?.broadcast(event),
      cameraState: () => camera.state(),
      cameraDriver: camera.driver,
      ...(camera.temperatureC ? { cameraTemperatureC: () => camera.temperatureC?.() ?? Promise.resolve(null) } : {}),
    });
    cleanup.push(() => ops.stop());
    if (preview) ops.metrics.setCollectors({ previewClients: () => preview.viewerCount() });
    const captures = new CaptureService({
      camera: ops.instrumentCamera(collectingAfterCapture(preview ? pausingPreview(camera, preview) : camera)),
      journal,
      store,
      deployments,
      cameraName: name,
      log,
      emit: (event) => {
        ops.observe(event);
        server?.broadcast(event);
      },
      now: () => clock.now(),
      // A bracketed set keeps the live preview paused from its first image to its last (back to back).
      ...(preview ? { holdCamera: <T>(fn: () => Promise<T>) => preview.pauseDuring(fn) } : {}),
    });
    const modules = createAgentModules({
      dataDir,
      clock,
      camera,
      captures,
      deployments,
      journal,
      store,
      log,
      emit: (event) => server?.broadcast(event),
      allowSetSystemClock: options.allowSetSystemClock ?? false,
      ...(options.configPath === undefined ? {} : { configPath: options.configPath }),
      connections: () => ({ live: sessions.liveConnections(), max: options.maxConnections ?? 5 }),
    });
    server = new AgentHttpServer({
      routeModules: modules.routes,
      id: identity.id,
      name,
      version: AGENT_VERSION,
      dataDir,
      location,
      camera,
      captures,
      journal,
      store,
      deployments,
      log,
      now: () => clock.now(),
      startedAt: Date.now(),
      ops,
      security: new AgentSecurity({
        dataDir,
        agentId: identity.id,
        agentName: name,
        tokens,
        sessions,
        log,
        tlsFingerprint: tls?.fingerprint ?? null,
      }),
      preview,
      tls: tls ? { cert: tls.cert, key: tls.key } : null,
    });
    const http = server;
    const port = await listen(http.server, host, requestedPort);
    cleanup.push(() => http.close());
    await modules.start();
    cleanup.push(() => modules.stop());
    await ops.start();
    const url = listeningUrl(host, port, tls !== null);
    const advertiser = announce(options, { log, port, url, host, dataDir, id: identity.id, name, camera, tls });
    cleanup.push(() => advertiser.stop());
    const systemd = systemdNotifier(log);
    await systemd.ready();
    cleanup.push(async () => {
      systemd.stop();
      await systemd.stopping();
    });

    let closed: Promise<void> | null = null;
    return {
      url,
      port,
      id: identity.id,
      dataDir,
      token: adminToken,
      tlsFingerprint: tls?.fingerprint ?? null,
      close: () => (closed ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
