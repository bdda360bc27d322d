/**
 * The orchestration part of the brain (issue #5), one service per capability,
 * each answering its own API methods:
 *
 *   location-service      the station's location and named schedules
 *   assignments-service   which schedules and profile each camera runs; config import/export
 *   profiles-service      the versioned profile library
 *   deployment-service    plans, deployment, redeploy near the horizon (a timer), scheduler health
 *   live-capture-service  metered captures across the fleet with the live ramp
 *   abtest-service        override (A/B) tests
 *   status-service        seed 002's status views and the alerts list
 *
 * The Orchestrator only builds them with their collaborators, starts and
 * stops the ones with a lifecycle, and joins their handlers.
 */
import type { AlertCenter } from '../alerts/center.js';
import type { AgentView } from '../api/contract.js';
import type { OrchMethodName } from '../api/orchestration.js';
import type { OrchestrationRepo } from '../db/orchestration-repo.js';
import type { ProfileLibrary } from '../profiles/store.js';
import type { Location } from '../schedule/location.js';
import type { WeatherProvider } from '../weather/provider.js';
import type { Logger } from '../util/log.js';
import { AbTestService } from './abtest-service.js';
import { AssignmentsService } from './assignments-service.js';
import type { FleetAccess, OrchHandlers } from './common.js';
import { DeploymentService, type DeploymentOptions } from './deployment-service.js';
import { LiveCaptureService } from './live-capture-service.js';
import type { SeedFrame } from './live-ramp.js';
import { LocationService } from './location-service.js';
import { ProfilesService } from './profiles-service.js';
import { StatusService } from './status-service.js';

export { DAY_MS, type FleetAccess } from './common.js';

export interface OrchestratorOptions extends DeploymentOptions {
  /** Current weather for the adaptive strategies (optional; without it they follow the sun only). */
  weather?: WeatherProvider | null;
}

export interface OrchestratorDeps extends OrchestratorOptions {
  repo: OrchestrationRepo;
  profiles: ProfileLibrary;
  fleet: FleetAccess;
  alerts: AlertCenter;
  /** Copy new captures from an agent into the gallery. */
  syncAgent(agentId: string): Promise<number>;
  /** A camera's latest light frames in the gallery, newest first: where the live ramp resumes after a restart. */
  latestFrames?: (agentId: string) => readonly SeedFrame[];
  log: Logger;
  now?: () => Date;
}

export type OrchestrationHandlers = OrchHandlers<OrchMethodName>;

export class Orchestrator {
  readonly places: LocationService;
  readonly assignments: AssignmentsService;
  readonly deployment: DeploymentService;
  readonly abTests: AbTestService;
  readonly handlers: OrchestrationHandlers;

  constructor(deps: OrchestratorDeps) {
    const { repo, profiles, fleet, alerts, log, now } = deps;
    const syncAgent = (agentId: string): Promise<number> => deps.syncAgent(agentId);
    const places = new LocationService({ repo, log, now });
    const assignments = new AssignmentsService({ repo, fleet, profiles, places, now });
    const deployment = new DeploymentService({
      repo,
      profiles,
      fleet,
      alerts,
      places,
      assignments,
      log,
      now,
      planDays: deps.planDays,
      redeployWithinMs: deps.redeployWithinMs,
      horizonCheckMs: deps.horizonCheckMs,
    });
    const live = new LiveCaptureService({
      fleet,
      profiles,
      alerts,
      places,
      assignments,
      syncAgent,
      weather: deps.weather,
      latestFrames: deps.latestFrames,
      now,
    });
    const abTests = new AbTestService({ repo, alerts, assignments, syncAgent, log, now });
    const status = new StatusService({ repo, fleet, alerts, places, assignments, deployment, now });
    this.places = places;
    this.assignments = assignments;
    this.deployment = deployment;
    this.abTests = abTests;
    this.handlers = {
      ...places.handlers,
      ...assignments.handlers,
      ...new ProfilesService({ profiles }).handlers,
      ...deployment.handlers,
      ...live.handlers,
      ...abTests.handlers,
      ...status.handlers,
    };
  }

  start(): void {
    this.deployment.start();
  }

  /** Stops the horizon timer (waiting for a running check) and lets running override tests finish their round. */
  async close(): Promise<void> {
    await Promise.all([this.deployment.stop(), this.abTests.stop()]);
  }

  location(): Location | null {
    return this.places.location();
  }

  /** Adds the station's deployment record and the agent's deployed profile to an agent view. */
  decorate(view: AgentView): AgentView {
    return this.deployment.decorate(view);
  }

  /** Redeploy every plan that ends within `redeployWithinMs`; alert when that fails. */
  checkHorizons(): Promise<void> {
    return this.deployment.checkHorizons();
  }
}
