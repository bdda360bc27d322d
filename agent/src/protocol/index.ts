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

/**
 * What this agent's API can do beyond AGENT_API_VERSION 1, listed on /health so a station negotiates
 * instead of reading error texts. An agent from before this list sends none (and takes no ramp).
 *   exposure_ramp: deployment bundles may carry settings.ramp.
 */
export const AGENT_FEATURES = ['exposure_ramp'] as const;
export type AgentFeature = (typeof AGENT_FEATURES)[number];

export const HealthResponse = z.object({
  status: z.literal('ok'),
  id: z.string(),
  name: z.string(),
  version: z.string(),
  api_version: z.string(),
  /** Absent on agents from before feature tags; unknown tags are kept (a newer agent may list more). */
  features: z.array(z.string()).optional(),
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

/**
 * A bracketed set (HDR): offsets in stops from the request's base exposure, taken back to back in this order
 * under one capture lock, shutter first (within the camera's limits) then ISO. 2–9 distinct values, each −6..6.
 */
export const BracketRequest = z.strictObject({
  evs: z
    .array(z.number().min(-6, 'each bracket ev is -6 to 6 stops').max(6, 'each bracket ev is -6 to 6 stops'))
    .min(2, 'a bracket needs 2 to 9 exposures')
    .max(9, 'a bracket needs 2 to 9 exposures')
    .refine((evs) => new Set(evs).size === evs.length, { message: 'bracket evs must all be different' }),
});
export type BracketRequest = z.infer<typeof BracketRequest>;
/** 'dark': the lens is capped, for dark-frame subtraction (every request mode accepts it; journalled on the capture). */
export const FrameKind = z.enum(['light', 'dark']);
export type FrameKind = z.infer<typeof FrameKind>;
/** Fields every capture request mode accepts. */
const captureExtras = { bracket: BracketRequest.optional(), frame_kind: FrameKind.optional() };

/** Mode 1: live orchestration, explicit settings. */
export const ExplicitCaptureRequest = z.strictObject({
  iso: Iso,
  shutter_speed: ShutterSpeed,
  exposure_compensation: ExposureCompensation.optional(),
  awb_mode: AwbMode.optional(),
  ae_metering_mode: MeteringMode.optional(),
  profile: ProfileName.optional(),
  schedule: ScheduleName.optional(),
  ...captureExtras,
});

/** Mode 2 and 3: deployed profile, optionally with a one-shot override. */
export const DeployedCaptureRequest = z.strictObject({
  use_deployed_profile: z.literal(true),
  schedule_type: ScheduleName.optional(),
  override: CaptureOverride.optional(),
  test_id: TestId.optional(),
  variant: z.string().max(64).optional(),
  ...captureExtras,
});

/** No settings at all: the agent meters and exposes automatically. */
export const AutoCaptureRequest = z.strictObject({
  auto: z.literal(true),
  schedule: ScheduleName.optional(),
  profile: ProfileName.optional(),
  ...captureExtras,
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

/**
 * Settings as the journal records them: a capture found after a crash (reconciled) knows only what its file or
 * the journal's intent said; a field nobody knows is null ("unknown"), never an invented value.
 */
export const RecordedSettings = SettingsUsed.extend({
  iso: Iso.nullable(),
  shutter_speed: ShutterSpeed.nullable(),
  exposure_compensation: z.number().nullable(),
  awb_mode: z.number().int().nullable(),
  ae_metering_mode: z.number().int().nullable(),
});
export type RecordedSettings = z.infer<typeof RecordedSettings>;

export const CaptureResponse = z.object({
  status: z.literal('success'),
  capture_id: z.string(),
  image_path: z.string(),
  captured_at: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size_bytes: z.number().int().nonnegative(),
  /** Its place in the journal (GET /captures?after=<seq - 1>&limit=1 lists it), so a station can copy it first. */
  seq: z.number().int().positive().optional(),
  settings_used: SettingsUsed,
  profile: z.string().nullable(),
  schedule: z.string().nullable(),
  test_id: z.string().nullable(),
  /** Present for a dark frame or a bracket; absent means a single light frame (seed 002's response). */
  frame_kind: FrameKind.optional(),
  /** A bracketed set: the fields above describe its first image, `captures` lists every image in order. */
  bracket_group: z.string().optional(),
  captures: z
    .array(
      z.object({
        capture_id: z.string(),
        image_path: z.string(),
        captured_at: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        size_bytes: z.number().int().nonnegative(),
        settings_used: SettingsUsed,
        bracket: z.lazy(() => BracketInfo),
      }),
    )
    .optional(),
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

/** Largest exposure change between consecutive planned frames, in stops (0.05–2; 1/3 is usual). */
export const MaxStepEv = z.number().min(0.05).max(2);

export const ProfileSnapshot = z.strictObject({
  profile_id: z.string().min(1).max(128),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'version must be semantic, like "1.0.0"'),
  settings: z.strictObject({
    base: ProfileBase,
    adaptive_wb: z.strictObject({ lux_table: LuxTable }).optional(),
    schedule_overrides: z.record(ScheduleName, ProfileBase).optional(),
    /** Holy-grail ramp: planned frames change exposure by at most this many stops each (absent: 1/3). */
    ramp: z.strictObject({ max_step_ev: MaxStepEv }).optional(),
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

/** Which filesystem a disk figure is about: the folder, its mount point and type, and when it was measured. */
const StorageLabelShape = {
  path: z.string().optional(),
  mount_point: z.string().nullable().optional(),
  filesystem: z.string().nullable().optional(),
  checked_at: z.string().nullable().optional(),
};

export const StatusResponse = z.object({
  id: z.string(),
  name: z.string(),
  camera: z.object({
    driver: z.string(),
    model: z.string(),
    state: CameraState,
    ready: z.boolean(),
    /** Capability tags as advertised over mDNS (preview, bracketing, autofocus, temperature, long-exposure, gain). */
    capabilities: z.array(z.string()).optional(),
  }),
  camera_ready: z.boolean(),
  deployed_profile: z.object({ profile_id: z.string(), version: z.string() }).nullable(),
  /** The filesystem holding the data folder, measured for this answer (labelled, as `storage` is). */
  disk: z.object({
    total_bytes: z.number(),
    free_bytes: z.number(),
    used_percent: z.number(),
    ...StorageLabelShape,
  }),
  disk_usage: z.number(),
  captures: z.object({
    total: z.number().int(),
    unsynced: z.number().int(),
    last_capture_at: z.string().nullable(),
  }),
  location: z.object({ latitude: z.number(), longitude: z.number() }),
  time: z.string(),
  /** Machine health (agent/src/ops/system-info.ts). */
  system: z.lazy(() => SystemStatus).optional(),
  /** Latest reading per sensor (and probe) and each sensor's connection. */
  sensors: z.lazy(() => z.array(SensorStatus)).optional(),
  /** Disk guard: captures pause above the hard limit. */
  storage: z.lazy(() => StorageStatus).optional(),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

// ---------------------------------------------------------------- sync

/** An original stored beside the JPEG (an INDI camera's FITS), fetched with GET /captures/:id/file?extra=SUFFIX. */
export const ExtraFile = z.object({
  suffix: z.string().regex(/^\.[a-z0-9]{1,8}$/),
  sha256: z.string(),
  size_bytes: z.number().int(),
});
export type ExtraFile = z.infer<typeof ExtraFile>;

/** Where one image sits in a bracketed set: the set's id, its position, the set's size and its offset in stops. */
export const BracketInfo = z.object({
  group: z.string().min(1).max(128),
  index: z.number().int().min(0),
  count: z.number().int().min(2).max(9),
  ev: z.number().min(-6).max(6),
});
export type BracketInfo = z.infer<typeof BracketInfo>;

export const CaptureRecord = z.object({
  capture_id: z.string(),
  seq: z.number().int(),
  file_name: z.string(),
  captured_at: z.string(),
  sha256: z.string(),
  size_bytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  /** What the camera used; for a reconciled capture, null where it is not known. */
  settings_used: RecordedSettings,
  profile: z.string().nullable(),
  profile_version: z.string().nullable(),
  schedule: z.string().nullable(),
  test_id: z.string().nullable(),
  variant: z.string().nullable(),
  lux: z.number().nullable(),
  temperature_c: z.number().nullable(),
  synced: z.boolean(),
  /** False when the agent's clock was not known to be NTP-synchronised at capture time (captured_at may be off). */
  clock_synced: z.boolean().optional(),
  /** True when the file was found after a crash without a journal row; settings_used holds only what is known. */
  reconciled: z.boolean().optional(),
  /** Originals beside the JPEG; the station copies and verifies them before acknowledging. */
  extra_files: z.array(ExtraFile).optional(),
  /** One image of a bracketed set (POST /capture with bracket); absent or null for a single capture. */
  bracket: BracketInfo.nullable().optional(),
  /** 'dark' when taken with the lens capped for dark-frame subtraction; absent means 'light'. */
  frame_kind: FrameKind.optional(),
});
export type CaptureRecord = z.infer<typeof CaptureRecord>;

export const SensorReadingsQuery = z.strictObject({
  /** Readings with an id above this (the station's cursor). */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const SensorReadingRecord = z.object({
  id: z.number().int(),
  sensor: z.string(),
  probe: z.string().nullable(),
  time: z.string(),
  temperature_c: z.number().nullable(),
  humidity_percent: z.number().nullable(),
  lux: z.number().nullable(),
});
export type SensorReadingRecord = z.infer<typeof SensorReadingRecord>;

export const SensorReadingsResponse = z.object({
  items: z.array(SensorReadingRecord),
  next_after: z.number().int().nullable(),
});
export type SensorReadingsResponse = z.infer<typeof SensorReadingsResponse>;

export const CaptureFileQuery = z.strictObject({
  extra: z
    .string()
    .regex(/^\.[a-z0-9]{1,8}$/, 'extra is the suffix of an original beside the JPEG, like ".fits"')
    .optional(),
});

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
  /** The camera was told to expose: how long it will take, so a UI can count down (a station before this ignores it). */
  z.object({
    type: z.literal('capture.started'),
    capture_id: z.string(),
    exposure_seconds: z.number().nonnegative(),
    started_at: z.string(),
  }),
  z.object({ type: z.literal('capture.done'), capture: CaptureRecord }),
  z.object({ type: z.literal('capture.failed'), code: z.string(), message: z.string(), time: z.string() }),
  z.object({
    type: z.literal('status'),
    camera_state: CameraState,
    time: z.string(),
    system: z.lazy(() => SystemStatus).optional(),
    storage: z.lazy(() => StorageStatus).optional(),
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

// ---------------------------------------------------------------- pairing and tokens (issue 4)

/**
 * Every endpoint except GET /health, GET /metrics and POST /pair needs
 * `Authorization: Bearer <token>` (WebSockets may pass `?access_token=` instead).
 * Errors: 401 auth_required / auth_invalid; 403 not_master / admin_required.
 */
export const AUTH_SCHEME = 'Bearer';
export const PairRequest = z.strictObject({
  code: z.string().regex(/^\d{6}$/, 'code must be the 6-digit pairing code'),
  station_id: z.string().regex(/^[\w.:-]{1,128}$/, 'station_id uses up to 128 letters, digits, _ . : and -'),
  station_name: z.string().min(1).max(128),
});
export type PairRequest = z.infer<typeof PairRequest>;
/** tls_fingerprint: sha256 of the agent's certificate as Node prints it ("AB:CD:…"), or null without --tls. */
export const PairResponse = z.object({
  token: z.string(),
  agent_id: z.string(),
  agent_name: z.string(),
  tls_fingerprint: z.string().nullable(),
});
export type PairResponse = z.infer<typeof PairResponse>;
export const TokenInfo = z.object({
  id: z.string(),
  station_id: z.string(),
  station_name: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export const TokenListResponse = z.object({ tokens: z.array(TokenInfo) });

// ---------------------------------------------------------------- sessions and roles (issue 4, seed 004)

/** Session id header (WebSockets: `?session=`); see agent/src/session/sessions.ts for the rules. */
export const SESSION_HEADER = 'x-skystation-session';
export const SessionResponse = z.object({
  session_id: z.string().nullable(),
  role: z.enum(['master', 'observer']),
  master_session_id: z.string().nullable(),
  forced: z.boolean(),
  sessions: z.number().int(),
  connections: z.number().int(),
  max_connections: z.number().int(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

// ---------------------------------------------------------------- live preview (WS /preview)

/**
 * WS /preview?fps=N&width=W&quality=Q&header=2: binary messages, one per frame, no text.
 *
 * - fps: 1–30 (default 30), this viewer's rate.
 * - width: 160–1920, even (default the agent's, 1280); the height follows the
 *   camera's aspect ratio (16:9 unless configured otherwise).
 * - quality: JPEG quality 30–95 (default 70).
 * - header: 1 (default, the original 16-byte header) or 2 (24 bytes, adds ISO/gain).
 *
 * A bad value is refused before the upgrade with HTTP 400 and the usual error
 * body. The camera runs ONE preview stream (a Pi camera cannot run two), so
 * size and quality belong to the stream, not the viewer: a viewer that asks
 * for other ones restarts the stream with them and every viewer gets the new
 * size; a viewer that does not ask takes the stream as it is.
 *
 * Each message is a header followed by one JPEG image. Version 1 (16 bytes):
 *
 *   offset  size  type        field
 *   0       4     u32 BE      sequence number (wraps at 2^32)
 *   4       8     f64 BE      capture time, ms since the Unix epoch (fractional;
 *                             performance.timeOrigin + performance.now() on the agent)
 *   12      4     u32 BE      exposure of the frame in microseconds
 *   16      …     JPEG        the frame (its size is in the JPEG header)
 *
 * Version 2 (24 bytes, only to a viewer that asked with header=2) continues:
 *
 *   16      1     u8          header version, 2 (a version-1 frame has the JPEG's 0xFF here)
 *   17      1     u8          flags: bit 0 set = the sensitivity is a unitless gain
 *                             (astro cameras), clear = ISO
 *   18      2     u16 BE      header length in bytes (24; a later version may grow it)
 *   20      4     f32 BE      ISO or gain of the frame; 0 when the camera does not say
 *   24      …     JPEG
 *
 * decodePreviewHeader() reads either, so a new station decodes an old agent.
 *
 * A slow viewer is never queued for: when its socket still has unsent data the
 * agent skips frames for it, so it always gets the newest one. Stills pause the
 * preview while they expose and it resumes afterwards.
 */
export const PREVIEW_HEADER_BYTES = 16;
export const PREVIEW_HEADER_V2_BYTES = 24;
export const PREVIEW_MIN_WIDTH = 160;
export const PREVIEW_MAX_WIDTH = 1920;
export const PREVIEW_MIN_QUALITY = 30;
export const PREVIEW_MAX_QUALITY = 95;
export const PREVIEW_DEFAULT_QUALITY = 70;
/** The sizes the station's settings offer (any even width in range is accepted). */
export const PREVIEW_WIDTH_PRESETS = [640, 960, 1280, 1920] as const;

const queryInt = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

/** The /preview query (other parameters, such as access_token or session, are the security layer's). */
export const PreviewQuery = z.object({
  fps: queryInt('fps', 1, 30).optional(),
  width: queryInt('width', PREVIEW_MIN_WIDTH, PREVIEW_MAX_WIDTH)
    .refine((w) => w % 2 === 0, 'width must be even')
    .optional(),
  quality: queryInt('quality', PREVIEW_MIN_QUALITY, PREVIEW_MAX_QUALITY).optional(),
  header: z.enum(['1', '2'], { message: 'header must be 1 or 2' }).transform(Number).optional(),
});
export type PreviewQuery = z.infer<typeof PreviewQuery>;

export interface PreviewFrameHeader {
  sequence: number;
  capturedAtMs: number;
  exposureUs: number;
  /** ISO of the frame (version 2; null when the camera does not say or the agent sent version 1). */
  iso?: number | null;
  /** Unitless gain of the frame, for cameras that have gain instead of ISO (version 2). */
  gain?: number | null;
}
export function encodePreviewHeader(h: PreviewFrameHeader, version: 1 | 2 = 1): Buffer {
  const b = Buffer.allocUnsafe(version === 2 ? PREVIEW_HEADER_V2_BYTES : PREVIEW_HEADER_BYTES);
  b.writeUInt32BE(h.sequence >>> 0, 0);
  b.writeDoubleBE(h.capturedAtMs, 4);
  b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(h.exposureUs))), 12);
  if (version === 2) {
    const isGain = h.gain != null && h.iso == null;
    const value = (isGain ? h.gain : h.iso) ?? 0;
    b.writeUInt8(2, 16);
    b.writeUInt8(isGain ? 1 : 0, 17);
    b.writeUInt16BE(PREVIEW_HEADER_V2_BYTES, 18);
    b.writeFloatBE(Number.isFinite(value) && value > 0 ? value : 0, 20);
  }
  return b;
}

/**
 * Reads a frame's header, version 1 or 2, from its bytes (a Node Buffer or a
 * browser ArrayBuffer view): the fields and where the JPEG starts. Null when
 * the message is too short to hold a frame.
 */
export function decodePreviewHeader(bytes: Uint8Array): (PreviewFrameHeader & { jpegOffset: number }) | null {
  if (bytes.byteLength < PREVIEW_HEADER_BYTES + 2) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const base = { sequence: view.getUint32(0), capturedAtMs: view.getFloat64(4), exposureUs: view.getUint32(12) };
  // Version 1: the JPEG (FF D8) follows at once.
  if (bytes[PREVIEW_HEADER_BYTES] === 0xff) return { ...base, iso: null, gain: null, jpegOffset: PREVIEW_HEADER_BYTES };
  if (bytes.byteLength < PREVIEW_HEADER_V2_BYTES + 2) return null;
  const length = view.getUint16(18);
  if (length < PREVIEW_HEADER_V2_BYTES || length + 2 > bytes.byteLength) return null;
  const value = view.getFloat32(20);
  const known = Number.isFinite(value) && value > 0 ? value : null;
  const isGain = (view.getUint8(17) & 1) === 1;
  return { ...base, iso: isGain ? null : known, gain: isGain ? known : null, jpegOffset: length };
}

export function decodePreviewFrame(message: Buffer): PreviewFrameHeader & { jpeg: Buffer } {
  const h = decodePreviewHeader(message);
  if (h === null) throw new Error('preview frame too short');
  const { jpegOffset, ...header } = h;
  return { ...header, jpeg: message.subarray(jpegOffset) };
}

// ---------------------------------------------------------------- system, sensors and storage status (issue 3)

export const SystemStatus = z.object({
  load_average: z.tuple([z.number(), z.number(), z.number()]),
  cpu_count: z.number().int(),
  memory: z.object({
    total_bytes: z.number(),
    free_bytes: z.number(),
    used_bytes: z.number(),
    used_percent: z.number(),
  }),
  /** null when the board has no /sys/class/thermal/thermal_zone0. */
  soc_temperature_c: z.number().nullable(),
  uptime_seconds: z.number(),
  process_uptime_seconds: z.number(),
  /** "unknown" when neither timedatectl nor systemd-timesyncd can tell. */
  clock: z.object({ sync: z.enum(['synchronized', 'unsynchronized', 'unknown']), source: z.string() }),
});
export type SystemStatus = z.infer<typeof SystemStatus>;

export const SensorStatus = z.object({
  sensor: z.string(),
  kind: z.string(),
  state: z.string(),
  connected: z.boolean(),
  readings_total: z.number().int(),
  malformed_total: z.number().int(),
  last_reading_at: z.string().nullable(),
  /** Latest reading per probe ('' key folded: one entry per probe, or one for a single-probe sensor). */
  latest: z.array(
    z.object({
      probe: z.string().optional(),
      time: z.string(),
      temperature_c: z.number().optional(),
      humidity_percent: z.number().optional(),
      lux: z.number().optional(),
    }),
  ),
  last_error: z.object({ code: z.string(), message: z.string(), time: z.string() }).nullable(),
});
export type SensorStatus = z.infer<typeof SensorStatus>;

export const StorageStatus = z.object({
  ...StorageLabelShape,
  /** ok, warning (above warn_percent) or paused (above hard_limit_percent: POST /capture answers 507 disk_full). */
  state: z.enum(['ok', 'warning', 'paused']),
  capture_paused: z.boolean(),
  used_percent: z.number(),
  warn_percent: z.number(),
  hard_limit_percent: z.number(),
  emergency_delete_unsynced: z.boolean(),
  message: z.string().nullable(),
  retention: z.object({ synced_max_age_hours: z.number(), deleted: z.record(z.string(), z.number()) }),
});
export type StorageStatus = z.infer<typeof StorageStatus>;

// ---------------------------------------------------------------- plan runner, clock, CinePi dashboard

export * from './autonomy.js';
export * from './cinepi.js';
