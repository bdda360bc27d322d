/**
 * ExportQueue: export jobs run one at a time by default, with events, and a
 * job list persisted atomically to <dataDir>/exports/jobs.json. After a
 * restart a job that was running comes back as 'interrupted' (never silently
 * lost) and can be re-queued with resume(); queued jobs are queued again.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { StationError, errorMessage } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import { runExport, type ExportProgress, type ExportResult, type RunExportOptions } from './export.js';
import { ExportRequestSchema, parseExportRequest, type ParsedExportRequest } from './request.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface ExportJob {
  id: string;
  status: JobStatus;
  request: ParsedExportRequest;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: ExportProgress | null;
  result: ExportResult | null;
  error: { code: string; message: string } | null;
}

export interface ExportQueueEvents {
  queued: [job: ExportJob];
  started: [job: ExportJob];
  progress: [job: ExportJob, progress: ExportProgress];
  done: [job: ExportJob];
  failed: [job: ExportJob];
  cancelled: [job: ExportJob];
  interrupted: [job: ExportJob];
}

export type ExportRunner = (request: ParsedExportRequest, options: RunExportOptions) => Promise<ExportResult>;

export interface ExportQueueOptions {
  dataDir: string;
  concurrency?: number;
  ffmpegPath?: string | undefined;
  log?: Logger;
  /** The export itself; runExport unless a test passes a fake. */
  runner?: ExportRunner;
  /** Finished jobs kept in the list (oldest dropped first). */
  keepFinished?: number;
}

const JobFileSchema = z.object({
  version: z.literal(1),
  jobs: z.array(
    z.object({
      id: z.string(),
      status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']),
      request: z.unknown(),
      createdAt: z.string(),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      result: z
        .object({
          outputPath: z.string(),
          frames: z.number(),
          durationSeconds: z.number(),
          width: z.number(),
          height: z.number(),
          warnings: z.array(z.string()).optional(),
        })
        .nullable(),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
    }),
  ),
});

type AnyListener = (...args: unknown[]) => void;

const FINISHED: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'cancelled', 'interrupted']);

function snapshot(job: ExportJob): ExportJob {
  return { ...job, progress: job.progress ? { ...job.progress } : null };
}

