import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AgentClient } from '../agents/agent-client.js';
import { SHA256_HEADER, type CaptureRecord } from '../agents/protocol.js';
import type { CaptureRow, CapturesRepo } from '../db/captures-repo.js';
import type { DerivativesQueue } from '../media/derivatives.js';
import { makeThumbnail, type QualityFigures } from '../media/thumbnails.js';
import { fsyncDir } from '../util/atomic.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** One file of a capture on the agent: the JPEG, or an original beside it (`extra` is its suffix). */
interface RemoteFile {
  capture_id: string;
  sha256: string;
  size_bytes: number;
  extra?: string;
}

export interface SyncResult {
  imported: number;
  acknowledged: number;
  failed: number;
}

const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Bytes gathered from the socket before one write to disk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Captures imported at once per agent: enough to overlap the network with hashing and thumbnails. */
export const SYNC_CONCURRENCY = 3;

/** A page of at least this many captures is a backlog: thumbnails wait until it is safely copied. */
const BULK_SYNC_CAPTURES = 20;

/**
 * Pulls unsynced captures from one agent: download (resumable with Range),
 * verify sha256, move into place, thumbnail, index, then acknowledge. The agent
 * deletes nothing before that acknowledgement, so an interruption at any point
 * loses nothing; a repeat imports nothing twice (UNIQUE agent_id, capture_id).
 */
export class SyncEngine {
  private readonly running = new Map<string, Promise<SyncResult>>();
  private readonly again = new Set<string>();

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
    },
  ) {}

  /** Sync an agent; concurrent calls share the run in flight, and one more run follows if asked meanwhile. */
  sync(agentId: string, client: AgentClient): Promise<SyncResult> {
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

  private async syncOnce(agentId: string, client: AgentClient): Promise<SyncResult> {
    const result: SyncResult = { imported: 0, acknowledged: 0, failed: 0 };
    const concurrency = Math.max(1, this.deps.concurrency ?? SYNC_CONCURRENCY);
    let after = 0;
    for (;;) {
      const page = await client.listCaptures(after, 100, true);
      const toAck: { capture_id: string; sha256: string }[] = [];
      // A few captures at once: one downloads while another is hashed, thumbnailed and indexed.
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < page.items.length) {
          const record = page.items[next++]!;
          try {
            const isNew = await this.importOne(agentId, client, record);
            if (isNew) result.imported++;
            toAck.push({ capture_id: record.capture_id, sha256: record.sha256 });
          } catch (err) {
            result.failed++;
            this.deps.log.warn({ err, agentId, captureId: record.capture_id }, 'capture import failed; will retry');
          }
        }
      };
      // A backlog (a night offline) is copied first and thumbnailed after; single captures are not held back.
      const bulk = page.items.length >= BULK_SYNC_CAPTURES ? this.deps.derivatives : undefined;
      bulk?.hold();
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, page.items.length) }, worker));
        if (toAck.length > 0) {
          const ack = await client.ack(toAck);
          result.acknowledged += ack.acknowledged;
        }
      } finally {
        bulk?.release();
      }
      if (page.next_after === null) break;
      after = page.next_after;
    }
    return result;
  }

  private async importOne(agentId: string, client: AgentClient, record: CaptureRecord): Promise<boolean> {
    const { captures, mediaDir } = this.deps;
    const existing = captures.get(agentId, record.capture_id);
    if (existing) {
      if (existing.sha256 !== record.sha256) {
        throw new StationError(
          'sync_conflict',
          `Capture ${record.capture_id} from agent ${agentId} changed after it was imported; keeping the first copy.`,
        );
      }
      return false;
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
    await mkdir(dirname(imageAbs), { recursive: true });
    await this.download(client, record, imageAbs);
    // Originals beside the JPEG (an astro camera's FITS) are copied and verified before anything is acknowledged.
    for (const extra of record.extra_files ?? []) {
      if (!/^\.[a-z0-9]{1,8}$/.test(extra.suffix)) {
        throw new StationError('sync_bad_name', `The agent sent an unsafe file suffix (${extra.suffix}).`);
      }
      await this.download(
        client,
        { capture_id: record.capture_id, sha256: extra.sha256, size_bytes: extra.size_bytes, extra: extra.suffix },
        imageAbs.replace(/\.jpg$/, extra.suffix),
      );
    }
    const { derivatives } = this.deps;
    let quality: Partial<QualityFigures> = {};
    if (!derivatives) {
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
      ...quality,
    };
    const added = captures.insert(row);
    if (added && derivatives) {
      derivatives.enqueue({
        agentId,
        captureId: record.capture_id,
        imagePath: row.imagePath,
        thumbPath: row.thumbPath,
      });
    } else if (added) {
      this.deps.onImported(agentId, record.capture_id);
    }
    return added;
  }

  /** Download into "<final>.part", resuming what is there, verify, fsync, rename. */
  private async download(client: AgentClient, record: RemoteFile, finalPath: string): Promise<void> {
    const part = `${finalPath}.part`;
    const hash = createHash('sha256');
    let have: number;
    try {
      have = (await stat(part)).size;
    } catch {
      have = 0;
    }
    if (have > record.size_bytes) {
      await rm(part, { force: true });
      have = 0;
    }
    if (have > 0) {
      for await (const chunk of createReadStream(part)) hash.update(chunk as Buffer);
    }
    if (have < record.size_bytes) {
      const res = await client.download(record.capture_id, have, undefined, record.extra);
      const header = res.header(SHA256_HEADER);
      if (header !== null && header !== record.sha256) {
        throw new StationError(
          'sync_sha_mismatch',
          `The agent's checksum for ${record.capture_id} does not match its journal.`,
        );
      }
      if (have > 0 && res.status !== 206) {
        // The agent ignored the Range request: start over.
        res.discard();
        await rm(part, { force: true });
        hash.destroy();
        return this.download(client, record, finalPath);
      }
      const handle = await open(part, have > 0 ? 'a' : 'w');
      try {
        // Socket chunks are ~64 KiB; writing them in batches of a few MiB saves a thread-pool trip per chunk.
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const bufs = batch;
          const n = batched;
          batch = [];
          batched = 0;
          await handle.writev(bufs);
          this.deps.onBytes?.(n);
        };
        try {
          for await (const chunk of res.body) {
            hash.update(chunk);
            batch.push(chunk);
            batched += chunk.byteLength;
            if (batched >= WRITE_BATCH_BYTES) await flush();
          }
        } finally {
          // Keep every byte that arrived, even when the transfer broke off: the next attempt resumes after it.
          await flush();
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const digest = hash.digest('hex');
    if (digest !== record.sha256) {
      await rm(part, { force: true });
      throw new StationError(
        'sync_sha_mismatch',
        `The copy of ${record.capture_id} did not verify (sha256 differs); it will be downloaded again.`,
      );
    }
    await rename(part, finalPath);
    await fsyncDir(dirname(finalPath));
  }
}
