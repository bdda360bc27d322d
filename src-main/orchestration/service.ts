/**
 * The orchestration service (issue #5): schedules and assignments, profiles,
 * plan preview, deployment (and automatic redeploy near the plan horizon),
 * live capture across the fleet, override (A/B) tests and the seed 002 status
 * views. Collaborators come in through the constructor; the brain wires it.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { AgentClient } from '../agents/agent-client.js';
import { CaptureOverride, secondsToShutter, shutterToSeconds, type DeploymentBundle } from '../agents/protocol.js';
import type { AlertCenter } from '../alerts/center.js';
import type { AgentView } from '../api/contract.js';
import type {
  AlertView,
  AssignmentView,
  CameraStatusView,
  DeployResult,
  DeploymentView,
  FleetCaptureResult,
  OrchMethodName,
  OrchResult,
  orchestrationMethods,
  PlanPreview,
  ProfileSummary,
  ProfileVersionView,
  SchedulerHealth,
  ScheduleView,
  StationStatusView,
  TestResults,
  TestVariantSpec,
  TestView,
  VariantResult,
} from '../api/orchestration.js';
import type { AssignmentRow, OrchestrationRepo, TestRow } from '../db/orchestration-repo.js';
import {
  DEFAULT_SETTINGS,
  PartialSettings,
  type ProfileSettings,
  type ProfileVersion,
} from '../profiles/definition.js';
import type { ProfileLibrary } from '../profiles/store.js';
import { exportConfig, importConfig, type StationConfig } from '../schedule/config.js';
import { Location } from '../schedule/location.js';
import { planningBands, planningDay } from '../schedule/day.js';
import { buildDeploymentBundle, compilePlan, DEFAULT_PLAN_DAYS, type CapturePlan } from '../schedule/plan.js';
import { Schedule } from '../schedule/schedules.js';
import { sunAltitudeDeg } from '../schedule/astro.js';
import type { StrategyName } from '../profiles/definition.js';
import { applyStrategy, chooseStrategy } from '../profiles/strategies.js';
import type { WeatherProvider } from '../weather/provider.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { LiveRamp, type SeedFrame } from './live-ramp.js';

export const DAY_MS = 86_400_000;

export interface FleetAccess {
  views(): AgentView[];
  view(agentId: string): AgentView | undefined;
  client(agentId: string): AgentClient | undefined;
}

export interface OrchestratorOptions {
  /** Current weather for the adaptive strategies (optional; without it they follow the sun only). */
  weather?: WeatherProvider | null;
  /** Days a deployed plan covers (default 30). */
  planDays?: number;
  /** Redeploy when less than this is left of a plan (default 7 days). */
  redeployWithinMs?: number;
  /** How often the horizon check runs (default 1 hour). */
  horizonCheckMs?: number;
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

type Params<M extends OrchMethodName> = z.output<(typeof orchestrationMethods)[M]['params']>;
export type OrchestrationHandlers = { [M in OrchMethodName]: (p: Params<M>) => Promise<OrchResult<M>> };

interface TestSpec {
  agentIds: string[];
  variants: TestVariantSpec[];
  rounds: number;
  schedule: string | null;
}

const toError = (err: unknown): { code: string; message: string } => ({
  code: err instanceof StationError ? err.code : 'internal',
  message: errorMessage(err),
});

/** Validate a JSON object the contract accepted loosely with its real schema (bad_request naming the field). */
function checked<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new StationError('bad_request', `${field}: ${issue?.message ?? 'invalid value'}`);
}

const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 10_000) / 10_000;
};

function versionView(v: ProfileVersion): ProfileVersionView {
  return v;
}

export class Orchestrator {
  private timer: NodeJS.Timeout | null = null;
  private firstCheck: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private lastCheckAt: string | null = null;
  private readonly agentDeployed = new Map<string, { profileId: string; version: string } | null>();
  private readonly runningTests = new Set<Promise<unknown>>();
  private closed = false;
  /** The last live frame per camera, so consecutive live frames change by at most max_step_ev. */
  private readonly liveRamp: LiveRamp;

