/**
 * The S3 archive's upload queue: finished exports (each file of a folder)
 * and, when asked, every original as it is imported. Uploads run one at a
 * time in order; one interrupted by a stop or a crash continues at the next
 * start (their states are in the station database). The target comes from
 * the station Settings when they set one, else from the export settings.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { S3Archive } from '../archive/s3.js';
import { ArchiveUploadsRepo } from '../db/archive-uploads-repo.js';
import type { Db } from '../db/database.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { ExportSettings } from './export-settings.js';

/** Where and what the S3 archive uploads. */
export type ArchiveTarget = Pick<ExportSettings, 'archiveExports' | 'archiveOriginals' | 's3'>;

export interface ArchiveQueueDeps {
  db: Db;
  log: Logger;
  /** Export outputs inside it are keyed by their path under it. */
  exportsDir: string;
  /** The export settings' own archive fields (used when the station Settings set none). */
  ownTarget: () => ArchiveTarget;
}

export class ArchiveQueue {
  readonly name = 'archive';
  private archiver: S3Archive | null = null;
  private override: ArchiveTarget | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly state = { queued: 0, lastUploaded: null as string | null, lastError: null as string | null };

  constructor(private readonly deps: ArchiveQueueDeps) {}

  /** Continue uploads interrupted by a stop or a crash. */
  async start(): Promise<void> {
    const archive = this.client();
    if (!archive) return;
    try {
      for (const u of await archive.pending()) void this.enqueue(u.localPath, u.key);
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err) }, 'archive: could not read the pending uploads');
    }
  }

  /** A running upload stops after its current request and continues at the next start. */
  abortUploads(): void {
    this.abort.abort();
  }

  /** Waits for the chain to settle and lets go of the S3 client (after abortUploads). */
  async stop(): Promise<void> {
    await this.chain;
    this.archiver?.destroy();
  }

  status(): { queued: number; lastUploaded: string | null; lastError: string | null } {
    return { ...this.state };
  }

  target(): ArchiveTarget {
    return this.override ?? this.deps.ownTarget();
  }

  /**
   * The station Settings (src-main/settings) set the archive target; it wins
   * over the export settings' own archive fields. null hands it back to them.
   */
  useTarget(target: ArchiveTarget | null): void {
    if (JSON.stringify(target?.s3 ?? null) !== JSON.stringify(this.target().s3)) this.dropClient();
    this.override = target;
  }

  /** The S3 configuration changed: the next upload opens a client for the new bucket or keys. */
  dropClient(): void {
    this.archiver?.destroy();
    this.archiver = null;
  }

  private client(): S3Archive | null {
    const s3 = this.target().s3;
    if (!s3) return null;
    this.archiver ??= new S3Archive({
      config: s3,
      state: new ArchiveUploadsRepo(this.deps.db),
      log: this.deps.log,
    });
    return this.archiver;
  }

  /** A finished export: queued in the chain, so that idle() also waits for its files to be listed and queued. */
  exportFinished(outputPath: string): void {
    if (!this.target().archiveExports) return;
    this.chain = this.chain.then(() => this.archiveExport(outputPath));
  }

  /** Queue the upload of a finished export (a folder: each file in it). */
  private async archiveExport(outputPath: string): Promise<void> {
    const prefix = `${this.target().s3?.prefix ?? ''}exports/`;
    try {
      if ((await stat(outputPath)).isDirectory()) {
        for (const name of (await readdir(outputPath)).sort())
          void this.enqueue(join(outputPath, name), `${prefix}${basename(outputPath)}/${name}`);
      } else {
        const rel = relative(this.deps.exportsDir, outputPath);
        const key = rel.startsWith('..') || isAbsolute(rel) ? basename(outputPath) : rel.split(sep).join('/');
        void this.enqueue(outputPath, `${prefix}${key}`);
      }
    } catch (err) {
      this.state.lastError = errorMessage(err);
    }
  }

  /** Uploads run one at a time, in order; failures are logged and shown in the settings view. */
  enqueue(localPath: string, key: string): Promise<void> {
    this.state.queued++;
    const run = async (): Promise<void> => {
      try {
        const archive = this.client();
        if (!archive || this.abort.signal.aborted) return;
        const r = await archive.uploadFile(localPath, key, { signal: this.abort.signal });
        this.state.lastUploaded = key;
        this.state.lastError = null;
        this.deps.log.info({ key, bytes: r.bytes, resumed: r.resumed }, 'archive: uploaded');
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.state.lastError = errorMessage(err);
        this.deps.log.warn({ key, err: errorMessage(err) }, 'archive: upload failed');
      } finally {
        this.state.queued--;
      }
    };
    this.chain = this.chain.then(run);
    return this.chain;
  }

  /** Wait until every queued upload has finished (tests). */
  async idle(): Promise<void> {
    // An upload queued while waiting extends the chain: wait until it stops growing.
    for (let chain = this.chain; ; chain = this.chain) {
      await chain;
      if (chain === this.chain) return;
    }
  }
}
