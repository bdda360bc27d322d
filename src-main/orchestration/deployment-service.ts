/**
 * Plans and deployment: the capture plan for a camera from the location's
 * sun and moon, the bundle sent to the agent, the deployments' records, and
 * a timer that redeploys every plan near its horizon (alerting when it
 * cannot). Starts that timer on start, waits for a running check on stop.
 */
import type { DeploymentBundle } from '../agents/protocol.js';
import type { AlertCenter } from '../alerts/center.js';
import type { AgentView } from '../api/contract.js';
import type { DeployResult, DeploymentView, PlanPreview, SchedulerHealth } from '../api/orchestration.js';
import type { OrchestrationRepo } from '../db/orchestration-repo.js';
import type { ProfileLibrary } from '../profiles/store.js';
import { planningBands, planningDay } from '../schedule/day.js';
import { buildDeploymentBundle, compilePlan, DEFAULT_PLAN_DAYS, type CapturePlan } from '../schedule/plan.js';
import type { Logger } from '../util/log.js';
import type { AssignmentsService } from './assignments-service.js';
import { clock, DAY_MS, toError, type FleetAccess, type OrchHandlers } from './common.js';
import type { LocationService } from './location-service.js';

type DeploymentMethods =
  'planPreview' | 'planningDay' | 'planningBands' | 'deployProfile' | 'listDeployments' | 'schedulerHealth';

export interface DeploymentOptions {
  /** Days a deployed plan covers (default 30). */
  planDays?: number | undefined;
  /** Redeploy when less than this is left of a plan (default 7 days). */
  redeployWithinMs?: number | undefined;
  /** How often the horizon check runs (default 1 hour). */
  horizonCheckMs?: number | undefined;
}

export interface DeploymentDeps extends DeploymentOptions {
  repo: OrchestrationRepo;
  profiles: ProfileLibrary;
  fleet: FleetAccess;
  alerts: AlertCenter;
  places: LocationService;
  assignments: AssignmentsService;
  log: Logger;
  now?: (() => Date) | undefined;
}

export type DeployedProfile = { profileId: string; version: string } | null;

