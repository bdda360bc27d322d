/**
 * The orchestration half of the station API (issue #5): location, schedules,
 * camera assignments, seed 002 config import/export, profiles, plan preview,
 * deployment, fleet capture, override (A/B) tests, alerts and the seed 002
 * status views. contract.ts spreads `orchestrationMethods` into its `methods`;
 * the transports reach every method through bindStationApi (contract.ts).
 *
 * Pure TypeScript + zod (no Node imports): the renderer and preload import it.
 */
import { z } from 'zod';
import { returns } from './method.js';
import { Location } from '../schedule/location.js';
import { Schedule } from '../schedule/schedules.js';

/*
 * The renderer bundles this file, so it must not import the agent's protocol
 * module (Node-only code lives there). Profile settings and capture overrides
 * are checked here as JSON objects and validated field by field in the brain
 * with the agent's and the profile library's schemas (src-main/orchestration).
 */
const ScheduleName = z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'schedule names use letters, digits, _ and -');
const ProfileId = z.string().regex(/^[a-z0-9_.-]{1,128}$/i, 'profile_id uses letters, digits, _ . and - (at most 128)');
const SemVer = z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semantic, like "1.0.0"');
const ProfileRef = z.strictObject({ profile_id: ProfileId, version: SemVer.optional() });
const JsonObject = z.record(z.string(), z.unknown());
/** Checked against the agent's CaptureOverride in the brain. */
const CaptureOverride = JsonObject;
/** Checked against the profile library's PartialSettings in the brain. */
const PartialSettings = JsonObject;

const AgentId = z.string().min(1).max(128);
const AgentIds = z.array(AgentId).min(1).max(256);
export const VariantName = z
  .string()
  .regex(/^[a-z0-9_.-]{1,64}$/i, 'variant names use letters, digits, _ . and - (at most 64)');
export const TestIdParam = z.string().regex(/^[a-z0-9_.-]{1,128}$/i, 'test ids use letters, digits, _ . and -');

// ---------------------------------------------------------------- views

export interface ScheduleView {
  name: string;
  schedule: Schedule;
  /** Cameras (assignment ids) that use it. */
  usedBy: string[];
}

export interface AssignmentView {
  /** The camera's id in config.json ("mountain_view"), or the agent's id when assigned from the UI. */
  cameraId: string;
  agentId: string | null;
  host: string;
  port: number;
  schedules: string[];
  profileId: string | null;
  /** The config.json site label, if any. */
  site: string | null;
}

export interface DeploymentView {
  agentId: string;
  profileId: string;
  version: string;
  status: 'deployed' | 'failed';
  deployedAt: string;
  /** End of the deployed plan (ISO with offset); null when the last attempt failed before any plan reached the agent. */
  horizon: string | null;
  windows: number;
  error: string | null;
  /** Automatic redeploys because the plan neared its horizon. */
  redeploys: number;
}

export interface ProfileSummary {
  profileId: string;
  name: string;
  description: string | null;
  latest: string;
  versions: number;
  extends: string | null;
}

export interface ProfileVersionView {
  profile_id: string;
  version: string;
  created_at: string;
  name?: string | undefined;
  description?: string | undefined;
  note?: string | undefined;
  extends?: { profile_id: string; version?: string | undefined } | undefined;
  settings: Record<string, unknown>;
}

export interface ProfileDetail {
  version: ProfileVersionView;
  resolved: { name: string; lineage: readonly string[]; settings: Record<string, unknown> };
  history: { version: string; created_at: string; note: string | null }[];
  /** What the agent receives (POST /profile/deploy without the plan). */
  snapshot: unknown;
}

export interface FieldChangeView {
  field: string;
  from: unknown;
  to: unknown;
}

export interface PlanWindowView {
  start: string;
  end: string;
  interval_seconds: number;
  schedule: string;
}

export interface PlanPreview {
  agentId: string;
  cameraId: string;
  schedules: string[];
  generated_at: string;
  horizon: string;
  windows: PlanWindowView[];
  /** Expected captures over the whole plan. */
  captures: number;
}

/** A span of one local day on the planning timeline (issue #17); ISO with the location's offset. */
export interface PlanningSpan {
  start: string;
  end: string;
}

/** The sun's band: above -0.833° day, then civil (-6°), nautical (-12°), astronomical (-18°) twilight, night. */
export interface PlanningBand extends PlanningSpan {
  kind: 'day' | 'civil' | 'nautical' | 'astronomical' | 'night';
}

export interface PlanningScheduleView {
  name: string;
  type: Schedule['type'];
  interval_seconds: number;
  /** Assigned to the chosen camera. */
  assigned: boolean;
  /** This schedule's own windows that day, before overlaps with others are resolved. */
  windows: PlanningSpan[];
}

