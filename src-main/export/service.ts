/**
 * ExportService: the brain's exports.* methods over the ExportQueue.
 *
 * - Turns a gallery selection (cameras, time range, schedules, profile, test
 *   id / variant) into frames ordered by capture time and queues a job.
 * - Maps queue events to station events export.progress / export.finished /
 *   export.failed (progress throttled to a few per second per job).
 * - Night products: keogram and startrails on request, and automatically once a
 *   camera's night captures stop arriving (after a night's sync), when the
 *   autoNightProducts setting is on (default).
 * - Settings in the station database (station_settings, key "exports.settings", zod-validated;
 *   stations before issue #13 kept <dataDir>/exports/settings.json, imported once at start).
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { S3Archive } from '../archive/s3.js';
import { ArchiveUploadsRepo } from '../db/archive-uploads-repo.js';
import type { StoredCapture } from '../db/captures-repo.js';
import type { Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import {
  ExportCreateParams,
  ExportSettingsPatch,
  type ExportEvent,
  type ExportJobView,
  type ExportProgressView,
  type ExportSettingsView,
} from './api-types.js';
import { shutterSeconds } from './imaging.js';
import { outputFrameCount, planProcessing, type DarkSource } from './processing.js';
import { runExport, type ExportProgress, type ExportResult, type RunExportOptions } from './export.js';
import { makeKeogram, makeStartrails } from './night.js';
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

/** What the service needs from the gallery (CapturesRepo satisfies it). */
export interface GalleryReader {
  page(query: {
    agentId?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    schedule?: string | undefined;
    profile?: string | undefined;
    testId?: string | undefined;
    frameKind?: 'light' | 'dark' | undefined;
    cursor?: string | undefined;
    limit: number;
  }): { items: StoredCapture[]; nextCursor: string | null };
}

/** Most dark frames per camera considered by `darks: 'auto'` (the newest). */
const MAX_DARKS_PER_CAMERA = 2000;

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

const SettingsFile = z.strictObject({
  version: z.literal(1),
  autoNightProducts: z.boolean(),
  nightQuietMinutes: z.number().int().min(1).max(1440),
  archiveExports: z.boolean(),
  archiveOriginals: z.boolean(),
  s3: z
    .strictObject({
      endpoint: z.string().nullable(),
      region: z.string(),
      bucket: z.string(),
      prefix: z.string(),
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
      forcePathStyle: z.boolean(),
    })
    .nullable(),
});
export type ExportSettings = z.infer<typeof SettingsFile>;
/** The settings document (and exports/settings.json of stations before issue #13). */
export { SettingsFile as ExportSettingsFile };
/** The settings document's key in station_settings. */
export const EXPORT_SETTINGS_KEY = 'exports.settings';
/** Where and what the S3 archive uploads. */
export type ArchiveTarget = Pick<ExportSettings, 'archiveExports' | 'archiveOriginals' | 's3'>;

const DEFAULT_SETTINGS: ExportSettings = {
  version: 1,
  autoNightProducts: true,
  nightQuietMinutes: 10,
  archiveExports: false,
  archiveOriginals: false,
  s3: null,
};

/** Schedules whose captures count as night frames for keograms and startrails. */
const NIGHT_SCHEDULE = /night|astro|star|milky|aurora|meteor|dark/i;

export function isNightCapture(c: { schedule: string | null; lux: number | null }): boolean {
  if (c.schedule !== null && NIGHT_SCHEDULE.test(c.schedule)) return true;
  return c.lux !== null && c.lux < 1;
}

