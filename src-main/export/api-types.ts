/**
 * The exports part of the station API (methods exports.*, events export.*).
 * Pure TypeScript + zod with no Node imports: the renderer, the preload and
 * the CLI import it through src-main/api/contract.ts.
 */
import { z } from 'zod';
import { returns } from '../api/method.js';

/** Preset names; the same list as PRESET_NAMES in request.ts (a spec checks they agree). */
export const EXPORT_PRESETS = ['h264-1080p', 'h265-4k', 'h264-720p-web', 'image-sequence'] as const;
export type ExportPresetName = (typeof EXPORT_PRESETS)[number];
export const EXPORT_PRODUCTS = ['timelapse', 'keogram', 'startrails'] as const;
export type ExportProduct = (typeof EXPORT_PRODUCTS)[number];

const Instant = z.iso.datetime({ offset: true });
const Name = z.string().min(1).max(128);

/** Which gallery images: always by camera and time range, optionally narrowed. Ordered by capture time. */
export const ExportSelection = z
  .strictObject({
    /** Camera ids (agent ids); an id prefix or a camera name also matches. */
    agentIds: z.array(Name).min(1).max(64),
    from: Instant,
    to: Instant,
    schedules: z.array(Name).min(1).max(32).optional(),
    profile: Name.optional(),
    testId: Name.optional(),
    /** Test variant (e.g. "a" / "b" of an override test). */
    variant: z.string().min(1).max(64).optional(),
  })
  .refine((s) => Date.parse(s.from) <= Date.parse(s.to), { message: 'from must not be after to', path: ['to'] });
export type ExportSelection = z.input<typeof ExportSelection>;

const even = z.number().int().positive().max(8192).multipleOf(2, { message: 'must be an even number of pixels' });

export const ENCODER_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;

/**
 * The values of the render options, one list for the API (ExportOptions: each optional, the preset decides)
 * and the render request (ExportRequestSchema in request.ts: each with its default).
 */
export const RenderOption = {
  fps: z.union([z.literal(24), z.literal(25), z.literal(30), z.literal(60)]),
  fit: z.enum(['cover', 'contain']),
  /** The crop rectangle's fields, in source pixels. */
  crop: {
    left: z.number().int().nonnegative(),
    top: z.number().int().nonnegative(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
  },
  /** Quality: constant rate factor (lower is better, larger files). */
  crf: z.number().int().min(0).max(51),
  /** x264/x265 speed preset. */
  encoderPreset: z.enum(ENCODER_PRESETS),
  deflicker: z.enum(['none', 'ffmpeg', 'smooth']),
  deflickerWindow: z.number().int().min(3).max(301),
  denoise: z.enum(['none', 'hqdn3d', 'atadenoise']),
  hdr: z.enum(['fuse', 'middle']),
  darks: z.enum(['off', 'auto']),
  pacing: z.enum(['sequence', 'realtime']),
  imageFormat: z.enum(['jpg', 'png']),
};

/** How to render; every field optional (the preset decides). */
export const ExportOptions = z.strictObject({
  preset: z.enum(EXPORT_PRESETS).default('h264-1080p'),
  fps: RenderOption.fps.default(25),
  width: even.optional(),
  height: even.optional(),
  fit: RenderOption.fit.optional(),
  crop: z.strictObject(RenderOption.crop).optional(),
  crf: RenderOption.crf.optional(),
  encoderPreset: RenderOption.encoderPreset.optional(),
  deflicker: RenderOption.deflicker.optional(),
  deflickerWindow: RenderOption.deflickerWindow.optional(),
  stabilise: z.boolean().optional(),
  overlay: z.boolean().optional(),
  overlayTimeZone: z.string().min(1).max(64).optional(),
  denoise: RenderOption.denoise.optional(),
  /**
   * Bracketed sets (HDR): 'fuse' (default) merges each set into one frame by
   * exposure fusion; 'middle' keeps only the image taken at the metered exposure.
   */
  hdr: RenderOption.hdr.optional(),
  /**
   * Dark frames: 'auto' (default) subtracts from each light a master dark of the
   * same camera taken at the nearest exposure, gain and temperature (lights with
   * no dark close enough are left as they are); 'off' never does.
   */
  darks: RenderOption.darks.optional(),
  pacing: RenderOption.pacing.optional(),
  imageFormat: RenderOption.imageFormat.optional(),
  /** File name (no folders) under the station's exports folder. */
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^/\\]+$/, { message: 'must be a file name, without folders' })
    .refine((n) => !n.startsWith('.'), { message: 'must not start with a dot (no "..", no hidden files)' })
    .refine((n) => [...n].every((c) => c.charCodeAt(0) >= 0x20), { message: 'must not contain control characters' })
    .optional(),
  /** An absolute path on the station's computer instead (the CLI's --out). */
  outputPath: z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), { message: 'must be an absolute path' })
    .optional(),
  overwrite: z.boolean().optional(),
});
export type ExportOptions = z.input<typeof ExportOptions>;

