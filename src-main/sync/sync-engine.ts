import { mkdir, open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentClient } from '../agents/agent-client.js';
import { SHA256_HEADER, type CaptureListResponse, type CaptureRecord } from '../agents/protocol.js';
import type { CaptureRow, CapturesRepo } from '../db/captures-repo.js';
import type { DerivativesQueue } from '../media/derivatives.js';
import { makeThumbnail, type QualityFigures } from '../media/thumbnails.js';
import { fsyncDir } from '../util/atomic.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { FileHasher } from './file-hasher.js';

/** One file of a capture on the agent: the JPEG, or an original beside it (`extra` is its suffix). */
interface RemoteFile {
  capture_id: string;
  sha256: string;
  size_bytes: number;
  extra?: string;
}

/** A capture copied into place (verified, fsynced, renamed), waiting for its folder's fsync and its gallery row. */
interface Copied {
  row: CaptureRow;
  /** The folder the copy is renamed in. */
  dir: string;
  /** Settles once every file of the capture is fsynced and under its final name (rejects when that failed). */
  ready: Promise<void>;
  /** Its thumbnail was made inline (a capture copied first): none is queued. */
  inline: boolean;
}

/** A capture known from the agent's capture reply, to be copied before any backlog (see SyncOptions.first). */
export interface CaptureRef {
  capture_id: string;
  sha256: string;
  /** Its place in the agent's journal; from an agent that does not say, read from the id's "_<seq>" ending. */
  seq?: number | undefined;
}

export interface SyncOptions {
  /**
   * Captures to copy, index and acknowledge before anything else (the frame the operator just took): sync then
   * resolves once they are in, and the rest of the agent's backlog follows in the background.
   */
  first?: readonly CaptureRef[] | undefined;
}

/** The journal position a capture id ends with (`<time>_<camera>_<seq>`), or null. */
export function seqOfCaptureId(captureId: string): number | null {
  const m = /_(\d{1,15})$/.exec(captureId);
  const seq = m ? Number(m[1]) : 0;
  return seq > 0 ? seq : null;
}

export interface SyncResult {
  imported: number;
  acknowledged: number;
  failed: number;
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** True for a full disk: the filesystem's ENOSPC/EDQUOT or SQLite's SQLITE_FULL (the gallery index). */
export function isDiskFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === 'station_disk_full') return true;
  }
  return false;
}

/** Syncing resumes after a full disk once this much is free: 5 % of the filesystem, at most 256 MiB. */
function resumeFreeBytes(totalBytes: number): number {
  return Math.min(256 * 1024 * 1024, Math.floor(totalBytes * 0.05));
}

/** Why syncing is paused (the station's disk is full), since when. */
export interface SyncPause {
  message: string;
  since: string;
}

/** Bytes gathered from the socket before one write to disk. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** ...or fewer, once the first of them (or the chunk itself) has waited this long: a slow link. */
const SLOW_BATCH_MS = 50;

/** Captures downloaded at once per agent: enough to overlap request round trips with transfers (3, 4 and 5 measured alike). */
export const SYNC_CONCURRENCY = 3;

/** Copies verified and fsynced in the background at once (per engine, across agents) before a download waits. */
const MAX_FLUSHING = 8;

/**
 * Captures in the first page of the agent's list: listed in about a third of the time of a full page, so the first
 * transfer starts sooner. A full first page (more to come) is a backlog: thumbnails wait until all of it is copied.
 */
const FIRST_PAGE = 20;
const BULK_SYNC_CAPTURES = FIRST_PAGE;
/** Captures in each later page of the agent's list. */
const PAGE = 100;
/** Captures indexed and acknowledged together (one folder fsync, one index transaction, one request) during a sync. */
const COMMIT_BATCH = 20;
/**
 * ...or as soon as the oldest safe copy has waited this long: a sync cut short (the station killed, the link
 * lost) keeps what it verified instead of copying it again next time.
 */
export const COMMIT_MAX_DELAY_MS = 250;

