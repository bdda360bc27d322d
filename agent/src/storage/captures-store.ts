import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TEMP_PREFIX, writeFileAtomic } from '../util/fs-atomic.js';
import { NotFoundError } from '../util/errors.js';
import { DiskFullError, isDiskFull } from './disk-reserve.js';

/** Room kept free beyond a capture's own bytes, for the journal row and the folder entries it adds. */
export const JOURNAL_ROOM_BYTES = 128 * 1024;

/** Makes any label safe as one path segment: letters, digits, _ . - only; never "." or "..". */
export function safeSegment(label: string | null | undefined, fallback: string): string {
  const cleaned = (label ?? '')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 64);
  return cleaned === '' ? fallback : cleaned;
}

/** 2025-10-01T18:04:05.123Z → 20251001T180405123Z */
export function compactUtc(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

export const CAPTURE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,160}$/;

export interface StoredFile {
  /** Path relative to the captures folder, with forward slashes. */
  fileName: string;
  absolutePath: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Lays out and writes capture files:
 * captures/YYYY-MM-DD/<schedule|manual>/<profile|default>/<UTC>_<camera>_<seq>.jpg
 */
export class CapturesStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir, 'captures');
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  captureId(at: Date, cameraName: string, seq: number): string {
    return `${compactUtc(at)}_${safeSegment(cameraName, 'camera')}_${seq}`;
  }

  relativePathFor(at: Date, schedule: string | null, profile: string | null, captureId: string): string {
    const day = at.toISOString().slice(0, 10);
    return [day, safeSegment(schedule, 'manual'), safeSegment(profile, 'default'), `${captureId}.jpg`].join('/');
  }

  /**
   * Refuses (507 disk_full) before anything is written when the disk cannot hold `bytes` of capture files
   * plus the journal's room for recording them: an image is never stored that its journal row cannot follow.
   */
  async ensureRoom(bytes: number): Promise<void> {
    let free: number;
    try {
      const fs = await statfs(this.root);
      free = fs.bavail * fs.bsize;
    } catch {
      return; // cannot tell: the write itself will say
    }
    if (free < bytes + JOURNAL_ROOM_BYTES)
      throw new DiskFullError(
        `The agent's disk has ${Math.floor(free / 1024)} KiB free, too little for this ${Math.ceil(bytes / 1024)} KiB capture; nothing was stored. Free space on the agent or let the station sync so retention can delete copied captures.`,
      );
  }

  /** Writes atomically (temp, fsync, rename, fsync dir) and hashes the exact bytes written; ENOSPC is a 507. */
  async write(fileName: string, bytes: Buffer): Promise<StoredFile> {
    const absolutePath = this.resolveInside(fileName);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    try {
      await mkdir(join(absolutePath, '..'), { recursive: true });
      await writeFileAtomic(absolutePath, bytes);
    } catch (err) {
      if (isDiskFull(err))
        throw new DiskFullError(
          'The agent’s disk filled up while the capture was being written; nothing was stored. Free space on the agent.',
          err,
        );
      throw err;
    }
    return { fileName, absolutePath, sha256, sizeBytes: bytes.length };
  }

  /** Removes stored files (a capture whose journal row could not be written); never throws. */
  async discard(fileNames: readonly string[]): Promise<void> {
    for (const name of fileNames) {
      try {
        await rm(this.resolveInside(name), { force: true });
      } catch {
        /* reconciliation at the next start adds what is left */
      }
    }
  }

  /** Resolves a journal file name to a path, refusing anything that would leave the captures folder. */
  resolveInside(fileName: string): string {
    const absolute = resolve(this.root, fileName);
    const rel = relative(this.root, absolute);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !absolute.startsWith(this.root + sep)) {
      throw new NotFoundError('That capture file is not in the captures folder.', 'capture_not_found');
    }
    return absolute;
  }

  async exists(fileName: string): Promise<boolean> {
    try {
      return (await stat(this.resolveInside(fileName))).isFile();
    } catch {
      return false;
    }
  }

  /** The paths of the entries below the captures folder that `keep` accepts; a folder it cannot read is passed over. */
  async listBelow(keep: (entry: Dirent) => boolean): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (keep(entry)) found.push(path);
      }
    };
    await walk(this.root);
    return found;
  }

  /** Removes temp files a crash left behind; returns their paths. */
  async removeTempFiles(): Promise<string[]> {
    const removed = await this.listBelow((entry) => entry.name.startsWith(TEMP_PREFIX));
    for (const path of removed) await rm(path, { force: true });
    return removed;
  }
}