export class DeploymentService {
  readonly name = 'deployment';
  private timer: NodeJS.Timeout | null = null;
  private firstCheck: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private lastCheckAt: string | null = null;
  private readonly agentDeployed = new Map<string, DeployedProfile>();
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly deps: DeploymentDeps) {
    this.now = clock(deps.now);
  }

  start(): void {
    const every = this.deps.horizonCheckMs ?? 3_600_000;
    this.timer = setInterval(() => void this.checkHorizons(), every);
    this.timer.unref();
    // A first check soon after start: plans that ran low while the station was closed get refreshed.
    this.firstCheck = setTimeout(() => void this.checkHorizons(), Math.min(every, 5_000));
    this.firstCheck.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.firstCheck) clearTimeout(this.firstCheck);
    await this.checking?.catch(() => undefined);
  }

  /** The profile the agent said it runs at the last check (undefined: not asked yet). */
  deployedOn(agentId: string): DeployedProfile | undefined {
    return this.agentDeployed.get(agentId);
  }

  private planFor(agentId: string, days: number): { plan: CapturePlan; schedules: string[]; cameraId: string } {
    const location = this.deps.places.requireLocation();
    const a = this.deps.assignments.assignmentFor(agentId);
    const assigned = a?.schedules ?? [];
    const plan = compilePlan({ location, schedules: this.deps.places.schedules(), assigned, from: this.now(), days });
    return { plan, schedules: assigned, cameraId: a?.cameraId ?? agentId };
  }

  private async deployOne(
    agentId: string,
    profileId: string,
    version: string | undefined,
    days: number,
    redeploys: number,
  ): Promise<DeployResult> {
    const agentName = this.deps.fleet.view(agentId)?.name ?? agentId;
    const deployedAt = this.now().toISOString();
    let resolvedVersion: string | null = null;
    try {
      this.deps.assignments.requireAgent(agentId);
      const { plan, schedules } = this.planFor(agentId, days);
      const all = this.deps.places.schedules();
      const used = Object.fromEntries(schedules.flatMap((n) => (all[n] ? [[n, all[n]] as const] : [])));
      const snapshot = await this.deps.profiles.compile(profileId, version, { schedules: used });
      resolvedVersion = snapshot.version;
      const bundle = buildDeploymentBundle(snapshot, plan);
      const warning = await this.deployBundle(agentId, agentName, bundle);
      this.deps.repo.putDeployment({
        agentId,
        profileId,
        version: snapshot.version,
        status: 'deployed',
        deployedAt,
        horizon: plan.horizon,
        windows: plan.windows.length,
        error: null,
        redeploys,
      });
      this.agentDeployed.set(agentId, { profileId, version: snapshot.version });
      const a = this.deps.assignments.assignmentFor(agentId);
      if (a && a.profileId !== profileId) this.deps.repo.putAssignment({ ...a, profileId }, deployedAt);
      this.deps.log.info(
        { event: 'profile.deployed', agentId, profileId, version: snapshot.version, windows: plan.windows.length },
        'profile deployed',
      );
      return {
        agentId,
        agentName,
        ok: true,
        profileId,
        version: snapshot.version,
        windows: plan.windows.length,
        horizon: plan.horizon,
        error: null,
        warning,
      };
    } catch (err) {
      const error = toError(err);
      const previous = this.deps.repo.deployments().find((d) => d.agentId === agentId);
      this.deps.repo.putDeployment({
        agentId,
        profileId,
        version: resolvedVersion ?? version ?? previous?.version ?? '0.0.0',
        status: 'failed',
        deployedAt,
        horizon: previous?.status === 'deployed' ? previous.horizon : (previous?.horizon ?? null),
        windows: previous?.windows ?? 0,
        error: error.message,
        redeploys,
      });
      this.deps.log.warn(
        { event: 'profile.deploy_failed', agentId, profileId, code: error.code, error: error.message },
        'profile deploy failed',
      );
      return {
        agentId,
        agentName,
        ok: false,
        profileId,
        version: resolvedVersion,
        windows: 0,
        horizon: null,
        error,
        warning: null,
      };
    }
  }

  /**
   * Sends a bundle; returns a warning, or null. The agent's /health lists the
   * features its API has; one from before exposure ramps lists none and would
   * refuse settings.ramp, so the bundle goes without it (the plan and the rest
   * of the profile still reach the camera) and the operator is told to update
   * the agent (an alert, resolved by the next deployment that carries its ramp).
   */
  private async deployBundle(agentId: string, agentName: string, bundle: DeploymentBundle): Promise<string | null> {
    const client = this.deps.assignments.requireClient(agentId);
    const key = `outdated:${agentId}`;
    const { ramp, ...withoutRamp } = bundle.settings;
    if (!ramp) {
      await client.deploy(bundle);
      return null;
    }
    const health = await client.health();
    if (health.features?.includes('exposure_ramp')) {
      await client.deploy(bundle);
      this.deps.alerts.resolve(key);
      return null;
    }
    await client.deploy({ ...bundle, settings: withoutRamp });
    const warning =
      `${agentName} runs an agent too old for exposure ramps (agent ${health.version}), so the profile went ` +
      `without its ramp (at most ${ramp.max_step_ev} stop between frames); update the agent and deploy again to use it.`;
    this.deps.log.warn({ event: 'profile.deployed_without_ramp', agentId, profileId: bundle.profile_id }, warning);
    this.deps.alerts.raise({ level: 'warning', code: 'agent_outdated', message: warning, agentId, key });
    return warning;
  }

  deploymentViews(): DeploymentView[] {
    return this.deps.repo.deployments().map((d) => ({ ...d }));
  }

  /** Adds the station's deployment record and the agent's deployed profile to an agent view. */
  decorate(view: AgentView): AgentView {
    if (this.closed) return view;
    const d = this.deps.repo.deployments().find((x) => x.agentId === view.id) ?? null;
    return { ...view, deployment: d, deployedProfile: this.agentDeployed.get(view.id) ?? null };
  }

  /** Redeploy every plan that ends within `redeployWithinMs`; alert when that fails. */
  checkHorizons(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = this.runHorizonCheck().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async runHorizonCheck(): Promise<void> {
    const within = this.deps.redeployWithinMs ?? 7 * DAY_MS;
    const now = this.now().getTime();
    this.lastCheckAt = new Date(now).toISOString();
    await Promise.all(
      this.deps.repo.deployments().map(async (d) => {
        const view = this.deps.fleet.view(d.agentId);
        if (this.closed || !view) return;
        const client = this.deps.fleet.client(d.agentId);
        const status = await client?.status().catch(() => null);
        if (status) {
          this.agentDeployed.set(
            d.agentId,
            status.deployed_profile
              ? { profileId: status.deployed_profile.profile_id, version: status.deployed_profile.version }
              : null,
          );
        }
        const left = d.horizon === null ? 0 : Date.parse(d.horizon) - now;
        const lost =
          status !== null &&
          status !== undefined &&
          d.status === 'deployed' &&
          (status.deployed_profile?.profile_id !== d.profileId || status.deployed_profile.version !== d.version);
        if (left >= within && !lost) return;
        const key = `plan:${d.agentId}`;
        if (view.state !== 'online') {
          this.raisePlanAlert(d.agentId, view.name, d.horizon, left, 'the camera is offline');
          return;
        }
        const r = await this.deployOne(
          d.agentId,
          d.profileId,
          d.version,
          this.deps.planDays ?? DEFAULT_PLAN_DAYS,
          d.redeploys + 1,
        );
        if (r.ok) {
          this.deps.alerts.resolve(key);
          this.deps.log.info({ event: 'plan.redeployed', agentId: d.agentId, horizon: r.horizon }, 'plan refreshed');
        } else {
          this.raisePlanAlert(d.agentId, r.agentName, d.horizon, left, r.error?.message ?? 'unknown error');
        }
      }),
    );
  }

  private raisePlanAlert(agentId: string, name: string, horizon: string | null, leftMs: number, why: string): void {
    const days = Math.max(0, leftMs / DAY_MS);
    this.deps.alerts.raise({
      level: days < 1 ? 'error' : 'warning',
      code: 'plan_expiring',
      message:
        horizon === null
          ? `The profile for ${name} has not reached it yet (${why}); the station retries when the camera is online.`
          : `The capture plan on ${name} ends in ${days.toFixed(1)} days and could not be refreshed (${why}); bring the camera online so the station can redeploy it.`,
      agentId,
      key: `plan:${agentId}`,
    });
  }

  readonly handlers: OrchHandlers<DeploymentMethods> = {
    planPreview: (p) => {
      const ids =
        p.agentIds ??
        this.deps.repo
          .assignments()
          .map((a) => this.deps.assignments.agentOf(a)?.id)
          .filter((x): x is string => x !== undefined);
      const previews: PlanPreview[] = ids.map((agentId) => {
        this.deps.assignments.requireAgent(agentId);
        const { plan, schedules, cameraId } = this.planFor(agentId, p.days);
        const captures = plan.windows.reduce(
          (n, w) => n + Math.ceil((Date.parse(w.end) - Date.parse(w.start)) / 1000 / w.interval_seconds),
          0,
        );
        return { agentId, cameraId, schedules, ...plan, windows: [...plan.windows], captures };
      });
      return Promise.resolve(previews);
    },
    planningDay: (p) => {
      const location = this.deps.places.requireLocation();
      let assigned: string[] = [];
      if (p.agentId !== undefined) {
        this.deps.assignments.requireAgent(p.agentId);
        assigned = this.deps.assignments.assignmentFor(p.agentId)?.schedules ?? [];
      }
      return Promise.resolve(
        planningDay({
          location,
          date: p.date,
          schedules: this.deps.places.schedules(),
          assigned,
          stepMinutes: p.stepMinutes,
        }),
      );
    },
    planningBands: (p) => Promise.resolve(planningBands(this.deps.places.requireLocation(), p.date, p.days)),
    deployProfile: async (p) => {
      await this.deps.profiles.get(p.profileId, p.version);
      this.deps.places.requireLocation();
      const days = p.days ?? this.deps.planDays ?? DEFAULT_PLAN_DAYS;
      return Promise.all(
        [...new Set(p.agentIds)].map((id) => {
          const previous = this.deps.repo.deployments().find((d) => d.agentId === id);
          return this.deployOne(id, p.profileId, p.version, days, previous?.redeploys ?? 0);
        }),
      );
    },
    listDeployments: () => Promise.resolve(this.deploymentViews()),
    schedulerHealth: () => {
      const deployments = this.deps.repo.deployments();
      const within = this.deps.redeployWithinMs ?? 7 * DAY_MS;
      const now = this.now().getTime();
      const expiringSoon = deployments.filter((d) => d.horizon === null || Date.parse(d.horizon) - now < within).length;
      const names = new Map(this.deps.fleet.views().map((v) => [v.id, v.name]));
      const lastCaptureTimes: Record<string, string | null> = {};
      for (const v of this.deps.fleet.views()) lastCaptureTimes[v.name] = null;
      for (const [agentId, at] of this.deps.repo.lastCaptureTimes())
        lastCaptureTimes[names.get(agentId) ?? agentId] = at;
      const every = this.deps.horizonCheckMs ?? 3_600_000;
      const health: SchedulerHealth = {
        status: deployments.some((d) => d.status === 'failed') || expiringSoon > 0 ? 'degraded' : 'ok',
        scheduler: {
          running: this.timer !== null && !this.closed,
          lastCheckAt: this.lastCheckAt,
          nextCheckAt: this.lastCheckAt ? new Date(Date.parse(this.lastCheckAt) + every).toISOString() : null,
          deployments: deployments.length,
          expiringSoon,
        },
        lastCaptureTimes,
        time: new Date(now).toISOString(),
      };
      return Promise.resolve(health);
    },
  };
}
