/**
 * runExport: one timelapse file (or image folder) from a selection of frames.
 *
 * Two ways of feeding ffmpeg, both streamed so memory does not grow with the
 * number of frames:
 *  - files: the ordered frames are symlinked as in/000000.jpg ... in a
 *    private work folder and ffmpeg reads them itself (the same work as a
 *    hand-written `ffmpeg -framerate 30 -i frame_%05d.jpg` command);
 *  - stream: sharp decodes, crops, scales and exposure-corrects each frame and
 *    raw RGB frames go to ffmpeg's stdin with backpressure, a few frames in
 *    flight. Used when frames cannot be linked (mixed formats, no symlinks
 *    on this system) and for smooth deflicker of very long sequences.
 * Smooth deflicker otherwise stays in ffmpeg: the measured per-frame gains
 * are sent to a colorchannelmixer through sendcmd.
 * Bracketed sets and dark frames are handled first, in a bounded processing
 * stage (processing.ts) that writes the processed frames to the private work
 * folder; exports with neither skip it.
 * The output is written under a hidden temporary name in the target folder
 * and renamed only when ffmpeg succeeded: a cancel or a failure never leaves a
 * half-written file under the final name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import { fsyncDir } from '../util/atomic.js';
import { WALL_CLOCK_PARTS } from '../schedule/time.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { deflickerGains, measureAll } from './deflicker.js';
import { ffmpegFilters, findFfmpeg, runFfmpeg, writeChunk, type FfmpegProgress } from './ffmpeg.js';
import { checkExistingOutput, removeFrameFolder } from './output-guard.js';
import { planProcessing, processUnits, unitPath } from './processing.js';
import { PRESETS, parseExportRequest, resolveOutputPath, type ParsedExportRequest } from './request.js';
import { orderFrames, paceFrames, type TimedFrame } from './timeline.js';

export interface ExportProgress {
  /** 0–1 over the whole export (all passes). */
  fraction: number;
  /** Seconds left, from the elapsed time and the fraction; null until known. */
  etaSeconds: number | null;
  /** ffmpeg's current frames per second (0 while measuring). */
  fps: number;
  stage: 'processing' | 'measuring' | 'stabilising' | 'encoding';
}

export interface RunExportOptions {
  ffmpegPath?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ExportProgress) => void) | undefined;
  log?: Logger | undefined;
}

export interface ExportResult {
  outputPath: string;
  /** Frames in the output (after pacing). */
  frames: number;
  durationSeconds: number;
  width: number;
  height: number;
  /** What the user should know about the result (incomplete bracketed sets, lights left without a dark). */
  warnings?: string[];
}

const LINKABLE = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff']);

/**
 * Encoder arguments, shared with the benchmark's reference ffmpeg command so
 * the comparison is fair (same encoder, same settings).
 *
 * Memory (TARGETS export_peak_rss_mb ≤ 400 MB with Node): x264 at 1080p with
 * preset medium and its defaults (frame threads = 1.5 × cores, rc-lookahead
 * 40) peaks near 500 MB, because every frame in the lookahead and in each
 * frame thread is a full set of half-pel planes (~8 MB). Sliced threads
 * (parallel slices of one frame: no frames in flight per thread) and an
 * 8-frame lookahead bound it to ~210 MB at the same CPU time per frame
 * (measured on 120 frames: 18–21 s CPU either way; 8 vs 10 frames of
 * lookahead: 14 MB less, file size within 0.2 %). x265 gets a 15-frame lookahead and
 * at most 2 frame threads.
 */
export function videoEncoderArgs(
  codec: 'libx264' | 'libx265',
  o: { encoderPreset: string; crf: number; threads?: number },
): string[] {
  const threads = o.threads ?? Math.max(1, Math.min(4, availableParallelism()));
  const args = ['-c:v', codec, '-preset', o.encoderPreset, '-crf', String(o.crf), '-pix_fmt', 'yuv420p'];
  if (codec === 'libx265') {
    return [...args, '-tag:v', 'hvc1', '-x265-params', 'log-level=error:rc-lookahead=15:frame-threads=2'];
  }
  return [...args, '-tag:v', 'avc1', '-x264-params', `sliced-threads=1:threads=${threads}:rc-lookahead=8`];
}
/** Longest sequence whose smooth-deflicker gains are sent to ffmpeg as commands (see runExport). */
export const MAX_GAIN_COMMAND_FRAMES = 1600;
/** Frames decoded ahead of ffmpeg in the stream path (each is width×height×3 bytes). */
const FRAMES_AHEAD = 2;

