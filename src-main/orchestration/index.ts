/**
 * Wiring for the orchestration part of the brain: the repo on the gallery
 * database, the profile library (in the database, presets A–F installed), the
 * alert center and the Orchestrator. The brain calls `startOrchestration` once.
 */
import { AlertCenter } from '../alerts/center.js';
import { CapturesRepo } from '../db/captures-repo.js';
import type { StationEvent } from '../api/contract.js';
import type { Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { ProfileLibrary, SqliteProfileStore } from '../profiles/store.js';
import type { Logger } from '../util/log.js';
import { Orchestrator, type FleetAccess, type OrchestratorOptions } from './service.js';

export { Orchestrator, type OrchestratorOptions, type FleetAccess } from './service.js';

export interface OrchestrationOptions extends OrchestratorOptions {
  /** Disk alert threshold in percent (default 80). */
  diskAlertPercent?: number;
}

export interface Orchestration {
  orchestrator: Orchestrator;
  alerts: AlertCenter;
  profiles: ProfileLibrary;
  close(): Promise<void>;
}

export async function startOrchestration(deps: {
  db: Db;
  dataDir: string;
  fleet: FleetAccess;
  emit: (e: StationEvent) => void;
  syncAgent: (agentId: string) => Promise<number>;
  log: Logger;
  options?: OrchestrationOptions | undefined;
}): Promise<Orchestration> {
  const repo = new OrchestrationRepo(deps.db);
  const captures = new CapturesRepo(deps.db);
  const profiles = new ProfileLibrary(new SqliteProfileStore(deps.db));
  await profiles.installPresets();
  const alerts = new AlertCenter({
    store: repo,
    emit: deps.emit,
    ...(deps.options?.diskAlertPercent !== undefined ? { diskAlertPercent: deps.options.diskAlertPercent } : {}),
  });
  const orchestrator = new Orchestrator({
    ...deps.options,
    repo,
    profiles,
    fleet: deps.fleet,
    alerts,
    syncAgent: deps.syncAgent,
    latestFrames: (agentId) =>
      captures.latestLightFrames(agentId).map((f) => ({
        iso: f.iso,
        shutter_speed: f.shutterSpeed,
        atMs: Date.parse(f.capturedAt),
      })),
    log: deps.log,
  });
  orchestrator.start();
  return {
    orchestrator,
    alerts,
    profiles,
    close: async () => {
      await orchestrator.close();
      alerts.close();
    },
  };
}
