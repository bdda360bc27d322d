import { readFileSync } from 'node:fs';
import { access, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCamera } from './camera/factory.js';
import { CaptureService } from './capture-service.js';
import { Journal } from './db/journal.js';
import { AgentHttpServer } from './http/server.js';
import { loadOrCreateIdentity } from './identity.js';
import { startAdvertiser } from './mdns.js';
import { DeploymentStore } from './profile/deployment-store.js';
import { simulatedClock, systemClock } from './sky/clock.js';
import { DEFAULT_LOCATION } from './sky/model.js';
import { CapturesStore } from './storage/captures-store.js';
import { AgentError } from './util/errors.js';
import { createLogger, type Logger } from './util/log.js';
import type { LevelWithSilent } from 'pino';

export interface AgentOptions {
  dataDir: string;
  camera?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  name?: string;
  mdns?: boolean;
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
}

export interface RunningAgent {
  url: string;
  port: number;
  id: string;
  dataDir: string;
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

/** Starts the agent: identity, journal, camera, HTTP + WS server. Used by the CLI and by tests. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const log = options.logger ?? createLogger(options.logLevel ?? 'info');
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '0.0.0.0';
  const requestedPort = options.port ?? 8080;
  const name = options.name ?? hostname();
  const location = {
    latitude: options.latitude ?? DEFAULT_LOCATION.latitude,
    longitude: options.longitude ?? DEFAULT_LOCATION.longitude,
  };
  const clock = options.simTime ? simulatedClock(options.simTime) : systemClock;

  await ensureWritableDir(dataDir);
  const identity = await loadOrCreateIdentity(dataDir);
  const camera = createCamera(options.camera ?? 'simulated', {
    clock,
    location,
    width: options.simWidth ?? 1920,
    height: options.simHeight ?? 1080,
    timeScale: options.timeScale ?? timeScaleFromEnv(),
  });

  const store = new CapturesStore(dataDir);
  await store.init();
  const journal = Journal.open(join(dataDir, 'journal.sqlite'));
  const cleanup: (() => Promise<void> | void)[] = [() => journal.close()];
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
    // Reconcile after a crash: temp files go, rows whose file vanished are marked missing.
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

    const deployments = new DeploymentStore(dataDir, log);
    await deployments.load();
    await camera.open();
    cleanup.push(() => camera.close());

    let server: AgentHttpServer | null = null;
    const captures = new CaptureService({
      camera,
      journal,
      store,
      deployments,
      cameraName: name,
      log,
      emit: (event) => server?.broadcast(event),
      now: () => clock.now(),
    });
    server = new AgentHttpServer({
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
    });
    const http = server;
    const port = await listen(http.server, host, requestedPort);
    cleanup.push(() => http.close());
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `http://${urlHost}:${port}`;
    const advertiser = startAdvertiser({ enabled: options.mdns ?? true, log, port, id: identity.id, name });
    cleanup.push(() => advertiser.stop());
    log.info(
      {
        event: 'listening',
        port,
        url,
        host,
        id: identity.id,
        name,
        camera: camera.driver,
        data_dir: dataDir,
        version: AGENT_VERSION,
      },
      'agent listening',
    );

    let closed: Promise<void> | null = null;
    return {
      url,
      port,
      id: identity.id,
      dataDir,
      close: () => (closed ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