/** One local day for the planning timeline: what the sun and moon do and when each schedule captures. */
export interface PlanningDayView {
  date: string;
  /** IANA zone of the location; every time here carries its offset. */
  timezone: string;
  latitude: number;
  longitude: number;
  /** Local midnight to the next (23, 24 or 25 hours). */
  start: string;
  end: string;
  stepMinutes: number;
  /** Geometric altitudes (centre, no refraction) in degrees, every stepMinutes from start to end. */
  samples: { time: string; sunDeg: number; moonDeg: number }[];
  bands: PlanningBand[];
  /** Sun between -4° and +6°. */
  golden: PlanningSpan[];
  /** Sun between -6° and -4°. */
  blue: PlanningSpan[];
  sun: { rise: string | null; set: string | null };
  moon: { rise: string | null; set: string | null; illumination: number; phase: string };
  schedules: PlanningScheduleView[];
  /** The camera's resolved plan that day (what its agent would run); empty without a camera. */
  plan: PlanWindowView[];
}

export interface DeployResult {
  agentId: string;
  agentName: string;
  ok: boolean;
  profileId: string;
  version: string | null;
  windows: number;
  horizon: string | null;
  error: { code: string; message: string } | null;
  /** Deployed, with something the operator should know (an agent too old for part of the profile). */
  warning: string | null;
}

export interface FleetCaptureResult {
  agentId: string;
  agentName: string;
  ok: boolean;
  /** Settings the station computed from the agent's meter reading. */
  settings: {
    iso: number;
    shutter_speed: string;
    lux: number;
    /** The seed 001 strategy applied (golden_hour, blue_hour, overcast, stormy), or null for the plain profile. */
    strategy?: string | null;
  } | null;
  captureId: string | null;
  /** The gallery id ("agent/capture") once copied, else null. */
  galleryId: string | null;
  error: { code: string; message: string } | null;
}

export interface TestVariantSpec {
  name: string;
  override: Record<string, unknown>;
}

export interface TestView {
  id: string;
  createdAt: string;
  finishedAt: string | null;
  status: 'running' | 'done' | 'failed';
  agentIds: string[];
  variants: TestVariantSpec[];
  rounds: number;
  schedule: string | null;
  /** Per camera, per variant failures. */
  failures: { agentId: string; variant: string; round: number; code: string; message: string }[];
}

export interface VariantResult {
  variant: string;
  override: TestVariantSpec['override'] | null;
  captures: number;
  meanBrightness: number | null;
  clippedHighlights: number | null;
  clippedShadows: number | null;
  focusScore: number | null;
  isoValues: number[];
  shutterSpeeds: string[];
  items: {
    id: string;
    agentId: string;
    capturedAt: string;
    iso: number;
    shutterSpeed: string;
    thumbPath: string;
    /** The full-size image (issue #17: compared side by side). */
    imagePath: string;
    meanBrightness: number | null;
  }[];
}

export interface TestResults {
  test: TestView;
  variants: VariantResult[];
}

export interface AlertView {
  id: number;
  time: string;
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  agentId: string | null;
  resolvedAt: string | null;
  /** When an operator acknowledged it; null until then (resolving also acknowledges). */
  acknowledgedAt: string | null;
}

/** Seed 002 backend GET /health. */
export interface SchedulerHealth {
  status: 'ok' | 'degraded';
  scheduler: {
    running: boolean;
    lastCheckAt: string | null;
    nextCheckAt: string | null;
    deployments: number;
    expiringSoon: number;
  };
  lastCaptureTimes: Record<string, string | null>;
  time: string;
}

export interface CameraStatusView {
  cameraId: string;
  agentId: string | null;
  name: string;
  state: string;
  cameraReady: boolean;
  diskUsedPercent: number | null;
  lastCaptureAt: string | null;
  lastSeen: string | null;
  schedules: string[];
  deployment: DeploymentView | null;
  agentDeployedProfile: { profileId: string; version: string } | null;
  activeSchedule: string | null;
  lastError: string | null;
}

/** Seed 002 backend GET /status. */
export interface StationStatusView {
  location: Location | null;
  activeSchedules: { camera: string; schedule: string; until: string }[];
  schedules: string[];
  cameras: CameraStatusView[];
  time: string;
}

// ---------------------------------------------------------------- params

const Empty = z.strictObject({}).default({});
export const ProfileDraftParams = z.strictObject({
  profile_id: ProfileId,
  name: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  settings: PartialSettings,
});