function cancelled(): StationError {
  return new StationError('export_cancelled', 'The export was cancelled.');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function even(v: number): number {
  return Math.max(2, Math.floor(v / 2) * 2);
}

/** Output width and height: the request's, else the preset's, else the (cropped) source's; a missing side keeps the aspect ratio. */
export async function resolveOutputSize(
  req: ParsedExportRequest,
  firstFrame: string,
): Promise<{ width: number; height: number }> {
  const preset = PRESETS[req.preset];
  const userGave = req.width !== undefined || req.height !== undefined;
  let w: number | null = userGave ? (req.width ?? null) : preset.width;
  let h: number | null = userGave ? (req.height ?? null) : preset.height;
  if (w !== null && h !== null) return { width: w, height: h };
  let meta: { width: number; height: number };
  try {
    meta = await sharp(firstFrame).metadata();
  } catch (err) {
    throw new StationError('frame_unreadable', `The frame ${firstFrame} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const sw = req.crop?.width ?? meta.width;
  const sh = req.crop?.height ?? meta.height;
  if (w === null && h === null) return { width: even(sw), height: even(sh) };
  if (w === null) w = even((h! * sw) / sh);
  if (h === null) h = even((w * sh) / sw);
  return { width: w, height: h };
}

function overlayText(f: TimedFrame, tz: string | undefined): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, ...WALL_CLOCK_PARTS }).formatToParts(new Date(f.t));
  const p = (type: string): string => parts.find((x) => x.type === type)?.value ?? '';
  let text = `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}`;
  if (typeof f.temperatureC === 'number') text += `   ${f.temperatureC.toFixed(1)} °C`;
  return text;
}

/** sendcmd script: one drawtext reinit per output frame (text limited to safe characters, ':' escaped). */
export function overlayCommands(seq: readonly TimedFrame[], fps: number, tz: string | undefined): string {
  const lines: string[] = [];
  let previous = '';
  seq.forEach((f, i) => {
    const text = overlayText(f, tz)
      .replace(/[^0-9A-Za-z .:°+-]/g, '')
      .replace(/:/g, '\\:');
    if (text === previous) return;
    previous = text;
    const at = i === 0 ? 0 : (i - 0.25) / fps;
    lines.push(`${at.toFixed(6)} drawtext@ov reinit 'text=${text}';`);
  });
  return `${lines.join('\n')}\n`;
}

/**
 * The smooth-deflicker gain as colorchannelmixer parameters: R'G'B' each
 * multiplied by g, exactly like sharp's linear(g) on sRGB values. (eq was
 * tried: it works on limited-range YUV with integer rounding and missed the
 * target brightness by several levels.) The mixer accepts gains up to 2.
 */
export function mixerGain(g: number, form: 'args' | 'command'): string {
  const v = Math.max(0, Math.min(2, g)).toFixed(5);
  return form === 'args'
    ? `rr=${v}:gg=${v}:bb=${v}`
    : `colorchannelmixer@dfl rr ${v}, colorchannelmixer@dfl gg ${v}, colorchannelmixer@dfl bb ${v}`;
}

/** sendcmd script: the deflicker gain of each output frame, sent when it changes. */
export function gainCommands(seq: readonly TimedFrame[], gains: ReadonlyMap<string, number>, fps: number): string {
  const lines: string[] = [];
  let previous = '';
  seq.forEach((f, i) => {
    const cmd = mixerGain(gains.get(f.path) ?? 1, 'command');
    if (cmd === previous) return;
    previous = cmd;
    const at = i === 0 ? 0 : (i - 0.25) / fps;
    lines.push(`${at.toFixed(6)} ${cmd};`);
  });
  return `${lines.join('\n')}\n`;
}

interface InputSource {
  kind: 'files' | 'stream';
  args: string[];
  feed?: (stdin: Writable, signal: AbortSignal) => Promise<void>;
}

/** Symlink the sequence into work/in; null when that is not possible here. */
async function linkFrames(seq: readonly TimedFrame[], work: string): Promise<InputSource | null> {
  const ext = extname(seq[0]!.path).toLowerCase();
  if (!LINKABLE.has(ext) || seq.some((f) => extname(f.path).toLowerCase() !== ext)) return null;
  const dir = join(work, 'in');
  await mkdir(dir);
  try {
    for (let i = 0; i < seq.length; i++) {
      await symlink(resolve(seq[i]!.path), join(dir, `${String(i).padStart(6, '0')}${ext}`));
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EACCES') return null;
    throw err;
  }
  return { kind: 'files', args: ['-f', 'image2', '-start_number', '0', '-i', `in/%06d${ext}`] };
}

function streamSource(
  seq: readonly TimedFrame[],
  req: ParsedExportRequest,
  size: { width: number; height: number },
  gains: ReadonlyMap<string, number> | null,
): InputSource {
  const { width, height } = size;
  const render = async (f: TimedFrame): Promise<Buffer> => {
    try {
      let img = sharp(f.path, { failOn: 'error' });
      if (req.crop) img = img.extract(req.crop);
      img = img.resize({ width, height, fit: req.fit, background: { r: 0, g: 0, b: 0 } });
      const gain = gains?.get(f.path) ?? 1;
      if (gain !== 1) img = img.linear(gain, 0);
      const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      if (info.width !== width || info.height !== height || info.channels !== 3) {
        throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`);
      }
      return data;
    } catch (err) {
      throw new StationError('frame_unreadable', `The frame ${f.path} could not be read: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    kind: 'stream',
    args: ['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-i', 'pipe:0'],
    feed: async (stdin, signal) => {
      // libvips' operation cache would keep decoded frames we never reuse.
      sharp.cache(false);
      const inflight: Promise<Buffer>[] = [];
      let next = 0;
      const launch = (): void => {
        while (inflight.length < FRAMES_AHEAD && next < seq.length) {
          const p = render(seq[next++]!);
          p.catch(() => undefined);
          inflight.push(p);
        }
      };
      launch();
      while (inflight.length > 0) {
        if (signal.aborted) throw cancelled();
        const buf = await inflight.shift()!;
        launch();
        await writeChunk(stdin, buf, signal);
      }
    },
  };
}

/** Run an export. Validates the request (throws `invalid_export_request` naming the field). */
// eslint-disable-next-line max-lines-per-function -- one ffmpeg run: probing, planning, feeding frames and cleaning up share the process, the abort signal and the progress counters.
export async function runExport(input: unknown, options: RunExportOptions = {}): Promise<ExportResult> {
  const req = parseExportRequest(input);
  const { signal, onProgress, log } = options;
  const ffmpeg = await findFfmpeg({ ffmpegPath: options.ffmpegPath });
  const preset = PRESETS[req.preset];
  const finalPath = resolve(resolveOutputPath(req));
  const outDir = dirname(finalPath);
  await mkdir(outDir, { recursive: true });
  const existing = await checkExistingOutput(finalPath, req.overwrite);
  if (existing === 'frames' && preset.kind !== 'images') {
    throw new StationError('output_exists', `${finalPath} is an image-sequence folder; choose another name.`);
  }

  // Darks whose file is gone are left out (they are calibration data, not the export's pictures).
  const darkFrames: NonNullable<ParsedExportRequest['darkFrames']> = [];
  let darksMissing = 0;
  for (const d of req.darks === 'auto' ? (req.darkFrames ?? []) : []) {
    if (await exists(d.path)) darkFrames.push(d);
    else darksMissing++;
  }
  // Bracketed sets become one frame each, darks are matched (no file read yet).
  const plan = planProcessing(req.frames, { hdr: req.hdr, darks: req.darks, darkFrames });
  if (darksMissing > 0) {
    plan.warnings.push(
      `${darksMissing} dark frame${darksMissing === 1 ? ' was' : 's were'} missing from the media folder and not used.`,
    );
  }
  const work = join(tmpdir(), `skystation-export-${randomBytes(6).toString('hex')}`);
  const procDir = join(work, 'proc');
  const firstSource = plan.units[0]!.sources[0]!.frame.path;
  const procFormat = extname(firstSource).toLowerCase() === '.png' ? 'png' : 'jpg';
  const ordered = orderFrames(
    plan.units.map((u, i) => ({
      path: unitPath(u, i, procDir, procFormat),
      capturedAt: u.capturedAt,
      temperatureC: u.temperatureC,
    })),
  );
  const inputs = new Set(plan.units.flatMap((u) => u.sources.flatMap((s) => [s.frame.path, ...(s.dark?.paths ?? [])])));
  for (const path of inputs) {
    if (!(await exists(path)))
      throw new StationError('frame_missing', `The frame ${path} does not exist (moved or deleted?).`);
  }
  const seq = paceFrames(ordered, req.pacing);

  const filters = await ffmpegFilters(ffmpeg);
  const need = (name: string, what: string): void => {
    if (!filters.has(name))
      throw new StationError(
        'ffmpeg_filter_missing',
        `This ffmpeg has no "${name}" filter, needed for ${what}. Install a full ffmpeg build or turn ${what} off.`,
      );
  };
  if (req.stabilise) {
    need('vidstabdetect', 'stabilisation');
    need('vidstabtransform', 'stabilisation');
  }
  if (req.deflicker === 'ffmpeg') need('deflicker', 'deflicker');
  if (req.overlay) {
    need('drawtext', 'the overlay');
    need('sendcmd', 'the overlay');
  }
  if (req.denoise !== 'none') need(req.denoise, 'noise reduction');

  const size = await resolveOutputSize(req, firstSource);
  const started = Date.now();
  // Fusing or calibrating a frame costs far more than encoding it.
  const processing = plan.work > 0 ? (0.75 * plan.work) / plan.units.length : 0;
  const weights = {
    processing,
    measuring: req.deflicker === 'smooth' ? 0.1 * (1 - processing) : 0,
    stabilising: req.stabilise ? 0.3 * (1 - processing) : 0,
    encoding: 0,
  };
  weights.encoding = 1 - weights.processing - weights.measuring - weights.stabilising;
  const stageOrder = ['processing', 'measuring', 'stabilising', 'encoding'] as const;
  const report = (stage: ExportProgress['stage'], stageFraction: number, fps: number): void => {
    if (!onProgress) return;
    let before = 0;
    for (const s of stageOrder.slice(0, stageOrder.indexOf(stage))) before += weights[s];
    const fraction = Math.min(1, Math.max(0, before + weights[stage] * Math.min(1, stageFraction)));
    const elapsed = (Date.now() - started) / 1000;
    const etaSeconds = fraction > 0.01 ? Math.max(0, (elapsed * (1 - fraction)) / fraction) : null;
    onProgress({ fraction, etaSeconds, fps, stage });
  };
  const ffProgress = (stage: ExportProgress['stage']) => (p: FfmpegProgress) =>
    report(stage, p.frame / seq.length, p.fps);

  await mkdir(work, { mode: 0o700 });
  const tag = randomBytes(4).toString('hex');
  const partial = join(outDir, `.${basename(finalPath)}.${tag}.partial${preset.kind === 'video' ? '.mp4' : ''}`);
  try {
    if (plan.work > 0) {
      // Sources above ~8 MP are processed one at a time (a fusion holds ~36 bytes per pixel).
      const meta = await sharp(firstSource)
        .metadata()
        .catch(() => ({ width: 0, height: 0 }));
      const procStarted = Date.now();
      await processUnits(plan, {
        workDir: procDir,
        format: procFormat,
        signal,
        concurrency: (meta.width ?? 0) * (meta.height ?? 0) > 8_500_000 ? 1 : 2,
        onProgress: (done, total) =>
          report('processing', done / total, done / Math.max(0.001, (Date.now() - procStarted) / 1000)),
      });
      log?.info({ units: plan.work, ...plan.stats, ms: Date.now() - procStarted }, 'export: frames processed');
    }
    let gains: Map<string, number> | null = null;
    if (req.deflicker === 'smooth') {
      const unique = ordered.map((f) => f.path);
      const measured = await measureAll(unique, {
        concurrency: 2,
        signal,
        onMeasured: (n) => report('measuring', n / unique.length, 0),
      });
      const g = deflickerGains(measured, req.deflickerWindow);
      gains = new Map(unique.map((p, i) => [p, g[i]!]));
      log?.debug({ frames: unique.length }, 'export: brightness measured');
    }
    // Long smooth-deflicker sequences go through the Node stream path: ffmpeg's
    // sendcmd keeps ~12 kB per parsed command (3 per frame, measured with
    // ffmpeg 5.1), which passes the stream path's bounded ~80 MB of frame
    // buffers at about 2,000 frames.
    const linked = gains !== null && seq.length > MAX_GAIN_COMMAND_FRAMES ? null : await linkFrames(seq, work);
    const makeSource = (): InputSource => linked ?? streamSource(seq, req, size, gains);
    const { width, height } = size;
    const fps = String(req.fps);
    /** One ffmpeg pass over the frames at the output rate: `args` say what it does with them. */
    const ffmpegPass = (args: string[], onProgress: (p: FfmpegProgress) => void): Promise<void> => {
      const src = makeSource();
      return runFfmpeg(ffmpeg, ['-loglevel', 'error', '-xerror', '-framerate', fps, ...src.args, ...args], {
        cwd: work,
        signal,
        onProgress,
        ...(src.feed ? { feed: src.feed } : {}),
      });
    };

    const chain: string[] = [];
    if (linked) {
      if (req.crop) chain.push(`crop=${req.crop.width}:${req.crop.height}:${req.crop.left}:${req.crop.top}`);
      chain.push(
        req.fit === 'cover'
          ? `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height}`
          : `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`,
      );
      chain.push('setsar=1');
      if (gains !== null) {
        // Smooth deflicker inside ffmpeg: per-frame gains sent to a colour mixer (no pixels pass through Node).
        await writeFile(join(work, 'gain.cmd'), gainCommands(seq, gains, req.fps));
        chain.push(
          'sendcmd=f=gain.cmd',
          'format=gbrp',
          `colorchannelmixer@dfl=${mixerGain(gains.get(seq[0]!.path) ?? 1, 'args')}`,
        );
      }
    }
    if (req.deflicker === 'ffmpeg') chain.push(`deflicker=size=${Math.min(129, req.deflickerWindow)}:mode=pm`);
    if (req.denoise === 'hqdn3d') chain.push('hqdn3d');
    if (req.denoise === 'atadenoise') chain.push('atadenoise');

    if (req.stabilise) {
      await ffmpegPass(
        [
          '-vf',
          [...chain, 'vidstabdetect=shakiness=5:accuracy=15:result=transforms.trf'].join(','),
          '-an',
          '-f',
          'null',
          '-',
        ],
        ffProgress('stabilising'),
      );
      chain.push(
        'vidstabtransform=input=transforms.trf:smoothing=15:optzoom=1:interpol=bicubic',
        'unsharp=5:5:0.8:3:3:0.4',
      );
    }
    if (req.overlay) {
      await writeFile(join(work, 'overlay.cmd'), overlayCommands(seq, req.fps, req.overlayTimeZone));
      const fontsize = Math.max(12, Math.round(height / 30));
      chain.push(
        'sendcmd=f=overlay.cmd',
        `drawtext@ov=text='':fontcolor=white:fontsize=${fontsize}:x=${Math.round(fontsize * 0.8)}:y=h-th-${Math.round(fontsize * 0.8)}:box=1:boxcolor=black@0.45:boxborderw=${Math.round(fontsize / 3)}`,
      );
    }

    const out: string[] = [];
    if (preset.kind === 'video') {
      out.push(...videoEncoderArgs(preset.codec, { encoderPreset: req.encoderPreset, crf: req.crf ?? preset.crf }));
      if (preset.profile !== null) out.push('-profile:v', preset.profile);
      out.push('-movflags', '+faststart', '-an', '-f', 'mp4', '-y', partial);
    } else {
      await mkdir(partial);
      const pattern = join(partial.replace(/%/g, '%%'), `frame_%05d.${req.imageFormat}`);
      if (req.imageFormat === 'jpg') out.push('-q:v', '2');
      out.push('-start_number', '1', '-f', 'image2', '-y', pattern);
    }
    let lastFrame = 0;
    const encodeProgress = ffProgress('encoding');
    await ffmpegPass([...(chain.length ? ['-vf', chain.join(',')] : []), ...out], (p) => {
      lastFrame = p.frame;
      encodeProgress(p);
    });
    if (signal?.aborted) throw cancelled();
    if (lastFrame !== seq.length) {
      throw new StationError(
        'ffmpeg_failed',
        `ffmpeg wrote ${lastFrame} of ${seq.length} frames: some frames could not be decoded (corrupt or truncated images?).`,
      );
    }
    // Replace only what an export wrote: a folder of frames (or a file), never anything else.
    if (req.overwrite && preset.kind === 'images') {
      if ((await checkExistingOutput(finalPath, true)) === 'frames') await removeFrameFolder(finalPath);
      else await rm(finalPath, { force: true });
    }
    await rename(partial, finalPath);
    await fsyncDir(outDir);
    report('encoding', 1, 0);
    log?.info({ outputPath: finalPath, frames: seq.length, ms: Date.now() - started }, 'export: done');
    return {
      outputPath: finalPath,
      frames: seq.length,
      durationSeconds: seq.length / req.fps,
      width,
      height,
      ...(plan.warnings.length > 0 ? { warnings: plan.warnings } : {}),
    };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
