/** The export request: its zod schema, presets and the resolution of output paths. */
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { StationError } from '../util/errors.js';
import { EXPORT_PRODUCTS, RenderOption } from './api-types.js';

/**
 * One file or folder name, never a path: no separators, not "." or "..", no
 * leading dot (hidden files, and the exporter's own ".partial" names), no
 * control characters, nothing Windows refuses in a name.
 */
export const SafeFileName = z
  .string()
  .min(1)
  .max(200)
  .refine((n) => !/[/\\<>:"|?*]/.test(n) && ![...n].some((c) => c.charCodeAt(0) < 0x20), {
    message: 'must be a file name, without folders or special characters',
  })
  .refine((n) => !n.startsWith('.') && n.trim() === n && !n.endsWith('.'), {
    message: 'must not start or end with a dot or a space',
  });

/** True when `path` lies strictly inside `root` (not `root` itself). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export const BracketSchema = z.object({
  group: z.string().min(1).max(128),
  index: z.number().int().min(0),
  count: z.number().int().min(2).max(9),
  ev: z.number().min(-6).max(6),
});

export const FrameSchema = z.object({
  path: z.string().min(1),
  capturedAt: z.iso.datetime({ offset: true }),
  temperatureC: z.number().finite().nullable().optional(),
  /** The camera (bracketed sets are grouped and darks matched per camera). */
  agentId: z.string().min(1).optional(),
  /** One image of a bracketed set: merged into one output frame (see `hdr`). */
  bracket: BracketSchema.nullable().optional(),
  /** Exposure time and gain (ISO) the frame was taken with: for matching darks. */
  exposureSeconds: z.number().positive().finite().optional(),
  gain: z.number().positive().finite().optional(),
});
export type ExportFrame = z.input<typeof FrameSchema>;

/** A dark frame (lens capped) that `darks: 'auto'` may subtract from the lights. */
export const DarkFrameSchema = z.object({
  path: z.string().min(1),
  agentId: z.string().min(1).optional(),
  exposureSeconds: z.number().positive().finite(),
  gain: z.number().positive().finite(),
  temperatureC: z.number().finite().nullable().optional(),
});
export type ExportDarkFrame = z.input<typeof DarkFrameSchema>;

export const PRESETS = {
  /** H.264 High, yuv420p, +faststart: plays everywhere. */
  'h264-1080p': { kind: 'video', codec: 'libx264', width: 1920, height: 1080, crf: 20, profile: 'high' },
  /** H.265 (HEVC) tagged hvc1 so QuickTime/Apple players accept it. */
  'h265-4k': { kind: 'video', codec: 'libx265', width: 3840, height: 2160, crf: 24, profile: null },
  /** H.264 Main for browsers and small files. */
  'h264-720p-web': { kind: 'video', codec: 'libx264', width: 1280, height: 720, crf: 23, profile: 'main' },
  /** A folder of numbered frames (frame_00001.jpg ...), source size unless width/height are given. */
  'image-sequence': { kind: 'images', codec: null, width: null, height: null, crf: null, profile: null },
} as const;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];

const evenPositive = z.number().int().positive().multipleOf(2, { message: 'must be an even number of pixels' });

export const ExportRequestSchema = z
  .object({
    frames: z.array(FrameSchema).min(1, { message: 'select at least one frame' }),
    preset: z.enum(PRESET_NAMES),
    fps: RenderOption.fps.default(30),
    /** Output size; a missing side follows the (cropped) source's aspect ratio. */
    width: evenPositive.optional(),
    height: evenPositive.optional(),
    /** How the source fills width×height: crop the excess (cover) or letterbox (contain). */
    fit: RenderOption.fit.default('cover'),
    /** Crop in source pixels, applied before scaling. */
    crop: z.object(RenderOption.crop).optional(),
    /** Constant rate factor; the preset's default when missing. */
    crf: RenderOption.crf.optional(),
    encoderPreset: RenderOption.encoderPreset.default('medium'),
    deflicker: RenderOption.deflicker.default('none'),
    /** Frames in the smoothing window ('smooth' and 'ffmpeg'). */
    deflickerWindow: RenderOption.deflickerWindow.default(15),
    stabilise: z.boolean().default(false),
    overlay: z.boolean().default(false),
    /** IANA time zone for the overlay's date and time; the station's own zone when missing. */
    overlayTimeZone: z.string().min(1).optional(),
    denoise: RenderOption.denoise.default('none'),
    /**
     * Bracketed sets: 'fuse' makes one frame of each set by exposure fusion (at
     * the set's first capture time); 'middle' keeps only the image closest to
     * the metered exposure (ev nearest 0).
     */
    hdr: RenderOption.hdr.default('fuse'),
    /** 'auto': subtract the best-matching dark of `darkFrames` (same camera, exposure, gain, temperature) from each light. */
    darks: RenderOption.darks.default('off'),
    darkFrames: z.array(DarkFrameSchema).max(10_000).optional(),
    /**
     * 'sequence': every frame once, at the constant output rate, in capture
     * order (gaps and interval changes never jump). 'realtime': frames are
     * dropped or held so that output time follows capture time at the median
     * interval; gaps longer than 10 intervals are shortened to one.
     */
    pacing: RenderOption.pacing.default('sequence'),
    imageFormat: RenderOption.imageFormat.default('jpg'),
    outputPath: z.string().min(1).optional(),
    outputDir: z.string().min(1).optional(),
    name: SafeFileName.optional(),
    overwrite: z.boolean().default(false),
    /** A timelapse (the default) or a night product made from the same frames (keogram, startrails). */
    product: z.enum(EXPORT_PRODUCTS).default('timelapse'),
    /** What a person reads in the job list. */
    label: z.string().max(300).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.outputPath === undefined && (r.outputDir === undefined || r.name === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['outputPath'], message: 'give outputPath, or outputDir and name' });
    }
    if (r.overlayTimeZone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-GB', { timeZone: r.overlayTimeZone });
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: ['overlayTimeZone'],
          message: `unknown time zone "${r.overlayTimeZone}"`,
        });
      }
    }
  });

/** What a caller sends (defaults optional). */
export type ExportRequest = z.input<typeof ExportRequestSchema>;
/** After validation, with every default filled in. */
export type ParsedExportRequest = z.output<typeof ExportRequestSchema>;

/** Validate a request; the error names every offending field. */
export function parseExportRequest(input: unknown): ParsedExportRequest {
  const r = ExportRequestSchema.safeParse(input);
  if (r.success) return r.data;
  const parts = r.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : 'request'}: ${i.message}`);
  throw new StationError('invalid_export_request', `The export request is invalid: ${parts.join('; ')}.`);
}

/** The final output: a .mp4 file for video presets, a folder for image sequences, an image for night products. */
export function resolveOutputPath(req: ParsedExportRequest): string {
  const kind = PRESETS[req.preset].kind;
  if (req.outputPath !== undefined) return req.outputPath;
  const name = req.name!;
  if (req.product !== 'timelapse') {
    return join(req.outputDir!, extname(name) === '' ? `${name}.${req.product === 'keogram' ? 'png' : 'jpg'}` : name);
  }
  if (kind === 'images') return join(req.outputDir!, name);
  return join(req.outputDir!, extname(name) === '' ? `${name}.mp4` : name);
}
