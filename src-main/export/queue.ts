/**
 * ExportQueue: export jobs run one at a time by default, with events, and a
 * job list kept in the station database (export_jobs; stations before issue
 * #13 kept <dataDir>/exports/jobs.json, imported once at start). After a
 * restart a job that was running comes back as 'interrupted' (never silently
 * lost) and can be re-queued with resume(); queued jobs are queued again.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { ExportJobsRepo } from '../db/export-jobs-repo.js';
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
  /** The station database: the job list lives there. */
  db: Db;
  concurrency?: number;
  ffmpegPath?: string | undefined;
  log?: Logger;
  /** The export itself; runExport unless a test passes a fake. */
  runner?: ExportRunner;
  /** Finished jobs kept in the list (oldest dropped first). */
  keepFinished?: number;
}

/** A stored job (progress is not stored; the request is checked again with ExportRequestSchema). */
export const StoredJobSchema = z.object({
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
});
/** exports/jobs.json of stations before issue #13. */
export const JobFileSchema = z.object({ version: z.literal(1), jobs: z.array(StoredJobSchema) });

type AnyListener = (...args: unknown[]) => void;

const FINISHED: ReadonlySet<JobStatus> = new Set(['done', 'failed', 'cancelled', 'interrupted']);

function snapshot(job: ExportJob): ExportJob {
  return { ...job, progress: job.progress ? { ...job.progress } : null };
}

export class ExportQueue {
  private readonly repo: ExportJobsRepo;
  private readonly jobs = new Map<string, ExportJob>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Map<keyof ExportQueueEvents, Set<AnyListener>>();
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly runner: ExportRunner;
  private readonly keepFinished: number;
  private started = false;
  private stopping = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: ExportQueueOptions) {
    this.repo = new ExportJobsRepo(options.db);
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
    for (const row of this.repo.all()) {
      const raw = StoredJobSchema.safeParse(row.json);
      const req = raw.success ? ExportRequestSchema.safeParse(raw.data.request) : null;
      if (!raw.success || !req?.success) {
        this.log.warn({ id: row.id }, 'export queue: dropped a stored job that no longer validates');
        continue;
      }
      const job: ExportJob = { ...raw.data, request: req.data, progress: null };
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

  /** Wait until the job list is stored (it is written at each change, synchronously; kept for callers). */
  flush(): Promise<void> {
    return Promise.resolve();
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

  /** Stores the whole list in one transaction (progress is not stored). A failure is logged; the queue runs on. */
  private persist(): Promise<void> {
    try {
      this.repo.replaceAll(
        [...this.jobs.values()].map(({ progress: _p, ...rest }) => ({
          id: rest.id,
          status: rest.status,
          createdAt: rest.createdAt,
          json: rest,
        })),
      );
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'export queue: could not store the job list');
    }
    return Promise.resolve();
  }
}