export const orchestrationMethods = {
  getLocation: { params: Empty, result: returns<Location | null>() },
  setLocation: { params: Location, result: returns<Location>() },
  listSchedules: { params: Empty, result: returns<ScheduleView[]>() },
  createSchedule: {
    params: z.strictObject({ name: ScheduleName, schedule: Schedule }),
    result: returns<ScheduleView>(),
  },
  updateSchedule: {
    params: z.strictObject({ name: ScheduleName, schedule: Schedule }),
    result: returns<ScheduleView>(),
  },
  deleteSchedule: {
    params: z.strictObject({ name: ScheduleName, force: z.boolean().default(false) }),
    result: returns<{ deleted: boolean }>(),
  },
  listAssignments: { params: Empty, result: returns<AssignmentView[]>() },
  assignSchedules: {
    params: z.strictObject({
      agentId: AgentId,
      schedules: z.array(ScheduleName).max(64),
      profileId: ProfileId.nullable().optional(),
    }),
    result: returns<AssignmentView>(),
  },
  importConfig: {
    /** The parsed config.json object, or its text. */
    params: z.strictObject({ config: z.union([z.string().max(4_000_000), z.record(z.string(), z.unknown())]) }),
    result: returns<{ schedules: number; cameras: number; matched: string[]; unmatched: string[] }>(),
  },
  exportConfig: { params: Empty, result: returns<{ config: Record<string, unknown> }>() },
  listProfiles: { params: Empty, result: returns<ProfileSummary[]>() },
  getProfile: {
    params: z.strictObject({ profileId: ProfileId, version: SemVer.optional() }),
    result: returns<ProfileDetail>(),
  },
  createProfile: {
    params: z.strictObject({ draft: ProfileDraftParams, note: z.string().max(500).optional() }),
    result: returns<ProfileVersionView>(),
  },
  extendProfile: {
    params: z.strictObject({ draft: ProfileDraftParams, parent: ProfileRef, note: z.string().max(500).optional() }),
    result: returns<ProfileVersionView>(),
  },
  saveProfileVersion: {
    params: z.strictObject({
      profileId: ProfileId,
      settings: PartialSettings,
      name: z.string().max(200).optional(),
      description: z.string().max(2000).optional(),
      bump: z.enum(['major', 'minor', 'patch']).optional(),
      version: SemVer.optional(),
      note: z.string().max(500).optional(),
    }),
    result: returns<ProfileVersionView>(),
  },
  diffProfile: {
    params: z.strictObject({ profileId: ProfileId, from: SemVer, to: SemVer }),
    result: returns<FieldChangeView[]>(),
  },
  rollbackProfile: {
    params: z.strictObject({ profileId: ProfileId, toVersion: SemVer }),
    result: returns<ProfileVersionView>(),
  },
  planPreview: {
    params: z.strictObject({
      agentIds: z.array(AgentId).max(256).optional(),
      days: z.number().int().min(1).max(366).default(30),
    }),
    result: returns<PlanPreview[]>(),
  },
  /** The planning timeline of one local day, for a camera (its assigned schedules and plan) or the whole station. */
  planningDay: {
    params: z.strictObject({
      agentId: AgentId.optional(),
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'the date is a calendar day, YYYY-MM-DD'),
      stepMinutes: z
        .number()
        .int()
        .min(1, 'the step is 1 to 60 minutes')
        .max(60, 'the step is 1 to 60 minutes')
        .default(5),
    }),
    result: returns<PlanningDayView>(),
  },
  /** The sun's bands over several local days (the 30-day strip's shading); needs only the location. */
  planningBands: {
    params: z.strictObject({
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'the date is a calendar day, YYYY-MM-DD'),
      days: z.number().int().min(1, 'bands cover 1 to 62 days').max(62, 'bands cover 1 to 62 days').default(31),
    }),
    result: returns<{ timezone: string; start: string; end: string; bands: PlanningBand[] }>(),
  },
  deployProfile: {
    params: z.strictObject({
      agentIds: AgentIds,
      profileId: ProfileId,
      version: SemVer.optional(),
      days: z.number().int().min(1).max(366).optional(),
    }),
    result: returns<DeployResult[]>(),
  },
  listDeployments: { params: Empty, result: returns<DeploymentView[]>() },
  captureFleet: {
    params: z.strictObject({ agentIds: AgentIds, schedule: ScheduleName.optional() }),
    result: returns<FleetCaptureResult[]>(),
  },
  runTest: {
    params: z.strictObject({
      agentIds: AgentIds,
      variants: z
        .array(z.strictObject({ name: VariantName, override: CaptureOverride }))
        .min(1)
        .max(16)
        .refine((v) => new Set(v.map((x) => x.name)).size === v.length, 'variant names must be unique'),
      rounds: z.number().int().min(1).max(100).default(1),
      schedule: ScheduleName.optional(),
      wait: z.boolean().default(true),
    }),
    result: returns<TestView>(),
  },
  listTests: { params: Empty, result: returns<TestView[]>() },
  testResults: { params: z.strictObject({ testId: TestIdParam }), result: returns<TestResults>() },
  listAlerts: {
    params: z.strictObject({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }),
    result: returns<AlertView[]>(),
  },
  /** The operator has seen an alert and is dealing with it (issue #15). */
  acknowledgeAlert: {
    params: z.strictObject({ id: z.number().int().positive() }),
    result: returns<AlertView>(),
  },
  /** The operator has dealt with an alert; it leaves the open list (issue #15). */
  resolveAlert: {
    params: z.strictObject({ id: z.number().int().positive() }),
    result: returns<AlertView>(),
  },
  schedulerHealth: { params: Empty, result: returns<SchedulerHealth>() },
  stationStatus: { params: Empty, result: returns<StationStatusView>() },
  cameraStatus: {
    params: z.strictObject({ cameraId: z.string().min(1).max(128) }),
    result: returns<CameraStatusView>(),
  },
} as const;

export type OrchMethodName = keyof typeof orchestrationMethods;
export type OrchParams<M extends OrchMethodName> = z.input<(typeof orchestrationMethods)[M]['params']>;
export type OrchResult<M extends OrchMethodName> = (typeof orchestrationMethods)[M]['result'];
