/**
 * The CinePi dashboard API (seed 003), served by the agent under /api so the
 * dashboard's client works unchanged. Shapes follow the seed: answers carry
 * `success`, errors are `{success: false, error: "<sentence>", code}`.
 */
import { z } from 'zod';

export const CINEPI_RESOLUTIONS = ['4056x3040', '2028x1520', '2028x1080', '1920x1080', '1332x990'] as const;

/** A capture's file name as the dashboard sees it: one path segment ending in .jpg, never "..". */
export const CinePiFilename = z
  .string()
  .max(164)
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.jpg$/, 'filename must be a capture file name like NAME.jpg')
  .refine((s) => !s.includes('..'), 'filename must not contain ".."');

export const CinePiError = z.object({ success: z.literal(false), error: z.string(), code: z.string() });

// ---------------------------------------------------------------- timelapse sessions

export const TimelapseStartRequest = z.strictObject({ interval: z.number().int().min(1).max(3600) });

export const TimelapseSessionView = z.object({
  start_time: z.string(),
  interval: z.number().int(),
  status: z.enum(['active', 'stopped']),
  captures: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  /** Intervals that passed with no capture while the agent was down (absent on agents before this field). */
  missed: z.number().int().optional(),
  last_capture_at: z.string().nullable(),
  next_capture_at: z.string().nullable(),
  /** When the agent resumed this session after a restart (null if it never had to). */
  resumed_at: z.string().nullable(),
  stopped_at: z.string().nullable(),
  stop_reason: z.string().nullable(),
});
export type TimelapseSessionView = z.infer<typeof TimelapseSessionView>;

export const TimelapseStartResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  session: TimelapseSessionView,
});

export const TimelapseStatusResponse = z.object({
  status: z.enum(['active', 'inactive']),
  /** The running session, or the last one (stopped) with why it stopped. */
  session: TimelapseSessionView.nullable(),
});

export const CinePiOk = z.object({ success: z.literal(true), message: z.string() });

// ---------------------------------------------------------------- camera

export const CinePiCameraSettings = z.strictObject({
  exposure_mode: z.enum(['auto', 'manual']),
  iso: z.number().int().min(100).max(800),
  gain: z.number().min(1).max(8),
  resolution: z.enum(CINEPI_RESOLUTIONS),
});
export type CinePiCameraSettings = z.infer<typeof CinePiCameraSettings>;

export const CinePiSettingsUpdate = CinePiCameraSettings.partial().refine((s) => Object.keys(s).length > 0, {
  message: 'give at least one of exposure_mode, iso, gain, resolution',
});

export const CinePiSettingsResponse = CinePiCameraSettings.extend({
  supported_resolutions: z.array(z.string()),
});

export const CinePiSettingsUpdateResponse = CinePiOk.extend({ settings: CinePiCameraSettings });

export const CinePiCameraStatus = z.object({
  status: z.enum(['connected', 'disconnected', 'error']),
  connected: z.boolean(),
  error: z.string().nullable(),
  details: z.object({ driver: z.string(), model: z.string(), state: z.string() }),
});

// ---------------------------------------------------------------- captures

export const SnapshotResponse = CinePiOk.extend({ filename: z.string(), timestamp: z.string() });

export const CinePiCaptureItem = z.object({
  filename: z.string(),
  timestamp: z.string(),
  size: z.number().int(),
  /** Path inside the agent's captures folder. */
  path: z.string(),
});
export const CinePiCaptureList = z.object({ success: z.literal(true), captures: z.array(CinePiCaptureItem) });
export const CinePiCaptureListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

// ---------------------------------------------------------------- configuration and logs

export const CinePiConfigResponse = z.object({
  success: z.literal(true),
  config: z.record(z.string(), z.unknown()),
  /** The file, or null while the agent runs on defaults. */
  path: z.string().nullable(),
});

export const CinePiConfigUpdateResponse = CinePiOk.extend({
  config: z.record(z.string(), z.unknown()),
  backup_file: z.string().nullable(),
});

export const CinePiBackup = z.object({ filename: z.string(), created_at: z.string(), size: z.number().int() });
export const CinePiBackupList = z.object({ success: z.literal(true), backups: z.array(CinePiBackup) });
export const CinePiBackupCreated = CinePiOk.extend({ backup_file: z.string().nullable() });
export const CinePiRestoreResponse = CinePiOk.extend({ restored: z.string(), backup_file: z.string().nullable() });

export const CinePiLogQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  level: z.enum(['info', 'warning', 'error']).optional(),
});
export const CinePiLogEntry = z.object({
  timestamp: z.string(),
  level: z.enum(['debug', 'info', 'warning', 'error']),
  message: z.string(),
  module: z.string(),
});
export const CinePiLogs = z.object({ success: z.literal(true), logs: z.array(CinePiLogEntry) });