export const ExportCreateParams = z.strictObject({
  selection: ExportSelection,
  options: ExportOptions.default({ preset: 'h264-1080p', fps: 25 }),
  product: z.enum(EXPORT_PRODUCTS).default('timelapse'),
});
export const ExportJobParams = z.strictObject({ jobId: z.string().min(1).max(64) });
export const ExportNightParams = z.strictObject({
  agentId: Name,
  /** The evening's date (YYYY-MM-DD, station local time); the night runs from noon to noon. */
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'use YYYY-MM-DD' }),
});

export const S3SettingsInput = z.strictObject({
  endpoint: z.url().max(512).optional(),
  region: z.string().min(1).max(64).default('us-east-1'),
  bucket: z.string().min(3).max(63),
  prefix: z.string().max(256).default('skystation/'),
  accessKeyId: z.string().min(1).max(256),
  /** Write-only: reading settings shows only whether it is set. Omit to keep the stored one. */
  secretAccessKey: z.string().min(1).max(256).optional(),
  forcePathStyle: z.boolean().default(false),
});

export const ExportSettingsPatch = z.strictObject({
  /** Make a keogram and a startrails image for each camera's night once its captures stop arriving. */
  autoNightProducts: z.boolean().optional(),
  /** Minutes with no new night capture before the night counts as finished. */
  nightQuietMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  /** Upload finished exports (and optionally originals) to S3. */
  archiveExports: z.boolean().optional(),
  archiveOriginals: z.boolean().optional(),
  s3: S3SettingsInput.nullable().optional(),
});

/** An S3 archive's connection as a view shows it: the secret only as whether it is set. */
export interface S3SettingsView {
  endpoint: string | null;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKeySet: boolean;
  forcePathStyle: boolean;
}

export interface ExportSettingsView {
  autoNightProducts: boolean;
  nightQuietMinutes: number;
  archiveExports: boolean;
  archiveOriginals: boolean;
  s3: S3SettingsView | null;
  /** The S3 archive's state: uploads waiting or running, the last one finished, the last error. */
  archive: { queued: number; lastUploaded: string | null; lastError: string | null };
}

export type ExportJobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface ExportProgressView {
  /** 0–100. */
  percent: number;
  fps: number;
  etaSeconds: number | null;
  stage: 'processing' | 'measuring' | 'stabilising' | 'encoding';
}

export interface ExportJobView {
  id: string;
  status: ExportJobStatus;
  product: ExportProduct;
  /** What a person reads in a list: "Roof cam, 10 Jan 20:00 – 11 Jan 06:00, 1080p H.264". */
  label: string;
  preset: ExportPresetName;
  fps: number;
  frames: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: ExportProgressView | null;
  result: {
    outputPath: string;
    /** Path under the media folder ("exports/x.mp4") when the UI can open it through mediaUrl; else null. */
    mediaPath: string | null;
    frames: number;
    durationSeconds: number;
    width: number;
    height: number;
  } | null;
  /** What the user should know about a finished export (incomplete bracketed sets, lights left without a dark). */
  warnings: string[];
  error: { code: string; message: string } | null;
  /** Only interrupted, failed and cancelled jobs can be retried. */
  retryable: boolean;
}

export type ExportEvent =
  | { event: 'export.progress'; data: { job: ExportJobView; progress: ExportProgressView } }
  | { event: 'export.finished'; data: { job: ExportJobView } }
  | { event: 'export.failed'; data: { job: ExportJobView } };

/** The exports.* methods, merged into the contract's `methods`. */
export const exportMethods = {
  'exports.create': { params: ExportCreateParams, result: returns<ExportJobView>() },
  'exports.list': { params: z.strictObject({}).default({}), result: returns<ExportJobView[]>() },
  'exports.get': { params: ExportJobParams, result: returns<ExportJobView>() },
  'exports.cancel': { params: ExportJobParams, result: returns<{ cancelled: boolean }>() },
  'exports.retry': { params: ExportJobParams, result: returns<ExportJobView>() },
  'exports.nightProducts': { params: ExportNightParams, result: returns<ExportJobView[]>() },
  'exports.getSettings': { params: z.strictObject({}).default({}), result: returns<ExportSettingsView>() },
  'exports.setSettings': { params: ExportSettingsPatch, result: returns<ExportSettingsView>() },
} as const;