export class ExportQueue {
  readonly file: string;
  private readonly jobs = new Map<string, ExportJob>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Map<keyof ExportQueueEvents, Set<AnyListener>>();
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly runner: ExportRunner;
  private readonly keepFinished: number;
  private saving: Promise<void> = Promise.resolve();
  private started = false;
  private stopping = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: ExportQueueOptions) {
    this.file = join(options.dataDir, 'exports', 'jobs.json');
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.log = options.log ?? createLogger(null);
    this.runner = options.runner ?? runExport;
    this.keepFinished = options.keepFinished ?? 200;
  }

  /** Subscribe; returns an unsubscribe function. */
  on<K extends keyof ExportQueueEvents>(event: K, listener: (...args: ExportQueueEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as unknown as AnyListener;
    set.add(l);
    return () => set.delete(l);
  }

  private emit<K extends keyof ExportQueueEvents>(event: K, ...args: ExportQueueEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        l(...args);
      } catch (err) {
        this.log.warn({ err: errorMessage(err), event }, 'export queue: a listener threw');
      }
    }
  }

  /** Load persisted jobs: running → interrupted, queued → queued again. Then start running. */
  async start(): Promise<void> {
    if (this.started) return;
    await mkdir(join(this.options.dataDir, 'exports'), { recursive: true });
    let text: string | null = null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const parsed = JobFileSchema.safeParse(
        ((): unknown => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            return null;
          }
        })(),
      );
      if (!parsed.success) {
        const aside = `${this.file}.corrupt-${Date.now()}`;
        await rename(this.file, aside);
        this.log.error(
          { file: aside },
          'export queue: jobs.json was unreadable; kept it aside and started with no jobs',
        );
      } else {
        for (const raw of parsed.data.jobs) {
          const req = ExportRequestSchema.safeParse(raw.request);
          if (!req.success) {
            this.log.warn({ id: raw.id }, 'export queue: dropped a persisted job whose request no longer validates');
            continue;
          }
          const job: ExportJob = { ...raw, request: req.data, progress: null };
          if (job.status === 'running') {
            job.status = 'interrupted';
            job.finishedAt = new Date().toISOString();
            job.error = {
              code: 'export_interrupted',
              message: 'The station stopped while this export was running. Resume it to start again.',
            };
          }
          this.jobs.set(job.id, job);
        }
      }
    }
    this.started = true;
    this.stopping = false;
    for (const job of this.jobs.values())
      if (job.status === 'interrupted' && job.error?.code === 'export_interrupted' && job.startedAt !== null)
        this.emit('interrupted', snapshot(job));
    await this.persist();
    this.pump();
  }

  /** Validate and queue a request (throws `invalid_export_request` naming the field). */
  enqueue(request: unknown): ExportJob {
    if (!this.started) throw new StationError('queue_not_started', 'The export queue is not started yet.');
    const parsed = parseExportRequest(request);
    const job: ExportJob = {
      id: randomUUID(),
      status: 'queued',
      request: parsed,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.emit('queued', snapshot(job));
    void this.persist();
    this.pump();
    return snapshot(job);
  }

  /** Re-queue an interrupted, failed or cancelled job. */
  resume(id: string): ExportJob {
    const job = this.jobs.get(id);
    if (!job) throw new StationError('export_job_not_found', `No export job ${id}.`);
    if (!FINISHED.has(job.status) || job.status === 'done') {
      throw new StationError(
        'export_job_not_resumable',
        `Export job ${id} is ${job.status}; only interrupted, failed or cancelled jobs can be resumed.`,
      );
    }
    Object.assign(job, {
      status: 'queued',
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      error: null,
    });
    this.emit('queued', snapshot(job));
    void this.persist();
    this.pump();
    return snapshot(job);
  }

  /** Cancel a queued or running job; false when it had already finished or is unknown. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.status === 'queued') {
      this.finish(job, 'cancelled', null, { code: 'export_cancelled', message: 'The export was cancelled.' });
      return true;
    }
    if (job.status === 'running') {
      this.controllers.get(id)?.abort();
      return true;
    }
    return false;
  }

  list(): ExportJob[] {
    return [...this.jobs.values()].map(snapshot);
  }

  get(id: string): ExportJob | undefined {
    const job = this.jobs.get(id);
    return job ? snapshot(job) : undefined;
  }

  /** Wait until pending writes of jobs.json are on disk. */
  async flush(): Promise<void> {
    await this.saving;
  }

  /** Wait until nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    await this.flush();
  }

  /** Stop: running jobs are cancelled and kept as 'interrupted' (resumable); queued jobs stay queued for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of this.controllers.values()) c.abort();
    await Promise.allSettled([...this.running]);
    this.started = false;
    await this.flush();
  }

  private pump(): void {
    if (!this.started || this.stopping) return;
    for (const job of this.jobs.values()) {
      if (this.running.size >= this.concurrency) break;
      if (job.status !== 'queued') continue;
      const p = this.run(job).finally(() => {
        this.running.delete(p);
        this.pump();
      });
      this.running.add(p);
    }
  }

  private async run(job: ExportJob): Promise<void> {
    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    job.status = 'running';
    job.startedAt = new Date().toISOString();
    this.emit('started', snapshot(job));
    await this.persist();
    try {
      const result = await this.runner(job.request, {
        ffmpegPath: this.options.ffmpegPath,
        signal: controller.signal,
        log: this.log,
        onProgress: (p) => {
          job.progress = p;
          this.emit('progress', snapshot(job), { ...p });
        },
      });
      this.finish(job, 'done', result, null);
    } catch (err) {
      const code = err instanceof StationError ? err.code : 'export_failed';
      if (this.stopping && controller.signal.aborted) {
        this.finish(job, 'interrupted', null, {
          code: 'export_interrupted',
          message: 'The station stopped during this export. Resume it to start again.',
        });
      } else if (controller.signal.aborted || code === 'export_cancelled') {
        this.finish(job, 'cancelled', null, { code: 'export_cancelled', message: 'The export was cancelled.' });
      } else {
        this.log.warn({ id: job.id, code, err: errorMessage(err) }, 'export failed');
        this.finish(job, 'failed', null, { code, message: errorMessage(err) });
      }
    } finally {
      this.controllers.delete(job.id);
    }
  }

  private finish(
    job: ExportJob,
    status: 'done' | 'failed' | 'cancelled' | 'interrupted',
    result: ExportResult | null,
    error: ExportJob['error'],
  ): void {
    Object.assign(job, { status, result, error, finishedAt: new Date().toISOString() });
    this.prune();
    this.emit(status, snapshot(job));
    void this.persist();
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => FINISHED.has(j.status) && j.status !== 'interrupted');
    for (const j of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(j.id);
  }

  /** Serialised atomic writes of the whole list (progress is not persisted). */
  private persist(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, jobs: [...this.jobs.values()].map(({ progress: _p, ...rest }) => rest) })}\n`;
    this.saving = this.saving
      .then(() => writeFileAtomic(this.file, text))
      .catch((err: unknown) =>
        this.log.error({ err: errorMessage(err), file: this.file }, 'export queue: could not save jobs.json'),
      );
    return this.saving;
  }
}
