/**
 * ExportService: the brain's exports.* methods over the ExportQueue.
 *
 * - Turns a gallery selection (cameras, time range, schedules, profile, test
 *   id / variant) into frames ordered by capture time and queues a job.
 * - Maps queue events to station events export.progress / export.finished /
 *   export.failed (progress throttled to a few per second per job).
 * - Checks where an export may write, and renders keograms and startrails.
 *
 * Its other jobs each have their own module: frame-selection.ts (which images,
 * and the dark frames), night-products.ts (on request and after a night's
 * sync), export-settings.ts (the settings document) and archive-queue.ts (the
 * S3 uploads). start() and close() start and stop them.
 */
import { lstat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import type { StoredCapture } from '../db/captures-repo.js';
import type { Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import {
  ExportCreateParams,
  type ExportSettingsPatch,
  type ExportEvent,
  type ExportJobView,
  type ExportProgressView,
  type ExportSettingsView,
} from './api-types.js';
import { ArchiveQueue, type ArchiveTarget } from './archive-queue.js';
import { ExportSettingsStore, type ExportSettings } from './export-settings.js';
import { FrameSelector, type GalleryReader } from './frame-selection.js';
import { outputFrameCount } from './processing.js';
import { runExport, type ExportProgress, type ExportResult, type RunExportOptions } from './export.js';
import { makeKeogram, makeStartrails } from './night.js';
import { NightProducts, safeFileName } from './night-products.js';
import { ExportQueue, type ExportJob, type ExportRunner } from './queue.js';
import { checkExistingOutput } from './output-guard.js';
import {
  PRESETS,
  SafeFileName,
  isInside,
  resolveOutputPath,
  type ExportRequest,
  type ParsedExportRequest,
} from './request.js';

export { type ArchiveTarget } from './archive-queue.js';
export { EXPORT_SETTINGS_KEY, ExportSettingsFile, type ExportSettings } from './export-settings.js';
export { isNightCapture, type GalleryReader } from './frame-selection.js';
export { nightOf, nightWindow } from './night-products.js';

export interface ExportServiceOptions {
  dataDir: string;
  /** The station database: jobs, these settings and the archive's upload states live there. */
  db: Db;
  mediaDir: string;
  gallery: GalleryReader;
  /** The configured cameras (to resolve an id prefix or a name, and to name files). */
  agents: () => readonly { id: string; name: string }[];
  emit: (e: ExportEvent) => void;
  log: Logger;
  ffmpegPath?: string | undefined;
  /** Tests may replace the timelapse renderer. */
  runTimelapse?: (req: ParsedExportRequest, options: RunExportOptions) => Promise<ExportResult>;
  /** Called when a job finished (the S3 archive hooks in here). */
  onFinished?: (job: ExportJobView) => void;
  /** Most frames one export may select. */
  maxFrames?: number;
  /** Minimum night frames before automatic night products are made. */
  minNightFrames?: number;
}

function shortTime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

const PRESET_LABEL: Record<string, string> = {
  'h264-1080p': '1080p H.264',
  'h265-4k': '4K H.265',
  'h264-720p-web': '720p web',
  'image-sequence': 'image sequence',
};

export class ExportService {
  readonly queue: ExportQueue;
  private readonly settings: ExportSettingsStore;
  private readonly docs: OrchestrationRepo;
  private readonly exportsDir: string;
  private readonly frames: FrameSelector;
  private readonly nights: NightProducts;
  private readonly archive: ArchiveQueue;
  /** Folders the operator picked in a native dialog (desktop app): exports may be written there too. */
  private readonly pickedFolders = new Set<string>();
  private readonly lastProgress = new Map<string, number>();
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(private readonly o: ExportServiceOptions) {
    this.docs = new OrchestrationRepo(o.db);
    this.exportsDir = join(o.mediaDir, 'exports');
    this.settings = new ExportSettingsStore({ docs: this.docs, log: o.log });
    this.frames = new FrameSelector(o);
    this.nights = new NightProducts({
      selector: this.frames,
      enqueue: (req) => this.view(this.queue.enqueue(req)),
      exportsDir: this.exportsDir,
      settings: () => this.settings.get(),
      minNightFrames: o.minNightFrames,
      log: o.log,
    });
    this.archive = new ArchiveQueue({
      db: o.db,
      log: o.log,
      exportsDir: this.exportsDir,
      ownTarget: () => this.settings.get(),
    });
    const runner: ExportRunner = (req, options) => this.render(req, options);
    this.queue = new ExportQueue({ db: o.db, ffmpegPath: o.ffmpegPath, log: o.log, runner });
    const q = this.queue;
    this.unsubscribe.push(
      q.on('started', (job) =>
        this.emitProgress(job, { fraction: 0, etaSeconds: null, fps: 0, stage: 'encoding' }, true),
      ),
      q.on('progress', (job, p) => this.emitProgress(job, p, false)),
      q.on('done', (job) => {
        this.lastProgress.delete(job.id);
        const view = this.view(job);
        this.o.emit({ event: 'export.finished', data: { job: view } });
        this.o.onFinished?.(view);
        const out = job.result?.outputPath;
        if (out !== undefined) this.archive.exportFinished(out);
      }),
      ...(['failed', 'cancelled', 'interrupted'] as const).map((ev) =>
        q.on(ev, (job) => {
          this.lastProgress.delete(job.id);
          this.o.emit({ event: 'export.failed', data: { job: this.view(job) } });
        }),
      ),
    );
  }

  async start(): Promise<void> {
    this.settings.load();
    await this.queue.start();
    await this.archive.start();
  }

  /** Stop timers; a running export is stopped and kept as interrupted (resumable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.nights.stop();
    this.archive.abortUploads();
    await this.queue.stop();
    await this.archive.stop();
    for (const u of this.unsubscribe) u();
  }

  // ------------------------------------------------------------------ methods

  create(input: z.input<typeof ExportCreateParams>): ExportJobView {
    const p = ExportCreateParams.parse(input);
    const agents = this.frames.resolveAgents(p.selection.agentIds);
    const frames = this.frames.select({ ...p.selection, agentIds: agents.map((a) => a.id) });
    if (frames.length === 0) {
      throw new StationError(
        'no_frames',
        `No images match this selection (${agents.map((a) => a.name).join(', ')}, ${shortTime(p.selection.from)} – ${shortTime(p.selection.to)} UTC); widen the time range or check the filters.`,
      );
    }
    const o = p.options;
    const who = agents.map((a) => a.name).join(' + ');
    const what = p.product === 'timelapse' ? PRESET_LABEL[o.preset] : p.product;
    const label = `${who}, ${shortTime(frames[0]!.capturedAt)} – ${shortTime(frames.at(-1)!.capturedAt)} UTC, ${what}`;
    const stamp = frames[0]!.capturedAt.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    const name =
      o.name ??
      `${safeFileName(who)}-${stamp}-${p.product === 'timelapse' ? o.preset : p.product}-${Date.now() % 100000}`;
    const { preset, fps, name: _n, outputPath, darks: darkMode, ...rest } = o;
    if (!SafeFileName.safeParse(name).success) {
      throw new StationError('invalid_export_request', `"${name}" is not a file name; use letters, digits, - and _.`);
    }
    if (outputPath !== undefined) this.checkOutputPath(outputPath);
    const darks = darkMode ?? 'auto';
    const request: ExportRequest = {
      ...rest,
      frames: frames.map(({ night: _x, ...f }) => f),
      darks,
      ...(darks === 'auto' ? { darkFrames: this.frames.darksOf(agents.map((a) => a.id)) } : {}),
      preset,
      fps,
      product: p.product,
      label,
      ...(outputPath !== undefined ? { outputPath } : { outputDir: this.exportsDir, name }),
    };
    return this.view(this.queue.enqueue(request));
  }

  list(): ExportJobView[] {
    return this.queue
      .list()
      .map((j) => this.view(j))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(jobId: string): ExportJobView {
    const job = this.queue.get(jobId);
    if (!job)
      throw new StationError('export_job_not_found', `There is no export job ${jobId}; it may have been pruned.`);
    return this.view(job);
  }

  cancel(jobId: string): { cancelled: boolean } {
    this.get(jobId);
    return { cancelled: this.queue.cancel(jobId) };
  }

  retry(jobId: string): ExportJobView {
    return this.view(this.queue.resume(jobId));
  }

  /** Queue a keogram and a startrails image of one camera's night. */
  nightProducts(agentRef: string, night: string, overwrite = false): ExportJobView[] {
    return this.nights.make(agentRef, night, overwrite);
  }

  getSettings(): ExportSettingsView {
    return this.settings.view(this.archive.status());
  }

  /** The full settings, secret included (for the archive; never sent to a UI). */
  rawSettings(): ExportSettings {
    return this.settings.get();
  }

  /**
   * The station Settings (src-main/settings) set the archive target; it wins
   * over this service's own archive fields. null hands it back to them.
   */
  useArchiveSettings(target: ArchiveTarget | null): void {
    this.archive.useTarget(target);
  }

  // Async so that a refused patch is a rejection, as callers expect; the database write itself is synchronous.
  // eslint-disable-next-line @typescript-eslint/require-await
  async setSettings(input: z.input<typeof ExportSettingsPatch>): Promise<ExportSettingsView> {
    if (this.settings.update(input).s3Changed) this.archive.dropClient();
    return this.getSettings();
  }

  /**
   * A capture was imported (sync): its original goes to the archive when
   * asked, and a night capture (re)arms its night's quiet timer.
   */
  noteImported(c: StoredCapture): void {
    try {
      const target = this.archive.target();
      if (!this.closed && target.archiveOriginals && target.s3) {
        void this.archive.enqueue(this.frames.mediaFile(c.imagePath), `${target.s3.prefix}${c.imagePath}`);
      }
      if (!this.closed) this.nights.noteImported(c);
    } catch (err) {
      // Never let exports disturb an import.
      this.o.log.warn(
        { err: errorMessage(err), captureId: c.captureId },
        'exports: could not note an imported capture',
      );
    }
  }

  /** Nights waiting for their quiet period (for tests and the UI). */
  pendingNights(): string[] {
    return this.nights.pending();
  }

  /** Run the quiet timers now (tests; and a manual "make now"). */
  flushNights(): void {
    this.nights.flush();
  }

  /** Uploads run one at a time, in order; failures are logged and shown in the settings view. */
  enqueueUpload(localPath: string, key: string): Promise<void> {
    return this.archive.enqueue(localPath, key);
  }

  /** Wait until every queued upload has finished (tests). */
  async archiveIdle(): Promise<void> {
    await this.archive.idle();
  }

  // ------------------------------------------------------------------ internals

  /** Let exports write into a folder the operator picked in a native dialog (desktop app only). */
  allowOutputFolder(dir: string): void {
    this.pickedFolders.add(resolve(dir));
  }

  /** Outputs stay inside the exports folder (or a picked one), whatever path a request names. */
  private checkOutputPath(path: string): string {
    const full = resolve(path);
    if ([this.exportsDir, ...this.pickedFolders].some((root) => isInside(root, full))) return full;
    throw new StationError(
      'output_outside_exports',
      `Exports are written inside ${this.exportsDir}${this.pickedFolders.size > 0 ? ' or a folder picked in the app' : ''}; ${full} is outside it. Give a name, or a path inside that folder.`,
    );
  }

  /**
   * Overwrite replaces a file only when an earlier export wrote it (a finished job's output): a file the
   * operator or another program put in the exports folder is left alone. Image-sequence folders are
   * checked by the output guard (only numbered frames).
   */
  private async checkReplaceable(out: string): Promise<void> {
    let regular: boolean;
    try {
      regular = (await lstat(out)).isFile();
    } catch {
      return;
    }
    if (!regular) return;
    const ours = this.queue
      .list()
      .some((j) => j.status === 'done' && j.result !== null && resolve(j.result.outputPath) === out);
    if (!ours) {
      throw new StationError(
        'output_not_replaceable',
        `${out} exists and was not written by a Skystation export, so it is left alone; choose another name.`,
      );
    }
  }

  /** The queue's runner: timelapse through runExport, night products through sharp. */
  private async render(req: ParsedExportRequest, options: RunExportOptions): Promise<ExportResult> {
    // Checked again at run time: a job queued before (or retried) goes through the same rule.
    const out = this.checkOutputPath(resolveOutputPath(req));
    if (req.overwrite) await this.checkReplaceable(out);
    if (req.product === 'timelapse') return (this.o.runTimelapse ?? runExport)(req, options);
    if ((await checkExistingOutput(out, req.overwrite)) === 'frames') {
      throw new StationError('output_exists', `${out} is an image-sequence folder; choose another name.`);
    }
    const started = Date.now();
    const onProgress = (done: number, total: number): void => {
      const fraction = done / total;
      const elapsed = (Date.now() - started) / 1000;
      options.onProgress?.({
        fraction,
        etaSeconds: fraction > 0.01 ? (elapsed * (1 - fraction)) / fraction : null,
        fps: elapsed > 0 ? done / elapsed : 0,
        stage: 'encoding',
      });
    };
    const frames = req.frames.map((f) => ({ path: f.path, capturedAt: f.capturedAt }));
    const r =
      req.product === 'keogram'
        ? await makeKeogram(frames, out, { signal: options.signal, onProgress })
        : await makeStartrails(frames, out, { signal: options.signal, onProgress });
    return { outputPath: r.outputPath, frames: r.frames, durationSeconds: 0, width: r.width, height: r.height };
  }

  private emitProgress(job: ExportJob, p: ExportProgress, force: boolean): void {
    const now = Date.now();
    const last = this.lastProgress.get(job.id) ?? 0;
    if (!force && now - last < 250 && p.fraction < 1) return;
    this.lastProgress.set(job.id, now);
    const progress = toProgressView(p);
    this.o.emit({ event: 'export.progress', data: { job: { ...this.view(job), progress }, progress } });
  }

  view(job: ExportJob): ExportJobView {
    const r = job.request;
    let mediaPath: string | null = null;
    if (job.result) {
      const rel = relative(resolve(this.o.mediaDir), resolve(job.result.outputPath));
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) mediaPath = rel.split(sep).join('/');
    }
    return {
      id: job.id,
      status: job.status,
      product: r.product,
      label: r.label ?? basename(resolveOutputPath(r)),
      preset: r.preset,
      fps: r.fps,
      // Output frames (a bracketed set is one), not the captures selected.
      frames: job.result?.frames ?? outputFrameCount(r.frames),
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      progress: job.progress ? toProgressView(job.progress) : null,
      result: job.result && { ...job.result, mediaPath },
      warnings: job.result?.warnings ?? [],
      error: job.error,
      retryable: job.status === 'failed' || job.status === 'cancelled' || job.status === 'interrupted',
    };
  }
}

function toProgressView(p: ExportProgress): ExportProgressView {
  return {
    percent: Math.round(p.fraction * 1000) / 10,
    fps: Math.round(p.fps * 10) / 10,
    etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds),
    stage: p.stage,
  };
}

/** Sanity check used by a spec: the preset list in the API matches the renderer's. */
export const PRESET_KEYS = Object.keys(PRESETS);
