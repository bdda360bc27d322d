/**
 * A file of preallocated space in the data folder, freed the moment the
 * journal cannot write (SQLITE_FULL): even on a disk another program filled to
 * the last block, the journal then has pages to record what happened (a
 * refused capture, a failed slot, a synced mark). The disk guard keeps captures
 * paused while the reserve is spent and makes it again once there is room.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../util/errors.js';

export const RESERVE_FILE = '.disk-reserve';
const MIN_RESERVE_BYTES = 256 * 1024;
const MAX_RESERVE_BYTES = 8 * 1024 * 1024;

/** The disk (or the journal on it) has no room: 507, and the sentence says what to do. */
export class DiskFullError extends AgentError {
  constructor(message: string, cause?: unknown) {
    super('disk_full', message, cause === undefined ? { status: 507 } : { status: 507, cause });
    this.name = 'DiskFullError';
  }
}

/** True for SQLite's "database or disk is full" and the filesystem's ENOSPC/EDQUOT. */
export function isDiskFull(err: unknown): boolean {
  if (err instanceof DiskFullError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

/** 1 % of the filesystem, at least 256 KiB and at most 8 MiB. */
export function reserveSizeFor(dir: string): number {
  try {
    const fs = statfsSync(dir);
    const onePercent = Math.floor((fs.blocks * fs.bsize) / 100);
    return Math.min(MAX_RESERVE_BYTES, Math.max(MIN_RESERVE_BYTES, onePercent));
  } catch {
    return MIN_RESERVE_BYTES;
  }
}

export class DiskReserve {
  readonly path: string;
  readonly bytes: number;
  private releasedAt: number | null = null;

  constructor(dataDir: string, bytes = reserveSizeFor(dataDir)) {
    this.path = join(dataDir, RESERVE_FILE);
    this.bytes = bytes;
  }

  /** Whether the reserve file is in place. */
  held(): boolean {
    return existsSync(this.path);
  }

  /** When it was last freed (epoch ms), or null while held since start. */
  lastReleased(): number | null {
    return this.releasedAt;
  }

  /**
   * Makes the reserve when it is missing and the disk has room for it and as much again; returns whether
   * it is held afterwards. Written with real bytes (a sparse file reserves nothing), atomically.
   */
  ensure(): boolean {
    if (this.held()) return true;
    try {
      const fs = statfsSync(join(this.path, '..'));
      if (fs.bavail * fs.bsize < this.bytes * 2) return false;
    } catch {
      return false;
    }
    const temp = `${this.path}.tmp`;
    let fd: number | null = null;
    try {
      fd = openSync(temp, 'w', 0o600);
      const chunk = Buffer.alloc(Math.min(this.bytes, 64 * 1024));
      for (let written = 0; written < this.bytes;) {
        written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - written));
      }
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(temp, this.path);
      return true;
    } catch {
      if (fd !== null) closeSync(fd);
      rmSync(temp, { force: true });
      return false;
    }
  }

  /** Frees the reserve (synchronously: called from inside a failed SQLite write); true when it freed space. */
  release(): boolean {
    if (!this.held()) return false;
    try {
      rmSync(this.path, { force: true });
      this.releasedAt = Date.now();
      return true;
    } catch {
      return false;
    }
  }
}
