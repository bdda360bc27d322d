/**
 * Which schedules and profile each camera runs (seed 002's cameras section),
 * matched to the fleet by agent id or by address, and the station's whole
 * configuration as one file (import and export).
 */
import type { AgentClient } from '../agents/agent-client.js';
import type { AgentView } from '../api/contract.js';
import type { AssignmentView } from '../api/orchestration.js';
import type { AssignmentRow, OrchestrationRepo } from '../db/orchestration-repo.js';
import type { ProfileLibrary } from '../profiles/store.js';
import { exportConfig, importConfig, type StationConfig } from '../schedule/config.js';
import { knownAgent } from '../brain/service.js';
import { StationError } from '../util/errors.js';
import { clock, type FleetAccess, type OrchHandlers } from './common.js';
import type { LocationService } from './location-service.js';

type AssignmentMethods = 'listAssignments' | 'assignSchedules' | 'importConfig' | 'exportConfig';

export interface AssignmentsDeps {
  repo: OrchestrationRepo;
  fleet: FleetAccess;
  profiles: ProfileLibrary;
  places: LocationService;
  now?: (() => Date) | undefined;
}

export class AssignmentsService {
  readonly name = 'assignments';
  private readonly now: () => Date;

  constructor(private readonly deps: AssignmentsDeps) {
    this.now = clock(deps.now);
  }

  /** The agent an assignment refers to: by id, else by address. */
  agentOf(a: AssignmentRow, views = this.deps.fleet.views()): AgentView | undefined {
    return (
      (a.agentId !== null ? views.find((v) => v.id === a.agentId) : undefined) ??
      views.find((v) => v.host === a.host && v.port === a.port)
    );
  }

  assignmentFor(agentId: string): AssignmentRow | undefined {
    const views = this.deps.fleet.views();
    return this.deps.repo.assignments().find((a) => this.agentOf(a, views)?.id === agentId);
  }

  private assignmentView(a: AssignmentRow, views = this.deps.fleet.views()): AssignmentView {
    const agent = this.agentOf(a, views);
    return {
      cameraId: a.cameraId,
      agentId: agent?.id ?? a.agentId,
      host: agent?.host ?? a.host,
      port: agent?.port ?? a.port,
      schedules: a.schedules,
      profileId: a.profileId,
      site: a.site,
    };
  }

  requireAgent(agentId: string): AgentView {
    return knownAgent(this.deps.fleet.view(agentId), agentId);
  }

  requireClient(agentId: string): AgentClient {
    return knownAgent(this.deps.fleet.client(agentId), agentId);
  }

  readonly handlers: OrchHandlers<AssignmentMethods> = {
    listAssignments: () => {
      const views = this.deps.fleet.views();
      return Promise.resolve(this.deps.repo.assignments().map((a) => this.assignmentView(a, views)));
    },
    assignSchedules: async (p) => {
      const agent = this.requireAgent(p.agentId);
      const known = this.deps.places.schedules();
      const missing = p.schedules.filter((s) => !(s in known));
      if (missing.length > 0) {
        throw new StationError(
          'SCHEDULE_UNKNOWN',
          `No schedule named ${missing.map((m) => `"${m}"`).join(', ')}; create it first.`,
        );
      }
      if (p.profileId) await this.deps.profiles.get(p.profileId);
      const existing = this.assignmentFor(agent.id);
      const taken = new Set(this.deps.repo.assignments().map((a) => a.cameraId));
      const cameraId = existing?.cameraId ?? (taken.has(agent.name) ? agent.id : agent.name);
      const row: AssignmentRow = {
        cameraId,
        agentId: agent.id,
        host: agent.host,
        port: agent.port,
        site: existing?.site ?? null,
        profileId: p.profileId === undefined ? (existing?.profileId ?? null) : p.profileId,
        schedules: [...new Set(p.schedules)],
      };
      this.deps.repo.putAssignment(row, this.now().toISOString());
      return this.assignmentView(row);
    },
    importConfig: (p) => {
      const config = importConfig(p.config);
      const views = this.deps.fleet.views();
      const matched: string[] = [];
      const unmatched: string[] = [];
      const rows: AssignmentRow[] = Object.entries(config.cameras).map(([cameraId, c]) => {
        const agent =
          views.find((v) => v.host === c.host && v.port === c.port) ??
          views.find((v) => v.id === cameraId || v.name === cameraId);
        (agent ? matched : unmatched).push(cameraId);
        return {
          cameraId,
          agentId: agent?.id ?? null,
          host: c.host,
          port: c.port,
          site: c.location ?? null,
          profileId: c.deployed_profile ?? null,
          schedules: c.schedules,
        };
      });
      this.deps.repo.replaceConfig(config.location, config.schedules, rows, this.now().toISOString());
      return Promise.resolve({
        schedules: Object.keys(config.schedules).length,
        cameras: rows.length,
        matched,
        unmatched,
      });
    },
    exportConfig: () => {
      const location = this.deps.places.requireLocation();
      const views = this.deps.fleet.views();
      const cameras: StationConfig['cameras'] = {};
      for (const a of this.deps.repo.assignments()) {
        const v = this.assignmentView(a, views);
        cameras[a.cameraId] = {
          host: v.host,
          port: v.port,
          ...(a.site ? { location: a.site } : {}),
          ...(a.profileId ? { deployed_profile: a.profileId } : {}),
          schedules: a.schedules,
        };
      }
      return Promise.resolve({
        config: exportConfig({ location, schedules: this.deps.places.schedules(), cameras }),
      });
    },
  };
}