/**
 * Pulls unsynced captures from one agent: download (resumable with Range),
 * verify sha256, fsync, move into place; then, for each group of copies that
 * are safe, fsync their folders, index, acknowledge (thumbnails follow in the
 * background, or inline without a DerivativesQueue). The agent
 * deletes nothing before that acknowledgement, so an interruption at any point
 * loses nothing; a repeat imports nothing twice (UNIQUE agent_id, capture_id).
 */
export class SyncEngine {
  private readonly running = new Map<string, Promise<SyncResult>>();
  private readonly again = new Set<string>();
  private readonly hasher: FileHasher;
  /** Copies being fsynced and renamed in the background (see download). */
  private readonly flushing = new Set<Promise<void>>();
  /**
   * Captures being imported, per "<agent>/<capture>", each settling once its importer has indexed and acknowledged
   * it (or given up): a run that finds one taken skips it, so no file is downloaded twice at once.
   */
  private readonly claimed = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      captures: CapturesRepo;
      mediaDir: string;
      log: Logger;
      /** Captures imported at once per agent (default SYNC_CONCURRENCY). */
      concurrency?: number;
      /**
       * Where thumbnails and quality figures are made after import (and onImported
       * is called when they are ready). Without one, they are made inline.
       */
      derivatives?: DerivativesQueue;
      onBytes?: (n: number) => void;
      onImported: (agentId: string, captureId: string) => void;
      /** Hashes the copies off the main thread (default: a worker of this engine's own). */
      hasher?: FileHasher;
      /** Longest wait of a safe copy for its commit (default COMMIT_MAX_DELAY_MS). */
      commitMaxDelayMs?: number;
      /** Syncing paused: the station's disk is full (raise an alert); called once per episode. */
      onPaused?: (pause: SyncPause) => void;
      /** Syncing resumed: there is room again (resolve the alert). */
      onResumed?: () => void;
    },
  ) {
    this.hasher = deps.hasher ?? new FileHasher();
  }

  /** Set while the station's disk is full: no sync runs until there is room again. */
  private pause: SyncPause | null = null;

  /** Why syncing is paused, or null while it runs. */
  paused(): SyncPause | null {
    return this.pause;
  }

  /** Pauses syncing for a full disk (once per episode): the captures stay safe on the agents meanwhile. */
  private pauseFor(err: unknown): void {
    if (this.pause) return;
    this.pause = {
      message: `Syncing is paused: the station's disk is full (${err instanceof Error ? err.message : String(err)}). The captures stay on the cameras; free space on this computer and syncing resumes by itself.`,
      since: new Date().toISOString(),
    };
    this.deps.log.error({ event: 'sync.paused', err }, this.pause.message);
    this.deps.onPaused?.(this.pause);
  }

  /** While paused: resumes when the disk has room again, else throws station_disk_full without asking the agent. */
  private async checkRoom(): Promise<void> {
    if (!this.pause) return;
    let room: boolean;
    try {
      const fs = await statfs(this.deps.mediaDir);
      room = fs.bavail * fs.bsize >= resumeFreeBytes(fs.blocks * fs.bsize);
    } catch {
      room = false;
    }
    if (!room) throw new StationError('station_disk_full', this.pause.message);
    this.deps.log.info({ event: 'sync.resumed', paused_since: this.pause.since }, 'syncing resumed: the disk has room');
    this.pause = null;
    this.deps.onResumed?.();
  }

  /**
   * Takes a capture for this caller to import; returns its release (call it once the capture is indexed and
   * acknowledged, or failed), or null when another run has it.
   */
  private claim(agentId: string, captureId: string): (() => void) | null {
    const key = `${agentId}/${captureId}`;
    if (this.claimed.has(key)) return null;
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = () => {
        if (this.claimed.get(key) === done) this.claimed.delete(key);
        resolve();
      };
    });
    this.claimed.set(key, done);
    return release;
  }

  /**
   * Sync an agent; concurrent calls share the run in flight, and one more run follows if asked meanwhile. With
   * `first`, those captures are copied and committed at once (beside a run in flight) and the call resolves with
   * them; the rest follows in the background.
   */
  sync(agentId: string, client: AgentClient, opts: SyncOptions = {}): Promise<SyncResult> {
    if (opts.first && opts.first.length > 0) {
      const first = this.syncFirst(agentId, client, opts.first);
      // The backlog after it (or, with a run in flight, one more run once that ends).
      void first
        .catch(() => undefined)
        .then(() => this.sync(agentId, client))
        .catch((err: unknown) => this.deps.log.warn({ err, agentId }, 'sync after the first captures failed'));
      return first;
    }
    const inFlight = this.running.get(agentId);
    if (inFlight) {
      this.again.add(agentId);
      return inFlight;
    }
    const run = (async (): Promise<SyncResult> => {
      const total: SyncResult = { imported: 0, acknowledged: 0, failed: 0 };
      do {
        this.again.delete(agentId);
        const r = await this.syncOnce(agentId, client);
        total.imported += r.imported;
        total.acknowledged += r.acknowledged;
        total.failed += r.failed;
      } while (this.again.has(agentId));
      return total;
    })().finally(() => this.running.delete(agentId));
    this.running.set(agentId, run);
    return run;
  }

  /** Copies, indexes and acknowledges the given captures now, whatever the backlog before them. */
  private async syncFirst(agentId: string, client: AgentClient, refs: readonly CaptureRef[]): Promise<SyncResult> {
    await this.checkRoom();
    const { log } = this.deps;
    const result: SyncResult = { imported: 0, acknowledged: 0, failed: 0 };
    const releases: (() => void)[] = [];
    const copies: Copied[] = [];
    const acks: { capture_id: string; sha256: string }[] = [];
    try {
      for (const ref of refs) {
        const seq = ref.seq ?? seqOfCaptureId(ref.capture_id);
        // Its record, from its place in the journal: one short request however long the backlog is.
        const listed = seq === null ? null : await client.listCaptures(seq - 1, 1, false);
        const record = listed?.items.find((r) => r.capture_id === ref.capture_id && r.sha256 === ref.sha256);
        if (!record) {
          log.info(
            { agentId, captureId: ref.capture_id },
            'a capture to copy first is not at its place; copied in order',
          );
          continue;
        }
        const release = this.claim(agentId, record.capture_id);
        if (!release) {
          // A run in flight is copying it already: it commits soon (COMMIT_MAX_DELAY_MS).
          await this.claimed.get(`${agentId}/${record.capture_id}`);
          continue;
        }
        releases.push(release);
        try {
          const c = await this.importOne(agentId, client, record, true);
          if (c) copies.push(c);
          else acks.push({ capture_id: record.capture_id, sha256: record.sha256 });
        } catch (err) {
          result.failed++;
          if (isDiskFull(err)) this.pauseFor(err);
          else log.warn({ err, agentId, captureId: record.capture_id }, 'capture import failed; will retry');
        }
      }
      for (const c of await this.commit(agentId, copies, result)) {
        acks.push({ capture_id: c.row.captureId, sha256: c.row.sha256 });
      }
      if (acks.length > 0) result.acknowledged += (await client.ack(acks)).acknowledged;
    } finally {
      for (const release of releases) release();
    }
    if (this.pause) throw new StationError('station_disk_full', this.pause.message);
    return result;
  }

  private async syncOnce(agentId: string, client: AgentClient): Promise<SyncResult> {
    await this.checkRoom();
    const result: SyncResult = { imported: 0, acknowledged: 0, failed: 0 };
    const concurrency = Math.max(1, this.deps.concurrency ?? SYNC_CONCURRENCY);
    // A backlog (a night offline) is copied first and thumbnailed after, to its last page; single captures are not held back.
    let held: DerivativesQueue | undefined;

    // The list: the first page is short, so the first transfer starts soon; the next page is asked for once half
    // of the current one is under way. Downloads run from one page into the next without a pause.
    let listing: Promise<CaptureListResponse> | null = client.listCaptures(0, FIRST_PAGE, true);
    const listed: { error: Error | null } = { error: null };
    let page: CaptureListResponse | null = null;
    let next = 0;
    /** Where the next page starts; null when there is none, or it has been asked for already. */
    let cursor: number | null = null;
    const listNext = (): void => {
      if (listing || cursor === null) return;
      listing = client.listCaptures(cursor, PAGE, true);
      listing.catch(() => undefined); // awaited in take()
      cursor = null;
    };

    // Commits in groups: the captures whose copies are safe (verified, fsynced, renamed) are indexed and
    // acknowledged together once COMMIT_BATCH of them are waiting, and whatever is left once the last copy is
    // safe, so a sync ends with a small commit rather than a whole page's.
    const safe: Copied[] = [];
    const toAck: { capture_id: string; sha256: string }[] = [];
    /** The claims of this run's captures (see claim), released once each is committed or failed. */
    const releases = new Map<string, () => void>();
    const releaseAll = (ids: Iterable<string>): void => {
      for (const id of ids) {
        releases.get(id)?.();
        releases.delete(id);
      }
    };
    let copying = 0;
    let downloadsDone = false;
    let commitFailed = false;
    let wake: (() => void) | null = null;
    const maxDelay = this.deps.commitMaxDelayMs ?? COMMIT_MAX_DELAY_MS;
    /** When the oldest copy now waiting to be committed became safe (0: none waits). */
    let waitingSince = 0;
    const signal = (): void => {
      if (waitingSince === 0) waitingSince = performance.now();
      wake?.();
      wake = null;
    };
    const committer = async (): Promise<void> => {
      for (;;) {
        const allIn = downloadsDone && copying === 0;
        const waiting = safe.length + toAck.length;
        const overdue = waiting > 0 && performance.now() - waitingSince >= maxDelay;
        if (waiting >= COMMIT_BATCH || (allIn && waiting > 0) || overdue) {
          waitingSince = 0;
          const batch = safe.splice(0);
          const acks = toAck.splice(0);
          const ids = [...batch.map((c) => c.row.captureId), ...acks.map((a) => a.capture_id)];
          try {
            for (const c of await this.commit(agentId, batch, result)) {
              acks.push({ capture_id: c.row.captureId, sha256: c.row.sha256 });
            }
            if (acks.length > 0) result.acknowledged += (await client.ack(acks)).acknowledged;
          } finally {
            releaseAll(ids);
          }
          continue;
        }
        if (allIn) return;
        if (waiting === 0) waitingSince = 0;
        await new Promise<void>((resolve) => {
          if (waiting === 0) {
            wake = resolve;
            return;
          }
          const timer = setTimeout(resolve, Math.max(1, maxDelay - (performance.now() - waitingSince)));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    };
    const committing = committer();
    // Awaited below; a failed commit stops the downloads (what is not acknowledged is copied again next time).
    committing.catch(() => {
      commitFailed = true;
    });

    /** The next capture to import, from the current page or the next one listed; null when there is none. */
    const take = async (): Promise<CaptureRecord | null> => {
      for (;;) {
        if (commitFailed || this.pause) return null;
        if (page && next < page.items.length) {
          if (next * 2 >= page.items.length) listNext();
          return page.items[next++]!;
        }
        listNext();
        const pending = listing;
        if (!pending) return null;
        let got: CaptureListResponse;
        try {
          got = await pending;
        } catch (err) {
          if (listing === pending) {
            listed.error = err instanceof Error ? err : new Error(String(err));
            listing = null;
          }
          return null;
        }
        if (listing !== pending) continue; // another worker turned this page already
        listing = null;
        page = got;
        next = 0;
        cursor = got.next_after;
        if (!held && this.deps.derivatives && (got.next_after !== null || got.items.length >= BULK_SYNC_CAPTURES)) {
          held = this.deps.derivatives;
          held.hold();
        }
      }
    };

    const worker = async (): Promise<void> => {
      for (let record = await take(); record; record = await take()) {
        const release = this.claim(agentId, record.capture_id);
        // Copied first by another caller (capture now), which indexes and acknowledges it.
        if (!release) continue;
        releases.set(record.capture_id, release);
        try {
          const c = await this.importOne(agentId, client, record, !this.deps.derivatives);
          if (c) {
            copying++;
            const settle = (): void => {
              copying--;
              safe.push(c);
              signal();
            };
            c.ready.then(settle, settle);
          } else {
            toAck.push({ capture_id: record.capture_id, sha256: record.sha256 });
            signal();
          }
        } catch (err) {
          releaseAll([record.capture_id]);
          result.failed++;
          if (isDiskFull(err)) this.pauseFor(err);
          else this.deps.log.warn({ err, agentId, captureId: record.capture_id }, 'capture import failed; will retry');
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
      downloadsDone = true;
      signal();
      await committing;
    } finally {
      held?.release();
      releaseAll([...releases.keys()]);
    }
    if (this.pause) throw new StationError('station_disk_full', this.pause.message);
    if (listed.error) throw listed.error;
    return result;
  }

  /**
   * Downloads one capture (and the originals beside it) and returns its gallery
   * row for commit(), with a promise that settles once every file is verified,
   * fsynced and under its final name; null when it is already indexed. With `inline`, the thumbnail is made
   * here (once the copy is safe) rather than queued.
   */
  private async importOne(
    agentId: string,
    client: AgentClient,
    record: CaptureRecord,
    inline: boolean,
  ): Promise<Copied | null> {
    const { captures, mediaDir } = this.deps;
    const existing = captures.get(agentId, record.capture_id);
    if (existing) {
      if (existing.sha256 !== record.sha256) {
        throw new StationError(
          'sync_conflict',
          `Capture ${record.capture_id} from agent ${agentId} changed after it was imported; keeping the first copy.`,
        );
      }
      return null;
    }
    // The agent's file_name is its relative path (day/schedule/profile/name); keep only the name.
    const fileName = basename(record.file_name);
    if (
      !SAFE_NAME.test(fileName) ||
      !SAFE_NAME.test(record.capture_id) ||
      !/^\d{4}-\d{2}-\d{2}/.test(record.captured_at)
    ) {
      throw new StationError('sync_bad_name', `The agent sent an unsafe file name (${record.file_name}).`);
    }
    const day = record.captured_at.slice(0, 10);
    const imageRel = join('originals', agentId, day, fileName);
    const thumbRel = join('thumbs', agentId, `${record.capture_id}.jpg`);
    const imageAbs = join(mediaDir, imageRel);
    const durable = [(await this.download(client, record, imageAbs)).durable];
    // Originals beside the JPEG (an astro camera's FITS) are copied and verified before anything is acknowledged.
    for (const extra of record.extra_files ?? []) {
      if (!/^\.[a-z0-9]{1,8}$/.test(extra.suffix)) {
        throw new StationError('sync_bad_name', `The agent sent an unsafe file suffix (${extra.suffix}).`);
      }
      const extraCopy = this.download(
        client,
        { capture_id: record.capture_id, sha256: extra.sha256, size_bytes: extra.size_bytes, extra: extra.suffix },
        imageAbs.replace(/\.jpg$/, extra.suffix),
      );
      durable.push((await extraCopy).durable);
    }
    const ready = Promise.all(durable).then(() => undefined);
    ready.catch(() => undefined); // awaited in commit()
    let quality: Partial<QualityFigures> = {};
    if (inline) {
      await ready;
      await mkdir(dirname(join(mediaDir, thumbRel)), { recursive: true });
      quality = await makeThumbnail(imageAbs, join(mediaDir, thumbRel));
    }

    const s = record.settings_used;
    const row: CaptureRow = {
      agentId,
      captureId: record.capture_id,
      seq: record.seq,
      capturedAt: record.captured_at,
      schedule: record.schedule,
      profile: record.profile,
      profileVersion: record.profile_version,
      testId: record.test_id,
      variant: record.variant,
      iso: s.iso,
      shutterSpeed: s.shutter_speed,
      settingsJson: JSON.stringify(s),
      lux: record.lux,
      temperatureC: record.temperature_c,
      width: record.width,
      height: record.height,
      sizeBytes: record.size_bytes,
      sha256: record.sha256,
      imagePath: imageRel.split('\\').join('/'),
      thumbPath: thumbRel.split('\\').join('/'),
      importedAt: new Date().toISOString(),
      bracketGroup: record.bracket?.group ?? null,
      bracketIndex: record.bracket?.index ?? null,
      bracketCount: record.bracket?.count ?? null,
      bracketEv: record.bracket?.ev ?? null,
      frameKind: record.frame_kind ?? 'light',
      reconciled: record.reconciled === true,
      ...quality,
    };
    return { row, dir: dirname(imageAbs), ready, inline };
  }

  /**
   * Makes the renames of a page's copies durable (one fsync per folder rather
   * than per file), then indexes them; returns the captures now safe to acknowledge.
   */
  private async commit(agentId: string, copied: readonly Copied[], result: SyncResult): Promise<Copied[]> {
    const { captures, derivatives, log } = this.deps;
    const copiedOk: Copied[] = [];
    for (const c of copied) {
      try {
        await c.ready;
        copiedOk.push(c);
      } catch (err) {
        result.failed++;
        if (isDiskFull(err)) this.pauseFor(err);
        else log.warn({ err, agentId, captureId: c.row.captureId }, 'capture import failed; will retry');
      }
    }
    const synced = new Map<string, Promise<boolean>>();
    for (const c of copiedOk) {
      if (synced.has(c.dir)) continue;
      synced.set(
        c.dir,
        fsyncDir(c.dir).then(
          () => true,
          (err: unknown) => {
            log.warn({ err, agentId, dir: c.dir }, 'folder sync failed; its captures will be imported again');
            return false;
          },
        ),
      );
    }
    const durable: Copied[] = [];
    for (const c of copiedOk) {
      if (await synced.get(c.dir)) durable.push(c);
      else result.failed++;
    }
    // One transaction for the page: one disk sync of the index (synchronous=FULL) instead of one per capture.
    let addedFlags: boolean[];
    try {
      addedFlags = captures.insertBatch(durable.map((c) => c.row));
    } catch (err) {
      result.failed += durable.length;
      if (isDiskFull(err)) this.pauseFor(err);
      else log.warn({ err, agentId, captures: durable.length }, 'indexing a page of captures failed; will retry');
      return [];
    }
    const committed: Copied[] = [];
    for (const [i, c] of durable.entries()) {
      committed.push(c);
      if (!addedFlags[i]) continue;
      result.imported++;
      const { captureId, imagePath, thumbPath } = c.row;
      if (derivatives && !c.inline) derivatives.enqueue({ agentId, captureId, imagePath, thumbPath });
      else this.deps.onImported(agentId, captureId);
    }
    return committed;
  }

  /**
   * Whether a copy of `record` is already under its final name and hashes right (one that does not verify is
   * removed, to be downloaded again).
   */
  private async adopt(finalPath: string, record: RemoteFile): Promise<boolean> {
    if ((await sizeOf(finalPath)) !== record.size_bytes) return false;
    if ((await this.hasher.hash(finalPath)) !== record.sha256) {
      await rm(finalPath, { force: true });
      return false;
    }
    this.deps.log.info({ captureId: record.capture_id, file: finalPath }, 'adopted a verified copy already in place');
    return true;
  }

  /**
   * Download into "<final>.part", resuming what is there. Returns once the
   * bytes are written; the sha256 check, the fsync and the rename to the final
   * name follow in the background (the next download need not wait for them)
   * and settle the returned `durable` promise, which rejects when the copy did
   * not verify. The caller awaits it and fsyncs the folder (commit) before
   * indexing or acknowledging anything.
   */
  private async download(
    client: AgentClient,
    record: RemoteFile,
    finalPath: string,
  ): Promise<{ durable: Promise<void> }> {
    const part = `${finalPath}.part`;
    // Nothing is asked for before it is known what is here already: a request dropped once its reply has started
    // costs every byte the link carried meanwhile (measured: a sync cut short and started again moved up to a whole
    // image per dropped request). What is checked first costs a stat and an open, nothing on the link.
    // A copy already under its final name (a sync cut short after the rename, before the index) is adopted once it
    // hashes right instead of being fetched again.
    if (await this.adopt(finalPath, record)) {
      await rm(part, { force: true });
      return { durable: Promise.resolve() };
    }
    let handle = await createPart(part);
    const created = handle !== null;
    let have = 0;
    let written = 0;
    try {
      if (!handle) {
        // A partial copy left by an interrupted run: resumed after its last byte (an empty one from byte 0).
        have = (await stat(part)).size;
        if (have > record.size_bytes) {
          await rm(part, { force: true });
          return await this.download(client, record, finalPath);
        }
      }
      if (have < record.size_bytes) {
        const res = await client.download(record.capture_id, have, undefined, record.extra);
        const header = res.header(SHA256_HEADER);
        if (header !== null && header !== record.sha256) {
          res.discard();
          throw new StationError(
            'sync_sha_mismatch',
            `The agent's checksum for ${record.capture_id} does not match its journal.`,
          );
        }
        if (have > 0 && res.status !== 206) {
          // The agent ignored the Range request: start over.
          res.discard();
          await rm(part, { force: true });
          return await this.download(client, record, finalPath);
        }
        handle ??= await open(part, have > 0 ? 'a' : 'w');
        const out = handle;
        // Plain HTTP hands on 1 MiB blocks (reused once written); HTTPS ~64 KiB chunks, batched to a MiB per thread-pool trip.
        let batch: Buffer[] = [];
        let batched = 0;
        // A batch that has waited this long is written however small (a slow link): bytes on disk survive a stop.
        let batchSince = 0;
        let lastChunkAt = Date.now();
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const bufs = batch;
          const n = batched;
          batch = [];
          batched = 0;
          // A short write is a full disk (ENOSPC comes only on the next call): what did reach the file is a
          // correct prefix, so the next attempt resumes after it.
          const { bytesWritten } = await out.writev(bufs);
          if (bytesWritten !== n) {
            // The prefix stays on disk (and so the partial copy is kept): removed, it would hand its space back,
            // the paused sync would see room and ask the camera for the same image again, and fail again.
            written += bytesWritten;
            if (bytesWritten > 0) this.deps.onBytes?.(bytesWritten);
            throw Object.assign(new Error(`short write (${bytesWritten} of ${n} bytes): no space left on device`), {
              code: 'ENOSPC',
            });
          }
          for (const b of bufs) res.recycle?.(b);
          written += n;
          this.deps.onBytes?.(n);
        };
        try {
          for await (const chunk of res.body) {
            const now = Date.now();
            const waited = now - lastChunkAt;
            lastChunkAt = now;
            if (batch.length === 0) batchSince = now;
            batch.push(chunk);
            batched += chunk.byteLength;
            if (batched >= WRITE_BATCH_BYTES || now - batchSince >= SLOW_BATCH_MS || waited >= SLOW_BATCH_MS)
              await flush();
          }
        } finally {
          // Keep every byte that arrived, even when the transfer broke off: the next attempt resumes after it.
          await flush();
        }
      }
    } catch (err) {
      await handle?.close();
      // Leave no empty partial copy behind when nothing arrived (the agent could not be reached).
      if (created && written === 0) await rm(part, { force: true });
      throw err;
    }
    // The copy (a resumed one too) is read back and hashed on a worker, fsynced, and only then renamed, all in
    // the background: the main thread goes on receiving. A few copies at most wait at once; past that, the
    // next download waits for the oldest.
    while (this.flushing.size >= MAX_FLUSHING) await Promise.race(this.flushing);
    const out = handle ?? (await open(part, 'r+'));
    const durable = (async (): Promise<void> => {
      const [hashed, synced] = await Promise.allSettled([this.hasher.hash(part), out.sync()]);
      await out.close();
      if (hashed.status === 'rejected') throw hashed.reason;
      if (synced.status === 'rejected') throw synced.reason;
      if (hashed.value !== record.sha256) {
        await rm(part, { force: true });
        throw new StationError(
          'sync_sha_mismatch',
          `The copy of ${record.capture_id} did not verify (sha256 differs); it will be downloaded again.`,
        );
      }
      await rename(part, finalPath);
    })();
    const settled = durable.then(
      () => undefined,
      () => undefined,
    );
    this.flushing.add(settled);
    void settled.then(() => this.flushing.delete(settled));
    return { durable };
  }
}

/** The size of a file, or null when there is none. */
async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Creates "<final>.part" (and its folder when missing); null when a partial copy is already there. */
async function createPart(part: string): Promise<FileHandle | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(part, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return null;
      if (code !== 'ENOENT' || attempt > 0) throw err;
    }
    await mkdir(dirname(part), { recursive: true });
  }
}
