/**
 * What the journal does when SQLite says the disk is full (SQLITE_FULL): free
 * the disk reserve (storage/disk-reserve.ts) and try the write once more, so
 * even a refusal or a failure can be recorded; when that is not enough, the
 * error becomes a 507 disk_full a client can act on instead of a 500.
 */
import { DiskFullError } from '../storage/disk-reserve.js';

const MESSAGE =
  'The agent’s disk is full: the capture journal cannot record anything. Free space on the agent or let the station sync and retention delete copied captures.';

export function isSqliteFull(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

export class WriteRoom {
  private release: (() => boolean) | null = null;

  /** `release` frees reserved space and says whether it freed any. */
  onFull(release: () => boolean): void {
    this.release = release;
  }

  /** Runs a write; on SQLITE_FULL frees the reserve and retries once; a full disk throws DiskFullError. */
  write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!isSqliteFull(err)) throw err;
      if (this.release?.()) {
        try {
          return fn();
        } catch (again) {
          if (isSqliteFull(again)) throw new DiskFullError(MESSAGE, again);
          throw again;
        }
      }
      throw new DiskFullError(MESSAGE, err);
    }
  }
}