/** The evening's date (station local time) of a night capture: noon-to-noon nights. */
export function nightOf(capturedAt: string): string {
  const d = new Date(Date.parse(capturedAt) - 12 * 3_600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** [noon of the night's date, noon the next day) in station local time, as ISO instants. */
export function nightWindow(night: string): { from: string; to: string } {
  const [y, m, d] = night.split('-').map(Number) as [number, number, number];
  const from = new Date(y, m - 1, d, 12, 0, 0, 0);
  const to = new Date(y, m - 1, d + 1, 12, 0, 0, 0);
  return { from: from.toISOString(), to: new Date(to.getTime() - 1).toISOString() };
}

function safeFileName(s: string): string {
  // No leading or trailing dots: never ".", "..", or a hidden name.
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'camera';
}

function shortTime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

interface SelectedFrame {
  path: string;
  capturedAt: string;
  temperatureC: number | null;
  night: boolean;
  agentId: string;
  bracket?: { group: string; index: number; count: number; ev: number };
  exposureSeconds?: number;
  gain?: number;
}

const PRESET_LABEL: Record<string, string> = {
  'h264-1080p': '1080p H.264',
  'h265-4k': '4K H.265',
  'h264-720p-web': '720p web',
  'image-sequence': 'image sequence',
};

export class ExportService {
  readonly queue: ExportQueue;
  private settings: ExportSettings = { ...DEFAULT_SETTINGS };
  private readonly docs: OrchestrationRepo;
  private readonly exportsDir: string;
  /** Folders the operator picked in a native dialog (desktop app): exports may be written there too. */
  private readonly pickedFolders = new Set<string>();
  private readonly lastProgress = new Map<string, number>();
  private readonly nightTimers = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;
  private archiver: S3Archive | null = null;
  private archiveOverride: ArchiveTarget | null = null;
  private archiveChain: Promise<void> = Promise.resolve();
  private readonly archiveAbort = new AbortController();
  private readonly archiveStatus = { queued: 0, lastUploaded: null as string | null, lastError: null as string | null };

  constructor(private readonly o: ExportServiceOptions) {
    this.docs = new OrchestrationRepo(o.db);
    this.exportsDir = join(o.mediaDir, 'exports');
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
        // In the upload chain, so that archiveIdle() also waits for the export's files to be listed and queued.
        const out = job.result?.outputPath;
        if (this.archiveTarget().archiveExports && out !== undefined)
          this.archiveChain = this.archiveChain.then(() => this.archiveExport(out));
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
    await this.loadSettings();
    await this.queue.start();
    await this.resumeArchive();
  }

  /** Stop timers; a running export is stopped and kept as interrupted (resumable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.nightTimers.values()) clearTimeout(t);
    this.nightTimers.clear();
    // A running upload stops after its current request and continues at the next start.
    this.archiveAbort.abort();
    await this.queue.stop();
    await this.archiveChain;
    this.archiver?.destroy();
    for (const u of this.unsubscribe) u();
  }

  // ------------------------------------------------------------------ methods

  create(input: z.input<typeof ExportCreateParams>): ExportJobView {
    const p = ExportCreateParams.parse(input);
    const agents = this.resolveAgents(p.selection.agentIds);
    const frames = this.select({ ...p.selection, agentIds: agents.map((a) => a.id) });
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
      ...(darks === 'auto' ? { darkFrames: this.darksOf(agents.map((a) => a.id)) } : {}),
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
    const [agent] = this.resolveAgents([agentRef]);
    const { from, to } = nightWindow(night);
    const nightFrames = this.select({ agentIds: [agent!.id], from, to }).filter((f) => f.night);
    // One image per bracketed set: the one at the metered exposure.
    const frames = planProcessing(nightFrames, { hdr: 'middle', darks: 'off' }).units.map((u) => u.sources[0]!.frame);
    if (frames.length === 0) {
      throw new StationError(
        'no_frames',
        `${agent!.name} has no night images for the night of ${night}; night images come from night/astro schedules or very dark captures.`,
      );
    }
    const dir = join(this.exportsDir, 'night', safeFileName(agent!.name));
    return (['keogram', 'startrails'] as const).map((product) =>
      this.view(
        this.queue.enqueue({
          frames: frames.map((f) => ({ path: f.path, capturedAt: f.capturedAt, temperatureC: f.temperatureC ?? null })),
          preset: 'image-sequence',
          product,
          label: `${agent!.name}, night of ${night}, ${product}`,
          outputDir: dir,
          name: `${night}-${product}`,
          overwrite,
        }),
      ),
    );
  }

  getSettings(): ExportSettingsView {
    const s = this.settings;
    return {
      autoNightProducts: s.autoNightProducts,
      nightQuietMinutes: s.nightQuietMinutes,
      archiveExports: s.archiveExports,
      archiveOriginals: s.archiveOriginals,
      s3: s.s3 && {
        endpoint: s.s3.endpoint,
        region: s.s3.region,
        bucket: s.s3.bucket,
        prefix: s.s3.prefix,
        accessKeyId: s.s3.accessKeyId,
        secretAccessKeySet: s.s3.secretAccessKey !== '',
        forcePathStyle: s.s3.forcePathStyle,
      },
      archive: { ...this.archiveStatus },
    };
  }

  /** The full settings, secret included (for the archive; never sent to a UI). */
  rawSettings(): ExportSettings {
    return this.settings;
  }

  /**
   * The station Settings (src-main/settings) set the archive target; it wins
   * over this service's own archive fields. null hands it back to them.
   */
  useArchiveSettings(target: ArchiveTarget | null): void {
    if (JSON.stringify(target?.s3 ?? null) !== JSON.stringify(this.archiveTarget().s3)) {
      this.archiver?.destroy();
      this.archiver = null;
    }
    this.archiveOverride = target;
  }

  private archiveTarget(): ArchiveTarget {
    return this.archiveOverride ?? this.settings;
  }

  // Async so that a refused patch is a rejection, as callers expect; the database write itself is synchronous.
  // eslint-disable-next-line @typescript-eslint/require-await
  async setSettings(input: z.input<typeof ExportSettingsPatch>): Promise<ExportSettingsView> {
    const patch = ExportSettingsPatch.parse(input);
    const next: ExportSettings = { ...this.settings };
    if (patch.autoNightProducts !== undefined) next.autoNightProducts = patch.autoNightProducts;
    if (patch.nightQuietMinutes !== undefined) next.nightQuietMinutes = patch.nightQuietMinutes;
    if (patch.archiveExports !== undefined) next.archiveExports = patch.archiveExports;
    if (patch.archiveOriginals !== undefined) next.archiveOriginals = patch.archiveOriginals;
    if (patch.s3 === null) next.s3 = null;
    else if (patch.s3 !== undefined) {
      const secret = patch.s3.secretAccessKey ?? this.settings.s3?.secretAccessKey;
      if (secret === undefined) {
        throw new StationError('s3_secret_missing', 'Enter the S3 secret access key (it is not stored yet).');
      }
      next.s3 = {
        endpoint: patch.s3.endpoint ?? null,
        region: patch.s3.region,
        bucket: patch.s3.bucket,
        prefix: patch.s3.prefix,
        accessKeyId: patch.s3.accessKeyId,
        secretAccessKey: secret,
        forcePathStyle: patch.s3.forcePathStyle,
      };
    }
    if ((next.archiveExports || next.archiveOriginals) && next.s3 === null) {
      throw new StationError('s3_not_configured', 'Set the S3 bucket and keys before turning the archive on.');
    }
    this.docs.setSetting(EXPORT_SETTINGS_KEY, next);
    if (JSON.stringify(next.s3) !== JSON.stringify(this.settings.s3)) {
      this.archiver?.destroy();
      this.archiver = null;
    }
    this.settings = next;
    return this.getSettings();
  }

  /**
   * A capture was imported (sync). A night capture (re)arms a quiet timer for
   * its camera's night; when no new night capture of that night arrives for
   * nightQuietMinutes, the keogram and startrails are made (again).
   */
  noteImported(c: StoredCapture): void {
    try {
      this.afterImport(c);
    } catch (err) {
      // Never let exports disturb an import.
      this.o.log.warn(
        { err: errorMessage(err), captureId: c.captureId },
        'exports: could not note an imported capture',
      );
    }
  }

  private afterImport(c: StoredCapture): void {
    const target = this.archiveTarget();
    if (!this.closed && target.archiveOriginals && target.s3) {
      void this.enqueueUpload(this.mediaFile(c.imagePath), `${target.s3.prefix}${c.imagePath}`);
    }
    if (this.closed || !this.settings.autoNightProducts || !isNightCapture(c)) return;
    const night = nightOf(c.capturedAt);
    const key = `${c.agentId}|${night}`;
    const old = this.nightTimers.get(key);
    if (old) clearTimeout(old);
    const timer = setTimeout(() => {
      this.nightTimers.delete(key);
      this.autoNight(c.agentId, night);
    }, this.settings.nightQuietMinutes * 60_000);
    timer.unref();
    this.nightTimers.set(key, timer);
  }

  /** Nights waiting for their quiet period (for tests and the UI). */
  pendingNights(): string[] {
    return [...this.nightTimers.keys()];
  }

  /** Run the quiet timers now (tests; and a manual "make now"). */
  flushNights(): void {
    for (const [key, t] of [...this.nightTimers]) {
      clearTimeout(t);
      this.nightTimers.delete(key);
      const [agentId, night] = key.split('|') as [string, string];
      this.autoNight(agentId, night);
    }
  }

  private autoNight(agentId: string, night: string): void {
    if (this.closed) return;
    try {
      const { from, to } = nightWindow(night);
      const n = this.select({ agentIds: [agentId], from, to }).filter((f) => f.night).length;
      if (n < (this.o.minNightFrames ?? 10)) {
        this.o.log.info({ agentId, night, frames: n }, 'night products: too few night frames; skipped');
        return;
      }
      const jobs = this.nightProducts(agentId, night, true);
      this.o.log.info({ agentId, night, jobs: jobs.map((j) => j.id) }, 'night products queued after sync');
    } catch (err) {
      this.o.log.warn({ agentId, night, err: errorMessage(err) }, 'night products could not be queued');
    }
  }

  // ------------------------------------------------------------------ S3 archive

  private archiveClient(): S3Archive | null {
    const s3 = this.archiveTarget().s3;
    if (!s3) return null;
    this.archiver ??= new S3Archive({
      config: s3,
      state: new ArchiveUploadsRepo(this.o.db),
      log: this.o.log,
    });
    return this.archiver;
  }

  /** Queue the upload of a finished export (a folder: each file in it). */
  private async archiveExport(outputPath: string): Promise<void> {
    const prefix = `${this.archiveTarget().s3?.prefix ?? ''}exports/`;
    try {
      if ((await stat(outputPath)).isDirectory()) {
        for (const name of (await readdir(outputPath)).sort())
          void this.enqueueUpload(join(outputPath, name), `${prefix}${basename(outputPath)}/${name}`);
      } else {
        const rel = relative(this.exportsDir, outputPath);
        const key = rel.startsWith('..') || isAbsolute(rel) ? basename(outputPath) : rel.split(sep).join('/');
        void this.enqueueUpload(outputPath, `${prefix}${key}`);
      }
    } catch (err) {
      this.archiveStatus.lastError = errorMessage(err);
    }
  }

  /** Uploads run one at a time, in order; failures are logged and shown in the settings view. */
  enqueueUpload(localPath: string, key: string): Promise<void> {
    this.archiveStatus.queued++;
    const run = async (): Promise<void> => {
      try {
        const archive = this.archiveClient();
        if (!archive || this.archiveAbort.signal.aborted) return;
        const r = await archive.uploadFile(localPath, key, { signal: this.archiveAbort.signal });
        this.archiveStatus.lastUploaded = key;
        this.archiveStatus.lastError = null;
        this.o.log.info({ key, bytes: r.bytes, resumed: r.resumed }, 'archive: uploaded');
      } catch (err) {
        if (this.archiveAbort.signal.aborted) return;
        this.archiveStatus.lastError = errorMessage(err);
        this.o.log.warn({ key, err: errorMessage(err) }, 'archive: upload failed');
      } finally {
        this.archiveStatus.queued--;
      }
    };
    this.archiveChain = this.archiveChain.then(run);
    return this.archiveChain;
  }

  /** Wait until every queued upload has finished (tests). */
  async archiveIdle(): Promise<void> {
    // An upload queued while waiting extends the chain: wait until it stops growing.
    for (let chain = this.archiveChain; ; chain = this.archiveChain) {
      await chain;
      if (chain === this.archiveChain) return;
    }
  }

  /** Continue uploads interrupted by a stop or a crash. */
  private async resumeArchive(): Promise<void> {
    const archive = this.archiveClient();
    if (!archive) return;
    try {
      for (const u of await archive.pending()) void this.enqueueUpload(u.localPath, u.key);
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'archive: could not read the pending uploads');
    }
  }

  // ------------------------------------------------------------------ internals

  private resolveAgents(refs: readonly string[]): { id: string; name: string }[] {
    const known = this.o.agents();
    return refs.map((ref) => {
      const exact = known.find((a) => a.id === ref);
      if (exact) return exact;
      const hits = known.filter((a) => a.id.startsWith(ref) || a.name === ref);
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) {
        throw new StationError('agent_ambiguous', `"${ref}" matches several cameras; use more of the camera id.`);
      }
      // A camera removed from the fleet keeps its images: accept its id as it is.
      if (this.o.gallery.page({ agentId: ref, limit: 1 }).items.length > 0) return { id: ref, name: ref };
      throw new StationError(
        'agent_unknown',
        `No camera matches "${ref}". Known: ${known.map((a) => `${a.name} (${a.id.slice(0, 8)})`).join(', ') || 'none'}.`,
      );
    });
  }

  /** Every matching capture, oldest first (stable by camera order for equal times). */
  private select(sel: {
    agentIds: readonly string[];
    from: string;
    to: string;
    schedules?: readonly string[] | undefined;
    profile?: string | undefined;
    testId?: string | undefined;
    variant?: string | undefined;
  }): SelectedFrame[] {
    const from = Date.parse(sel.from);
    const to = Date.parse(sel.to);
    // Stored times are ISO strings in UTC with or without milliseconds: query a
    // second wider and compare exactly here.
    const qFrom = new Date(from - 1000).toISOString();
    const qTo = new Date(to + 1000).toISOString();
    const max = this.o.maxFrames ?? 100_000;
    const out: (SelectedFrame & { t: number })[] = [];
    const schedules = sel.schedules ?? [undefined];
    for (const agentId of sel.agentIds) {
      for (const schedule of schedules) {
        let cursor: string | undefined;
        do {
          const page = this.o.gallery.page({
            agentId,
            from: qFrom,
            to: qTo,
            schedule,
            profile: sel.profile,
            testId: sel.testId,
            cursor,
            limit: 500,
          });
          for (const c of page.items) {
            const t = Date.parse(c.capturedAt);
            if (t < from || t > to) continue;
            if (sel.variant !== undefined && c.variant !== sel.variant) continue;
            // Dark frames are calibration data, never exported as pictures.
            if (c.frameKind === 'dark') continue;
            const exposureSeconds = shutterSeconds(c.shutterSpeed);
            out.push({
              path: this.mediaFile(c.imagePath),
              capturedAt: c.capturedAt,
              temperatureC: c.temperatureC,
              night: isNightCapture(c),
              agentId: c.agentId,
              ...(c.bracketGroup != null && c.bracketIndex != null && c.bracketCount != null && c.bracketEv != null
                ? { bracket: { group: c.bracketGroup, index: c.bracketIndex, count: c.bracketCount, ev: c.bracketEv } }
                : {}),
              ...(exposureSeconds !== null ? { exposureSeconds } : {}),
              ...(c.iso !== null && c.iso > 0 ? { gain: c.iso } : {}),
              t,
            });
            if (out.length > max) {
              throw new StationError(
                'too_many_frames',
                `This selection has more than ${max} images; export a shorter time range.`,
              );
            }
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
      }
    }
    out.sort((a, b) => a.t - b.t);
    return out.map(({ t: _t, ...f }) => f);
  }

  /** The dark frames of these cameras (newest first, at most MAX_DARKS_PER_CAMERA each) with their exposure. */
  private darksOf(agentIds: readonly string[]): DarkSource[] {
    const out: DarkSource[] = [];
    for (const agentId of agentIds) {
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = this.o.gallery.page({ agentId, frameKind: 'dark', cursor, limit: 500 });
        for (const c of page.items) {
          if (c.frameKind !== 'dark') continue;
          const exposureSeconds = shutterSeconds(c.shutterSpeed);
          if (exposureSeconds === null || c.iso === null || !(c.iso > 0)) continue;
          out.push({
            path: this.mediaFile(c.imagePath),
            agentId,
            exposureSeconds,
            gain: c.iso,
            temperatureC: c.temperatureC,
          });
          n++;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && n < MAX_DARKS_PER_CAMERA);
    }
    return out;
  }

  private mediaFile(rel: string): string {
    const full = resolve(this.o.mediaDir, rel);
    const base = resolve(this.o.mediaDir);
    if (!full.startsWith(base + sep)) {
      throw new StationError('bad_media_path', `A gallery entry points outside the media folder (${rel}).`);
    }
    return full;
  }

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

  private loadSettings(): Promise<void> {
    const stored = this.docs.getSetting(EXPORT_SETTINGS_KEY);
    if (stored === undefined) return Promise.resolve();
    const parsed = SettingsFile.safeParse(stored);
    if (parsed.success) this.settings = parsed.data;
    else this.o.log.error('export settings in the database are unreadable; the defaults are in use until saved again');
    return Promise.resolve();
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