  constructor(private readonly deps: OrchestratorDeps) {
    this.liveRamp = new LiveRamp(deps.latestFrames);
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  start(): void {
    const every = this.deps.horizonCheckMs ?? 3_600_000;
    this.timer = setInterval(() => void this.checkHorizons(), every);
    this.timer.unref();
    // A first check soon after start: plans that ran low while the station was closed get refreshed.
    this.firstCheck = setTimeout(() => void this.checkHorizons(), Math.min(every, 5_000));
    this.firstCheck.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.firstCheck) clearTimeout(this.firstCheck);
    await this.checking?.catch(() => undefined);
    await Promise.allSettled([...this.runningTests]);
  }

  // ------------------------------------------------------------ location and schedules

  location(): Location | null {
    const r = Location.safeParse(this.deps.repo.getSetting('location'));
    return r.success ? r.data : null;
  }

  private requireLocation(): Location {
    const loc = this.location();
    if (!loc) {
      throw new StationError(
        'LOCATION_NOT_SET',
        'The station has no location yet; set latitude, longitude and time zone first (skystation location set LAT LON ZONE).',
      );
    }
    return loc;
  }

  schedules(): Record<string, Schedule> {
    const out: Record<string, Schedule> = {};
    for (const { name, definition } of this.deps.repo.schedules()) {
      const r = Schedule.safeParse(definition);
      if (r.success) out[name] = r.data;
      else this.deps.log.error({ schedule: name }, 'stored schedule is invalid; ignoring it');
    }
    return out;
  }

  private scheduleViews(): ScheduleView[] {
    const assignments = this.deps.repo.assignments();
    return Object.entries(this.schedules()).map(([name, schedule]) => ({
      name,
      schedule,
      usedBy: assignments.filter((a) => a.schedules.includes(name)).map((a) => a.cameraId),
    }));
  }

  // ------------------------------------------------------------ assignments

  /** The agent an assignment refers to: by id, else by address. */
  private agentOf(a: AssignmentRow, views = this.deps.fleet.views()): AgentView | undefined {
    return (
      (a.agentId !== null ? views.find((v) => v.id === a.agentId) : undefined) ??
      views.find((v) => v.host === a.host && v.port === a.port)
    );
  }

