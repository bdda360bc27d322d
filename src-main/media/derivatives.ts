import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CapturesRepo } from '../db/captures-repo.js';
import type { Logger } from '../util/log.js';
import { makeThumbnail } from './thumbnails.js';

export interface DerivativeJob {
  agentId: string;
  captureId: string;
  /** Relative to the media folder. */
  imagePath: string;
  thumbPath: string;
}

/**
 * Thumbnails and quality figures, made after a capture is safely stored,
 * indexed and acknowledged, so that decoding images never slows the transfer
 * from the agents. A capture counts as added (onReady) once its thumbnail
 * exists. Rows still without quality figures at start-up (the station stopped
 * with work queued) are picked up again by resumePending(): nothing is lost.
 */
export class DerivativesQueue {
  private readonly queue: DerivativeJob[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly jobWaiters = new Map<string, (() => void)[]>();
  private closed = false;
  private holds = 0;
  private readonly running = new Set<string>();

  constructor(
    private readonly deps: {
      captures: CapturesRepo;
      mediaDir: string;
      log: Logger;
      onReady: (agentId: string, captureId: string) => void;
      /** Images decoded at once (default 1: leave the other core to everything else). */
      concurrency?: number;
    },
  ) {}

  get pending(): number {
    return this.queue.length + this.active;
  }

  enqueue(job: DerivativeJob): void {
    if (this.closed) return;
    const key = `${job.agentId}\u0000${job.captureId}`;
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(job);
    this.pump();
  }

  /** Queue every indexed capture that has no thumbnail and quality figures yet. */
  resumePending(): number {
    const rows = this.deps.captures.pendingDerivatives(100_000);
    for (const r of rows) {
      this.enqueue({ agentId: r.agentId, captureId: r.captureId, imagePath: r.imagePath, thumbPath: r.thumbPath });
    }
    return rows.length;
  }

  /**
   * Pauses new work while a bulk transfer runs (the CPU goes to getting
   * originals safe first); release() resumes it. Holds nest.
   */
  hold(): void {
    this.holds++;
  }

  release(): void {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds === 0) this.pump();
  }

  /** Resolves once this capture's thumbnail is made (or failed); at once when none is queued. */
  whenDone(agentId: string, captureId: string): Promise<void> {
    const key = `${agentId}\u0000${captureId}`;
    if (!this.queued.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.jobWaiters.get(key) ?? [];
      list.push(resolve);
      this.jobWaiters.set(key, list);
    });
  }

  /** Stops taking work and waits for the images being decoded; what is still queued stays pending in the index. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const [key, waiters] of this.jobWaiters) {
      if (!this.running.has(key)) {
        for (const w of waiters) w();
        this.jobWaiters.delete(key);
      }
    }
    await this.idle();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    const limit = Math.max(1, this.deps.concurrency ?? 1);
    while (this.holds === 0 && this.active < limit && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      this.running.add(`${job.agentId}\u0000${job.captureId}`);
      void this.run(job).finally(() => {
        this.active--;
        const key = `${job.agentId}\u0000${job.captureId}`;
        this.queued.delete(key);
        this.running.delete(key);
        for (const w of this.jobWaiters.get(key) ?? []) w();
        this.jobWaiters.delete(key);
        this.pump();
        if (this.pending === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private async run(job: DerivativeJob): Promise<void> {
    const { captures, mediaDir, log } = this.deps;
    try {
      const thumbAbs = join(mediaDir, job.thumbPath);
      await mkdir(dirname(thumbAbs), { recursive: true });
      const quality = await makeThumbnail(join(mediaDir, job.imagePath), thumbAbs);
      captures.setQuality(job.agentId, job.captureId, quality);
    } catch (err) {
      // The original is safe and indexed; only its thumbnail is missing. Retried at the next start.
      log.warn({ err, agentId: job.agentId, captureId: job.captureId }, 'thumbnail failed');
      return;
    }
    this.deps.onReady(job.agentId, job.captureId);
  }
}
