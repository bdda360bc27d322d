/**
 * The agent's wire contract (seed 002 "API Contracts", plus the sync and event
 * endpoints the station needs). Both sides validate with these schemas: the
 * agent on every request it receives, the station on every response it reads.
 *
 * Field names follow seed 002 (snake_case on the wire).
 */
import { z } from 'zod';

export const AGENT_API_VERSION = '1';
export const DEFAULT_AGENT_PORT = 8080;
export const MDNS_SERVICE_TYPE = 'skystation';

/** "1/500", "1/30", "2", "2.5", "30" — seconds, or a reciprocal. */
export const ShutterSpeed = z
  .string()
  .regex(/^(1\/\d{1,6}|\d{1,4}(\.\d{1,3})?)$/, 'shutter_speed must look like "1/500" or "2.5" (seconds)')
  .refine((s) => shutterToSeconds(s) > 0 && shutterToSeconds(s) <= 3600, {
    message: 'shutter_speed must be between 1/1000000 s and 3600 s',
  });

export function shutterToSeconds(s: string): number {
  if (s.startsWith('1/')) return 1 / Number(s.slice(2));
  return Number(s);
}

export function secondsToShutter(seconds: number): string {
  if (seconds >= 1) return String(Math.round(seconds * 10) / 10);
  return `1/${Math.max(1, Math.round(1 / seconds))}`;
}

export const Iso = z.number().int().min(25).max(102400);
export const ExposureCompensation = z.number().min(-8).max(8);
/** libcamera AWB modes: 0 auto, 1 incandescent/daylight (seed uses 1 = daylight), ... up to 7 custom. */
export const AwbMode = z.number().int().min(0).max(7);
/** libcamera metering: 0 centre-weighted, 1 spot, 2 matrix, 3 custom. */
export const MeteringMode = z.number().int().min(0).max(3);
export const ScheduleName = z.string().regex(/^[a-z0-9_-]{1,64}$/i, 'schedule names use letters, digits, _ and -');
export const ProfileName = z.string().min(1).max(128);
export const TestId = z.string().regex(/^[a-z0-9_.-]{1,128}$/i, 'test_id uses letters, digits, _ . and -');

// ---------------------------------------------------------------- /health