  private assignmentFor(agentId: string): AssignmentRow | undefined {
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

  private markAlert(id: number, mark: 'acknowledged' | 'resolved'): AlertView {
    const view = this.deps.alerts.mark(id, mark);
    if (view === null)
      throw new StationError('alert_unknown', `There is no alert number ${id}; the list may be out of date.`);
    return view;
  }

  private requireAgent(agentId: string): AgentView {
    const v = this.deps.fleet.view(agentId);
    if (!v) throw new StationError('agent_unknown', `No agent with id ${agentId} is configured.`);
    return v;
  }

  private requireClient(agentId: string): AgentClient {
    const c = this.deps.fleet.client(agentId);
    if (!c) throw new StationError('agent_unknown', `No agent with id ${agentId} is configured.`);
    return c;
  }

  // ------------------------------------------------------------ plans and deployment

  private planFor(agentId: string, days: number): { plan: CapturePlan; schedules: string[]; cameraId: string } {
    const location = this.requireLocation();
    const a = this.assignmentFor(agentId);
    const assigned = a?.schedules ?? [];
    const plan = compilePlan({ location, schedules: this.schedules(), assigned, from: this.now(), days });
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
      this.requireAgent(agentId);
      const { plan, schedules } = this.planFor(agentId, days);
      const all = this.schedules();
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
      const a = this.assignmentFor(agentId);
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
    const client = this.requireClient(agentId);
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

  // ------------------------------------------------------------ live capture

  private async captureOne(agentId: string, schedule: string | undefined): Promise<FleetCaptureResult> {
    const agentName = this.deps.fleet.view(agentId)?.name ?? agentId;
    let settings: FleetCaptureResult['settings'] = null;
    let captureId: string | null = null;
    try {
      const client = this.requireClient(agentId);
      const m = await client.meter();
      settings = await this.settingsFor(agentId, m.suggested_iso, m.suggested_shutter, m.lux);
      const profile = this.assignmentFor(agentId)?.profileId ?? undefined;
      const r = await client.capture({
        iso: settings.iso,
        shutter_speed: settings.shutter_speed,
        schedule: schedule ?? 'manual',
        ...(profile ? { profile } : {}),
      });
      captureId = r.capture_id;
      this.liveRamp.record(agentId, settings, this.now().getTime());
      await this.deps.syncAgent(agentId);
      return {
        agentId,
        agentName,
        ok: true,
        settings,
        captureId,
        galleryId: `${agentId}/${r.capture_id}`,
        error: null,
      };
    } catch (err) {
      this.deps.alerts.raise({
        level: 'warning',
        code: 'capture_failed',
        message: `Capture on ${agentName} failed: ${errorMessage(err)}`,
        agentId,
      });
      return { agentId, agentName, ok: false, settings, captureId, galleryId: null, error: toError(err) };
    }
  }

  /** Meter reading → settings within the assigned profile's ISO/shutter limits and EV compensation. */
  private async settingsFor(
    agentId: string,
    iso: number,
    shutter: string,
    lux: number,
  ): Promise<{ iso: number; shutter_speed: string; lux: number; strategy: StrategyName | null }> {
    const profileId = this.assignmentFor(agentId)?.profileId;
    const metered = { iso, shutter_speed: shutter, lux, strategy: null };
    if (!profileId) return this.ramped(agentId, metered, DEFAULT_SETTINGS);
    let s = (await this.deps.profiles.resolve(profileId).catch(() => null))?.settings;
    if (!s) return this.ramped(agentId, metered, DEFAULT_SETTINGS);
    // Seed 001's adaptive strategies: chosen from the sun now and, when a provider answers, the weather.
    const loc = this.location();
    let strategy: StrategyName | null = null;
    if (loc) {
      const weather = this.deps.weather ? await this.deps.weather.current(loc) : null;
      strategy = chooseStrategy({ sunAltitudeDeg: sunAltitudeDeg(this.now().getTime(), loc), weather }, s.strategies);
      if (strategy) s = { ...s, ...applyStrategy(s, strategy) };
    }
    // Exposure = iso × t; positive compensation brightens.
    let exposure = iso * shutterToSeconds(shutter) * 2 ** s.ev_compensation;
    const tMin = shutterToSeconds(s.shutter_min);
    const tMax = shutterToSeconds(s.shutter_max);
    let outIso = Math.min(Math.max(iso, s.iso_min), s.iso_max);
    let t = exposure / outIso;
    if (t > tMax) {
      outIso = Math.min(s.iso_max, Math.round(exposure / tMax));
      t = tMax;
    } else if (t < tMin) {
      outIso = Math.max(s.iso_min, Math.round(exposure / tMin));
      t = Math.max(tMin, exposure / outIso);
    }
    exposure = t;
    return this.ramped(agentId, { iso: outIso, shutter_speed: secondsToShutter(exposure), lux, strategy }, s);
  }

  /** The holy-grail limit: at most max_step_ev from this camera's previous live frame (live-ramp.ts). */
  private ramped<T extends { iso: number; shutter_speed: string }>(agentId: string, out: T, s: ProfileSettings): T {
    const r = this.liveRamp.limit(
      agentId,
      out,
      {
        maxStepEv: s.max_step_ev,
        isoMin: s.iso_min,
        isoMax: s.iso_max,
        shutterMin: s.shutter_min,
        shutterMax: s.shutter_max,
      },
      this.now().getTime(),
    );
    return { ...out, iso: r.iso, shutter_speed: r.shutter_speed };
  }

  // ------------------------------------------------------------ override tests

  private testView(row: TestRow): TestView {
    const spec = JSON.parse(row.specJson) as TestSpec;
    return {
      id: row.id,
      createdAt: row.createdAt,
      finishedAt: row.finishedAt,
      status: row.status,
      agentIds: spec.agentIds,
      variants: spec.variants,
      rounds: spec.rounds,
      schedule: spec.schedule,
      failures: JSON.parse(row.failuresJson) as TestView['failures'],
    };
  }

  private async executeTest(row: TestRow, spec: TestSpec): Promise<void> {
    const failures: TestView['failures'] = [];
    // Interleaved: round 1 variant A, B, …, round 2 A, B, …; every camera takes each step at once.
    for (let round = 1; round <= spec.rounds && !this.closed; round++) {
      for (const v of spec.variants) {
        await Promise.all(
          spec.agentIds.map(async (agentId) => {
            try {
              await this.requireClient(agentId).capture({
                use_deployed_profile: true,
                override: checked(CaptureOverride, v.override, 'override'),
                test_id: row.id,
                variant: v.name,
                ...(spec.schedule ? { schedule_type: spec.schedule } : {}),
              });
            } catch (err) {
              const e = toError(err);
              failures.push({ agentId, variant: v.name, round, ...e });
            }
          }),
        );
      }
    }
    await Promise.all(
      spec.agentIds.map((id) =>
        this.deps.syncAgent(id).catch((err: unknown) => {
          failures.push({ agentId: id, variant: '*', round: 0, ...toError(err) });
        }),
      ),
    );
    const expected = spec.rounds * spec.variants.length * spec.agentIds.length;
    const done: TestRow = {
      ...row,
      finishedAt: this.now().toISOString(),
      status: failures.filter((f) => f.round > 0).length >= expected ? 'failed' : 'done',
      failuresJson: JSON.stringify(failures),
    };
    this.deps.repo.putTest(done);
    if (failures.length > 0) {
      this.deps.alerts.raise({
        level: 'warning',
        code: 'test_captures_failed',
        message: `Override test ${row.id}: ${failures.length} capture step(s) failed (first: ${failures[0]?.message ?? ''}).`,
      });
    }
  }

  private results(testId: string): TestResults {
    const row = this.deps.repo.test(testId);
    if (!row) throw new StationError('TEST_NOT_FOUND', `There is no override test "${testId}".`);
    const test = this.testView(row);
    const rows = this.deps.repo.testCaptures(testId);
    const names = [...test.variants.map((v) => v.name)];
    for (const r of rows) if (r.variant !== null && !names.includes(r.variant)) names.push(r.variant);
    const variants: VariantResult[] = names.map((name) => {
      const mine = rows.filter((r) => r.variant === name);
      return {
        variant: name,
        override: test.variants.find((v) => v.name === name)?.override ?? null,
        captures: mine.length,
        meanBrightness: mean(mine.map((r) => r.meanBrightness)),
        clippedHighlights: mean(mine.map((r) => r.clippedHighlights)),
        clippedShadows: mean(mine.map((r) => r.clippedShadows)),
        focusScore: mean(mine.map((r) => r.focusScore)),
        isoValues: [...new Set(mine.map((r) => r.iso))],
        shutterSpeeds: [...new Set(mine.map((r) => r.shutterSpeed))],
        items: mine.map((r) => ({
          id: `${r.agentId}/${r.captureId}`,
          agentId: r.agentId,
          capturedAt: r.capturedAt,
          iso: r.iso,
          shutterSpeed: r.shutterSpeed,
          thumbPath: r.thumbPath,
          imagePath: r.imagePath,
          meanBrightness: r.meanBrightness,
        })),
      };
    });
    return { test, variants };
  }

  // ------------------------------------------------------------ status views

  private activeSchedule(agentId: string): { schedule: string; until: string } | null {
    const loc = this.location();
    const a = this.assignmentFor(agentId);
    if (!loc || !a || a.schedules.length === 0) return null;
    try {
      const now = this.now();
      const plan = compilePlan({
        location: loc,
        schedules: this.schedules(),
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
      agentDeployedProfile: id ? (this.agentDeployed.get(id) ?? null) : null,
      activeSchedule: id ? (this.activeSchedule(id)?.schedule ?? null) : null,
      lastError: view?.lastError ?? null,
    };
  }

  private cameraStatuses(): CameraStatusView[] {
    const views = this.deps.fleet.views();
    const assignments = this.deps.repo.assignments();
    const out = views.map((v) =>
      this.cameraStatusOf(
        v,
        assignments.find((a) => this.agentOf(a, views)?.id === v.id),
      ),
    );
    for (const a of assignments) if (!this.agentOf(a, views)) out.push(this.cameraStatusOf(undefined, a));
    return out;
  }

  // ------------------------------------------------------------ API handlers

  readonly handlers: OrchestrationHandlers = {
    getLocation: () => Promise.resolve(this.location()),
    setLocation: (p) => {
      this.deps.repo.setSetting('location', p);
      return Promise.resolve(p);
    },
    listSchedules: () => Promise.resolve(this.scheduleViews()),
    createSchedule: (p) => {
      if (p.name in this.schedules()) {
        throw new StationError('SCHEDULE_EXISTS', `A schedule named "${p.name}" exists already; update it instead.`);
      }
      this.deps.repo.putSchedule(p.name, p.schedule, this.now().toISOString());
      return Promise.resolve(this.scheduleViews().find((s) => s.name === p.name)!);
    },
    updateSchedule: (p) => {
      if (!(p.name in this.schedules())) {
        throw new StationError('SCHEDULE_NOT_FOUND', `There is no schedule named "${p.name}".`);
      }
      this.deps.repo.putSchedule(p.name, p.schedule, this.now().toISOString());
      return Promise.resolve(this.scheduleViews().find((s) => s.name === p.name)!);
    },
    deleteSchedule: (p) => {
      const users = this.deps.repo.assignments().filter((a) => a.schedules.includes(p.name));
      if (users.length > 0 && !p.force) {
        throw new StationError(
          'SCHEDULE_IN_USE',
          `Schedule "${p.name}" is used by ${users.map((u) => u.cameraId).join(', ')}; remove it from those cameras first or delete with force.`,
        );
      }
      const now = this.now().toISOString();
      for (const u of users)
        this.deps.repo.putAssignment({ ...u, schedules: u.schedules.filter((s) => s !== p.name) }, now);
      return Promise.resolve({ deleted: this.deps.repo.deleteSchedule(p.name) });
    },
    listAssignments: () => {
      const views = this.deps.fleet.views();
      return Promise.resolve(this.deps.repo.assignments().map((a) => this.assignmentView(a, views)));
    },
    assignSchedules: async (p) => {
      const agent = this.requireAgent(p.agentId);
      const known = this.schedules();
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
      const location = this.requireLocation();
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
      return Promise.resolve({ config: exportConfig({ location, schedules: this.schedules(), cameras }) });
    },
    listProfiles: async () => {
      const out: ProfileSummary[] = [];
      for (const id of await this.deps.profiles.list()) {
        const history = await this.deps.profiles.history(id);
        const latest = await this.deps.profiles.get(id);
        out.push({
          profileId: id,
          name: latest.name ?? id,
          description: latest.description ?? null,
          latest: latest.version,
          versions: history.length,
          extends: latest.extends
            ? `${latest.extends.profile_id}${latest.extends.version ? `@${latest.extends.version}` : ''}`
            : null,
        });
      }
      return out;
    },
    getProfile: async (p) => {
      const v = await this.deps.profiles.get(p.profileId, p.version);
      const resolved = await this.deps.profiles.resolve(p.profileId, v.version);
      const history = (await this.deps.profiles.history(p.profileId)).map((h) => ({
        version: h.version,
        created_at: h.created_at,
        note: h.note ?? null,
      }));
      const snapshot = await this.deps.profiles.compile(p.profileId, v.version);
      return {
        version: versionView(v),
        resolved: { name: resolved.name, lineage: resolved.lineage, settings: resolved.settings },
        history,
        snapshot,
      };
    },
    createProfile: async (p) => {
      checked(PartialSettings, p.draft.settings, 'draft.settings');
      if ((await this.deps.profiles.history(p.draft.profile_id)).length > 0) {
        throw new StationError(
          'PROFILE_EXISTS',
          `Profile "${p.draft.profile_id}" exists already; save a new version of it instead.`,
        );
      }
      return versionView(
        await this.deps.profiles.save(p.draft, { version: '1.0.0', ...(p.note ? { note: p.note } : {}) }),
      );
    },
    extendProfile: async (p) => {
      checked(PartialSettings, p.draft.settings, 'draft.settings');
      if ((await this.deps.profiles.history(p.draft.profile_id)).length > 0) {
        throw new StationError(
          'PROFILE_EXISTS',
          `Profile "${p.draft.profile_id}" exists already; save a new version of it instead.`,
        );
      }
      await this.deps.profiles.get(p.parent.profile_id, p.parent.version);
      return versionView(
        await this.deps.profiles.save(
          { ...p.draft, extends: p.parent },
          { version: '1.0.0', ...(p.note ? { note: p.note } : {}) },
        ),
      );
    },
    saveProfileVersion: async (p) => {
      const latest = await this.deps.profiles.get(p.profileId);
      const name = p.name ?? latest.name;
      const description = p.description ?? latest.description;
      return versionView(
        await this.deps.profiles.save(
          {
            profile_id: p.profileId,
            ...(name === undefined ? {} : { name }),
            ...(description === undefined ? {} : { description }),
            ...(latest.extends ? { extends: latest.extends } : {}),
            settings: checked(PartialSettings, p.settings, 'settings'),
          },
          {
            ...(p.version ? { version: p.version } : {}),
            ...(p.bump ? { bump: p.bump } : {}),
            ...(p.note ? { note: p.note } : {}),
          },
        ),
      );
    },
    diffProfile: (p) => this.deps.profiles.diff(p.profileId, p.from, p.to),
    rollbackProfile: async (p) => versionView(await this.deps.profiles.rollback(p.profileId, p.toVersion)),
    planPreview: (p) => {
      const ids =
        p.agentIds ??
        this.deps.repo
          .assignments()
          .map((a) => this.agentOf(a)?.id)
          .filter((x): x is string => x !== undefined);
      const previews: PlanPreview[] = ids.map((agentId) => {
        this.requireAgent(agentId);
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
      const location = this.requireLocation();
      let assigned: string[] = [];
      if (p.agentId !== undefined) {
        this.requireAgent(p.agentId);
        assigned = this.assignmentFor(p.agentId)?.schedules ?? [];
      }
      return Promise.resolve(
        planningDay({ location, date: p.date, schedules: this.schedules(), assigned, stepMinutes: p.stepMinutes }),
      );
    },
    planningBands: (p) => Promise.resolve(planningBands(this.requireLocation(), p.date, p.days)),
    deployProfile: async (p) => {
      await this.deps.profiles.get(p.profileId, p.version);
      this.requireLocation();
      const days = p.days ?? this.deps.planDays ?? DEFAULT_PLAN_DAYS;
      return Promise.all(
        [...new Set(p.agentIds)].map((id) => {
          const previous = this.deps.repo.deployments().find((d) => d.agentId === id);
          return this.deployOne(id, p.profileId, p.version, days, previous?.redeploys ?? 0);
        }),
      );
    },
    listDeployments: () => Promise.resolve(this.deploymentViews()),
    captureFleet: (p) => Promise.all([...new Set(p.agentIds)].map((id) => this.captureOne(id, p.schedule))),
    runTest: async (p) => {
      for (const id of p.agentIds) this.requireAgent(id);
      const stamp = this.now()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'z')
        .toLowerCase();
      const id = `ab-${stamp}-${randomBytes(3).toString('hex')}`;
      const spec: TestSpec = {
        agentIds: [...new Set(p.agentIds)],
        variants: p.variants.map((v, i) => ({
          name: v.name,
          override: checked(CaptureOverride, v.override, `variants.${i}.override`),
        })),
        rounds: p.rounds,
        schedule: p.schedule ?? null,
      };
      const row: TestRow = {
        id,
        createdAt: this.now().toISOString(),
        finishedAt: null,
        status: 'running',
        specJson: JSON.stringify(spec),
        failuresJson: '[]',
      };
      this.deps.repo.putTest(row);
      const run = this.executeTest(row, spec).catch((err: unknown) => {
        this.deps.log.error({ err, testId: id }, 'override test failed');
        this.deps.repo.putTest({
          ...row,
          status: 'failed',
          finishedAt: this.now().toISOString(),
          failuresJson: JSON.stringify([{ agentId: '*', variant: '*', round: 0, ...toError(err) }]),
        });
      });
      this.runningTests.add(run);
      void run.finally(() => this.runningTests.delete(run));
      if (p.wait) await run;
      return this.testView(this.deps.repo.test(id)!);
    },
    listTests: () => Promise.resolve(this.deps.repo.tests().map((r) => this.testView(r))),
    testResults: (p) => Promise.resolve(this.results(p.testId)),
    listAlerts: (p) => Promise.resolve(this.deps.alerts.list(p.limit)),
    acknowledgeAlert: (p) => Promise.resolve(this.markAlert(p.id, 'acknowledged')),
    resolveAlert: (p) => Promise.resolve(this.markAlert(p.id, 'resolved')),
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
    stationStatus: () => {
      const cameras = this.cameraStatuses();
      const activeSchedules: StationStatusView['activeSchedules'] = [];
      for (const c of cameras) {
        if (c.agentId === null) continue;
        const a = this.activeSchedule(c.agentId);
        if (a) activeSchedules.push({ camera: c.cameraId, ...a });
      }
      return Promise.resolve({
        location: this.location(),
        activeSchedules,
        schedules: Object.keys(this.schedules()),
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
