/**
 * Wires the agent's autonomy and compatibility modules into one object the
 * agent starts and stops: the deployed plan runner (GET /plan...), the clock
 * (GET/POST /clock), the CinePi dashboard API and the ObsCam API.
 */
import type { CameraDriver } from '../camera/driver.js';
import type { CaptureService } from '../capture-service.js';
import type { AgentClock } from '../clock/agent-clock.js';
import { clockRoutes } from '../clock/http.js';
import type { Journal } from '../db/journal.js';
import { CinePiApi } from '../http/cinepi.js';
import { obscamRoutes } from '../http/obscam.js';
import type { Router } from '../http/router.js';
import type { DeploymentStore } from '../profile/deployment-store.js';
import type { AgentEvent } from '../protocol/index.js';
import type { CapturesStore } from '../storage/captures-store.js';
import type { Logger } from '../util/log.js';
import { planRoutes } from './http.js';
import { lastJournalledFrame } from './ramp.js';
import { PlanRunner } from './runner.js';

export interface AgentModulesDeps {
  dataDir: string;
  clock: AgentClock;
  camera: CameraDriver;
  captures: CaptureService;
  deployments: DeploymentStore;
  journal: Journal;
  store: CapturesStore;
  log: Logger;
  emit: (event: AgentEvent) => void;
  allowSetSystemClock: boolean;
  /** The agent's YAML config file (--config), for the CinePi config endpoints. */
  configPath?: string;
  /** Live WebSocket connections and their limit, for ObsCam's /api/health. */
  connections?: () => { live: number; max: number };
}

export interface AgentModules {
  routes: ((router: Router) => void)[];
  runner: PlanRunner;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createAgentModules(d: AgentModulesDeps): AgentModules {
  const slots = d.journal.planSlots();
  const runner = new PlanRunner({
    clock: d.clock,
    captures: d.captures,
    deployments: d.deployments,
    slots,
    log: d.log.child({ component: 'plan' }),
    emit: d.emit,
    previousFrame: (sinceMs) => lastJournalledFrame(slots, d.journal, sinceMs),
  });
  const cinepi = new CinePiApi({
    dataDir: d.dataDir,
    clock: d.clock,
    camera: d.camera,
    captures: d.captures,
    journal: d.journal,
    store: d.store,
    log: d.log.child({ component: 'cinepi' }),
    ...(d.configPath === undefined ? {} : { configPath: d.configPath }),
  });
  return {
    runner,
    routes: [
      planRoutes(runner, slots),
      clockRoutes({ clock: d.clock, log: d.log, emit: d.emit, allowSystemClock: d.allowSetSystemClock }),
      cinepi.routes(),
      obscamRoutes({
        camera: d.camera,
        captures: d.captures,
        log: d.log,
        now: () => d.clock.now(),
        ...(d.connections ? { connections: d.connections } : {}),
      }),
    ],
    async start() {
      runner.start();
      await cinepi.start();
    },
    async stop() {
      await cinepi.stop();
      await runner.stop();
    },
  };
}