export const HealthResponse = z.object({
  status: z.literal('ok'),
  id: z.string(),
  name: z.string(),
  version: z.string(),
  api_version: z.string(),
  uptime_seconds: z.number(),
  time: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

// ---------------------------------------------------------------- /meter

export const MeterResponse = z.object({
  lux: z.number().nonnegative(),
  suggested_iso: Iso,
  suggested_shutter: ShutterSpeed,
  ev100: z.number(),
  sun_altitude_deg: z.number().optional(),
  measured_at: z.string(),
});
export type MeterResponse = z.infer<typeof MeterResponse>;

// ---------------------------------------------------------------- capture settings

export const CaptureSettings = z.strictObject({
  iso: Iso,
  shutter_speed: ShutterSpeed,
  exposure_compensation: ExposureCompensation.default(0),
  awb_mode: AwbMode.default(0),
  ae_metering_mode: MeteringMode.default(0),
  colour_temperature_k: z.number().int().min(1500).max(15000).optional(),
});
export type CaptureSettings = z.infer<typeof CaptureSettings>;

/** A one-shot override of a deployed profile (seed 002, mode 3). */
export const CaptureOverride = z.strictObject({
  iso: Iso.optional(),
  shutter_speed: ShutterSpeed.optional(),
  exposure_compensation: ExposureCompensation.optional(),
  awb_mode: AwbMode.optional(),
  ae_metering_mode: MeteringMode.optional(),
  colour_temperature_k: z.number().int().min(1500).max(15000).optional(),
});
export type CaptureOverride = z.infer<typeof CaptureOverride>;

// ---------------------------------------------------------------- POST /capture

/** Mode 1: live orchestration, explicit settings. */
export const ExplicitCaptureRequest = z.strictObject({
  iso: Iso,
  shutter_speed: ShutterSpeed,
  exposure_compensation: ExposureCompensation.optional(),
  awb_mode: AwbMode.optional(),
  ae_metering_mode: MeteringMode.optional(),
  profile: ProfileName.optional(),
  schedule: ScheduleName.optional(),
});

/** Mode 2 and 3: deployed profile, optionally with a one-shot override. */
export const DeployedCaptureRequest = z.strictObject({
  use_deployed_profile: z.literal(true),
  schedule_type: ScheduleName.optional(),
  override: CaptureOverride.optional(),
  test_id: TestId.optional(),
  variant: z.string().max(64).optional(),
});

/** No settings at all: the agent meters and exposes automatically. */
export const AutoCaptureRequest = z.strictObject({
  auto: z.literal(true),
  schedule: ScheduleName.optional(),
  profile: ProfileName.optional(),
});

export const CaptureRequest = z.union([ExplicitCaptureRequest, DeployedCaptureRequest, AutoCaptureRequest]);
export type CaptureRequest = z.infer<typeof CaptureRequest>;

export const SettingsUsed = z.object({
  iso: Iso,
  shutter_speed: ShutterSpeed,
  exposure_compensation: z.number(),
  awb_mode: z.number().int(),
  ae_metering_mode: z.number().int(),
  colour_temperature_k: z.number().optional(),
  lux: z.number().optional(),
});
export type SettingsUsed = z.infer<typeof SettingsUsed>;

export const CaptureResponse = z.object({
  status: z.literal('success'),
  capture_id: z.string(),
  image_path: z.string(),
  captured_at: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size_bytes: z.number().int().nonnegative(),
  settings_used: SettingsUsed,
  profile: z.string().nullable(),
  schedule: z.string().nullable(),
  test_id: z.string().nullable(),
});
export type CaptureResponse = z.infer<typeof CaptureResponse>;

// ---------------------------------------------------------------- profile deploy

export const LuxTable = z.array(z.tuple([z.number().nonnegative(), z.number().int().min(1500).max(15000)])).max(256);

export const ProfileBase = z.strictObject({
  metering_mode: MeteringMode.optional(),
  ae_metering_mode: MeteringMode.optional(),
  ev_compensation: ExposureCompensation.optional(),
  exposure_compensation: ExposureCompensation.optional(),
  awb_mode: AwbMode.optional(),
  iso: Iso.optional(),
  shutter_speed: ShutterSpeed.optional(),
  iso_min: Iso.optional(),
  iso_max: Iso.optional(),
  shutter_min: ShutterSpeed.optional(),
  shutter_max: ShutterSpeed.optional(),
});

export const ProfileSnapshot = z.strictObject({
  profile_id: z.string().min(1).max(128),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semantic, like "1.0.0"'),
  settings: z.strictObject({
    base: ProfileBase,
    adaptive_wb: z.strictObject({ lux_table: LuxTable }).optional(),
    schedule_overrides: z.record(ScheduleName, ProfileBase).optional(),
  }),
});
export type ProfileSnapshot = z.infer<typeof ProfileSnapshot>;

export const PlanWindow = z.strictObject({
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  interval_seconds: z.number().min(1).max(86400),
  schedule: ScheduleName,
});
export type PlanWindow = z.infer<typeof PlanWindow>;

/** The full deployment bundle: snapshot plus the station's capture plan. */
export const DeploymentBundle = ProfileSnapshot.extend({
  plan: z
    .strictObject({
      generated_at: z.iso.datetime({ offset: true }),
      horizon: z.iso.datetime({ offset: true }),
      windows: z.array(PlanWindow).max(10000),
    })
    .optional(),
});
export type DeploymentBundle = z.infer<typeof DeploymentBundle>;

export const DeployResponse = z.object({
  status: z.literal('deployed'),
  profile_id: z.string(),
  version: z.string().optional(),
  plan_windows: z.number().int().optional(),
});

// ---------------------------------------------------------------- /status

export const CameraState = z.enum(['ready', 'busy', 'disconnected', 'error']);

export const StatusResponse = z.object({
  id: z.string(),
  name: z.string(),
  camera: z.object({
    driver: z.string(),
    model: z.string(),
    state: CameraState,
    ready: z.boolean(),
  }),
  camera_ready: z.boolean(),
  deployed_profile: z.object({ profile_id: z.string(), version: z.string() }).nullable(),
  disk: z.object({
    total_bytes: z.number(),
    free_bytes: z.number(),
    used_percent: z.number(),
  }),
  disk_usage: z.number(),
  captures: z.object({
    total: z.number().int(),
    unsynced: z.number().int(),
    last_capture_at: z.string().nullable(),
  }),
  location: z.object({ latitude: z.number(), longitude: z.number() }),
  time: z.string(),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

// ---------------------------------------------------------------- sync

export const CaptureRecord = z.object({
  capture_id: z.string(),
  seq: z.number().int(),
  file_name: z.string(),
  captured_at: z.string(),
  sha256: z.string(),
  size_bytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  settings_used: SettingsUsed,
  profile: z.string().nullable(),
  profile_version: z.string().nullable(),
  schedule: z.string().nullable(),
  test_id: z.string().nullable(),
  variant: z.string().nullable(),
  lux: z.number().nullable(),
  temperature_c: z.number().nullable(),
  synced: z.boolean(),
});
export type CaptureRecord = z.infer<typeof CaptureRecord>;

export const CaptureListQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  unsynced: z.enum(['true', 'false']).optional(),
});

export const CaptureListResponse = z.object({
  items: z.array(CaptureRecord),
  next_after: z.number().int().nullable(),
});
export type CaptureListResponse = z.infer<typeof CaptureListResponse>;

export const AckRequest = z.strictObject({
  captures: z
    .array(z.strictObject({ capture_id: z.string().min(1).max(128), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1)
    .max(1000),
});
export const AckResponse = z.object({ acknowledged: z.number().int(), unknown: z.array(z.string()) });

/** Header carrying the file's sha256 on GET /captures/:id/file. */
export const SHA256_HEADER = 'x-content-sha256';

// ---------------------------------------------------------------- errors

export const ErrorResponse = z.object({
  status: z.literal('error'),
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
  }),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

// ---------------------------------------------------------------- events (WS /events)

export const AgentEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), id: z.string(), time: z.string() }),
  z.object({ type: z.literal('capture.done'), capture: CaptureRecord }),
  z.object({ type: z.literal('capture.failed'), code: z.string(), message: z.string(), time: z.string() }),
  z.object({
    type: z.literal('status'),
    camera_state: CameraState,
    time: z.string(),
  }),
  z.object({
    type: z.literal('sensor'),
    sensor: z.string(),
    temperature_c: z.number().optional(),
    humidity_percent: z.number().optional(),
    lux: z.number().optional(),
    time: z.string(),
  }),
  z.object({ type: z.literal('warning'), code: z.string(), message: z.string(), time: z.string() }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;
