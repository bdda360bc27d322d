/**
 * Seed 002's status views: every camera with its state, schedules, deployed
 * profile and the schedule running now, the station's summary, and the
 * alerts list with acknowledge and resolve.
 */
import type { AlertCenter } from '../alerts/center.js';
import type { AgentView } from '../api/contract.js';
import type { AlertView, CameraStatusView, StationStatusView } from '../api/orchestration.js';
import type { AssignmentRow, OrchestrationRepo } from '../db/orchestration-repo.js';
import { compilePlan } from '../schedule/plan.js';
import { StationError } from '../util/errors.js';
import type { AssignmentsService } from './assignments-service.js';
import { clock, type FleetAccess, type OrchHandlers } from './common.js';
import type { DeploymentService } from './deployment-service.js';
import type { LocationService } from './location-service.js';

type StatusMethods = 'listAlerts' | 'acknowledgeAlert' | 'resolveAlert' | 'stationStatus' | 'cameraStatus';

export interface StatusDeps {
  repo: OrchestrationRepo;
  fleet: FleetAccess;
  alerts: AlertCenter;
  places: LocationService;
  assignments: AssignmentsService;
  deployment: Pick<DeploymentService, 'deployedOn'>;
  now?: (() => Date) | undefined;
}

export class StatusService {
  readonly name = 'status';
  private readonly now: () => Date;

  constructor(private readonly deps: StatusDeps) {
    this.now = clock(deps.now);
  }

  private markAlert(id: number, mark: 'acknowledged' | 'resolved'): AlertView {
    const view = this.deps.alerts.mark(id, mark);
    if (view === null)
      throw new StationError('alert_unknown', `There is no alert number ${id}; the list may be out of date.`);
    return view;
  }

  private activeSchedule(agentId: string): { schedule: string; until: string } | null {
    const loc = this.deps.places.location();
    const a = this.deps.assignments.assignmentFor(agentId);
    if (!loc || !a || a.schedules.length === 0) return null;
    try {
      const now = this.now();
      const plan = compilePlan({
        location: loc,
        schedules: this.deps.places.schedules(),
        assigned: a.schedules,
        from: now,
        days: 1,
      });
      const w = plan.windows.find((x) => Date.parse(x.start) <= now.getTime() && now.getTime() < Date.parse(x.end));
      return w ? { schedule: w.schedule, until: w.end } : null;
    } catch {
      return null;
    }
  }

  private cameraStatusOf(view: AgentView | undefined, a: AssignmentRow | undefined): CameraStatusView {
    const last = this.deps.repo.lastCaptureTimes();
    const id = view?.id ?? a?.agentId ?? null;
    const d = id ? (this.deps.repo.deployments().find((x) => x.agentId === id) ?? null) : null;
    return {
      cameraId: a?.cameraId ?? view?.id ?? '',
      agentId: id,
      name: view?.name ?? a?.cameraId ?? '',
      state: view?.state ?? 'unknown',
      cameraReady: view?.cameraReady ?? false,
      diskUsedPercent: view?.diskUsedPercent ?? null,
      lastCaptureAt: id ? (last.get(id) ?? null) : null,
      lastSeen: view?.lastSeen ?? null,
      schedules: a?.schedules ?? [],
      deployment: d,
      agentDeployedProfile: id ? (this.deps.deployment.deployedOn(id) ?? null) : null,
      activeSchedule: id ? (this.activeSchedule(id)?.schedule ?? null) : null,
      lastError: view?.lastError ?? null,
    };
  }

  private cameraStatuses(): CameraStatusView[] {
    const { assignments } = this.deps;
    const views = this.deps.fleet.views();
    const rows = this.deps.repo.assignments();
    const out = views.map((v) =>
      this.cameraStatusOf(
        v,
        rows.find((a) => assignments.agentOf(a, views)?.id === v.id),
      ),
    );
    for (const a of rows) if (!assignments.agentOf(a, views)) out.push(this.cameraStatusOf(undefined, a));
    return out;
  }

  readonly handlers: OrchHandlers<StatusMethods> = {
    listAlerts: (p) => Promise.resolve(this.deps.alerts.list(p.limit)),
    acknowledgeAlert: (p) => Promise.resolve(this.markAlert(p.id, 'acknowledged')),
    resolveAlert: (p) => Promise.resolve(this.markAlert(p.id, 'resolved')),
    stationStatus: () => {
      const cameras = this.cameraStatuses();
      const activeSchedules: StationStatusView['activeSchedules'] = [];
      for (const c of cameras) {
        if (c.agentId === null) continue;
        const a = this.activeSchedule(c.agentId);
        if (a) activeSchedules.push({ camera: c.cameraId, ...a });
      }
      return Promise.resolve({
        location: this.deps.places.location(),
        activeSchedules,
        schedules: Object.keys(this.deps.places.schedules()),
        cameras,
        time: this.now().toISOString(),
      });
    },
    cameraStatus: (p) => {
      const hit = this.cameraStatuses().find(
        (c) => c.cameraId === p.cameraId || c.agentId === p.cameraId || c.name === p.cameraId,
      );
      if (!hit) throw new StationError('camera_unknown', `No camera "${p.cameraId}" is known to the station.`);
      return Promise.resolve(hit);
    },
  };
}
