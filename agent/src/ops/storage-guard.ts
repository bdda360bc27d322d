/**
 * Retention and the disk guard.
 *
 * - Retention: synced (acknowledged, sha256-verified by the station) captures
 *   older than `synced_max_age_hours` are deleted: file, then journal mark.
 * - Disk guard: at or above `warn_percent` used, one `warning` event
 *   (disk_warning) per episode; at or above `hard_limit_percent`, synced
 *   captures are deleted oldest first, and if that is not enough captures
 *   pause: POST /capture answers 507 disk_full and /status says why.
 * - Unsynced captures are never deleted, unless the operator enabled
 *   `emergency_delete_unsynced`; then the oldest go first, only while the
 *   disk is above the hard limit.
 * - A reserve file (storage/disk-reserve.ts) is freed when the journal finds
 *   the disk full, so the refusal can still be recorded; captures stay paused
 *   until the disk has room to make the reserve again.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { DeletableCapture, Journal } from '../db/journal.js';
import type { AgentEvent, StorageStatus } from '../protocol/index.js';
import type { CapturesStore } from '../storage/captures-store.js';
import { DiskFullError, DiskReserve } from '../storage/disk-reserve.js';
import type { Logger } from '../util/log.js';
import type { AgentMetrics } from './metrics.js';
import { diskUsage, type DiskUsage } from './system-info.js';

export interface RetentionSettings {
  synced_max_age_hours: number;
  interval_seconds: number;
  sensor_readings_max_age_days: number;
}

export interface DiskSettings {
  warn_percent: number;
  hard_limit_percent: number;
  emergency_delete_unsynced: boolean;
  check_interval_seconds: number;
}

export interface StorageGuardDeps {
  dataDir: string;
  journal: Journal;
  store: CapturesStore;
  log: Logger;
  emit: (event: AgentEvent) => void;
  now: () => Date;
  retention: RetentionSettings;
  disk: DiskSettings;
  metrics?: AgentMetrics;
  /** Filesystem usage of the data folder (injectable for unit tests). */
  usage?: (dir: string) => Promise<DiskUsage>;
  /** The journal's reserve of disk space (default: <dataDir>/.disk-reserve, 1 % of the disk). */
  reserve?: DiskReserve;
}

const RESERVE_SPENT =
  'Captures are paused: the disk is completely full (another program may be filling it) and the space the agent keeps for its journal is in use. Free space on the agent; captures resume by themselves.';

export type DeleteReason = 'synced_expired' | 'disk_synced' | 'disk_emergency_unsynced';

/** Headroom below the hard limit that the guard frees before captures resume. */
export const RESUME_MARGIN_PERCENT = 2;

export { DiskFullError };

/** Which filesystem a storage figure is about: the folder, its mount point and filesystem type, and when. */
export interface StorageLabel {
  path: string;
  mount_point: string | null;
  filesystem: string | null;
  checked_at: string | null;
}

/** The mount (point, type) holding `dir`, from /proc/self/mountinfo; nulls where it cannot be read. */
export function mountOf(dir: string): { mount_point: string | null; filesystem: string | null } {
  try {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      real = resolve(dir);
    }
    let best: { mount_point: string; filesystem: string } | null = null;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      if (!left || !right) continue;
      const point = (left.split(' ')[4] ?? '').replace(/\\040/g, ' ');
      const inside = point === '/' || real === point || real.startsWith(point + sep);
      if (inside && (!best || point.length >= best.mount_point.length))
        best = { mount_point: point, filesystem: right.split(' ')[0] ?? '' };
    }
    return best ?? { mount_point: null, filesystem: null };
  } catch {
    return { mount_point: null, filesystem: null };
  }
}

export class StorageGuard {
  private state: StorageStatus['state'] = 'ok';
  private usedPercent = 0;
  private message: string | null = null;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> = Promise.resolve();
  private readonly reserve: DiskReserve;
  private label: StorageLabel | null = null;

  constructor(private readonly deps: StorageGuardDeps) {
    this.reserve = deps.reserve ?? new DiskReserve(deps.dataDir);
    deps.journal.onDiskFull(() => {
      const freed = this.reserve.release();
      if (freed) {
        // Paused at once (not at the next check): the space just freed is for the journal, not for images.
        if (this.state !== 'paused') {
          const previous = this.state;
          this.state = 'paused';
          this.message = RESERVE_SPENT;
          this.announce(previous, 'paused');
        }
      }
      return freed;
    });
  }

  start(): void {
    const d = this.deps;
    this.timers.push(
      setInterval(
        () => void this.check().catch((err: unknown) => d.log.error({ err }, 'disk check failed')),
        d.disk.check_interval_seconds * 1000,
      ),
      setInterval(
        () => void this.runRetention().catch((err: unknown) => d.log.error({ err }, 'retention failed')),
        d.retention.interval_seconds * 1000,
      ),
    );
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.running.catch(() => undefined);
  }

  paused(): boolean {
    return this.state === 'paused';
  }

  /**
   * The guard's view of the disk, labelled with the folder it measures, that folder's mount point and
   * filesystem and when it was last measured (`/status` also reports `disk`, measured live).
   */
  status(): StorageStatus & StorageLabel {
    this.label ??= { path: this.deps.dataDir, ...mountOf(this.deps.dataDir), checked_at: null };
    return {
      ...this.label,
      state: this.state,
      capture_paused: this.state === 'paused',
      used_percent: this.usedPercent,
      warn_percent: this.deps.disk.warn_percent,
      hard_limit_percent: this.deps.disk.hard_limit_percent,
      emergency_delete_unsynced: this.deps.disk.emergency_delete_unsynced,
      message: this.message,
      retention: {
        synced_max_age_hours: this.deps.retention.synced_max_age_hours,
        deleted: this.deps.journal.deletedCounts(),
      },
    };
  }

  /** Throws 507 disk_full when captures are paused; checks the disk first so the answer is current. */
  async assertCanCapture(): Promise<void> {
    await this.check();
    if (this.state === 'paused') throw new DiskFullError(this.message ?? 'The disk is full.');
  }

  /** Serialises checks and retention runs so two never delete at once. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.running.then(fn, fn);
    this.running = run.catch(() => undefined);
    return run;
  }

  private usage(): Promise<DiskUsage> {
    return (this.deps.usage ?? diskUsage)(this.deps.dataDir);
  }

  /** Reads the disk, frees space when above the hard limit, updates the state and announces changes. */
  check(): Promise<StorageStatus> {
    return this.exclusive(async () => {
      const d = this.deps;
      let usage = await this.usage();
      const hard = d.disk.hard_limit_percent;
      if (usage.used_percent >= hard) {
        const target = hard - RESUME_MARGIN_PERCENT;
        usage = await this.freeSpace(usage, target, false, 'disk_synced');
        if (usage.used_percent >= hard && d.disk.emergency_delete_unsynced) {
          usage = await this.freeSpace(usage, target, true, 'disk_emergency_unsynced');
        }
      }
      // The journal's reserve: made again once the disk has room for it (synced captures go first, as at the
      // hard limit, when another program filled the disk); until then captures stay paused.
      if (!this.reserve.held() && usage.free_bytes < this.reserve.bytes * 2 && usage.total_bytes > 0) {
        const target = 100 - ((this.reserve.bytes * 3) / usage.total_bytes) * 100;
        usage = await this.freeSpace(usage, Math.min(target, hard - RESUME_MARGIN_PERCENT), false, 'disk_synced');
      }
      const hadReserve = this.reserve.held();
      const reserved = this.reserve.ensure();
      if (reserved && !hadReserve) usage = await this.usage();
      this.usedPercent = usage.used_percent;
      this.label = { path: d.dataDir, ...mountOf(d.dataDir), checked_at: d.now().toISOString() };
      const previous = this.state;
      const next: StorageStatus['state'] =
        usage.used_percent >= hard || !reserved
          ? 'paused'
          : usage.used_percent >= d.disk.warn_percent
            ? 'warning'
            : 'ok';
      this.state = next;
      if (next === 'paused' && !reserved) {
        this.message = RESERVE_SPENT;
      } else if (next === 'paused') {
        this.message =
          `Captures are paused: the disk is ${usage.used_percent}% full (limit ${hard}%) and ` +
          (d.disk.emergency_delete_unsynced
            ? 'no more captures can be deleted; free space on the agent.'
            : 'unsynced captures are kept until the station copies them; sync them, free space, or enable emergency deletion.');
      } else if (next === 'warning') {
        this.message = `The disk is ${usage.used_percent}% full (warning at ${d.disk.warn_percent}%, captures pause at ${hard}%).`;
      } else this.message = null;
      if (next !== previous) this.announce(previous, next);
      return this.status();
    });
  }

  private announce(previous: StorageStatus['state'], next: StorageStatus['state']): void {
    const d = this.deps;
    const time = d.now().toISOString();
    if (next === 'paused') {
      d.log.error({ event: 'disk.paused', used_percent: this.usedPercent }, this.message ?? 'captures paused');
      d.emit({ type: 'warning', code: 'disk_full', message: this.message ?? '', time });
    } else if (next === 'warning' && previous === 'ok') {
      d.log.warn({ event: 'disk.warning', used_percent: this.usedPercent }, this.message ?? 'disk filling');
      d.emit({ type: 'warning', code: 'disk_warning', message: this.message ?? '', time });
    } else {
      d.log.info({ event: 'disk.state', state: next, previous, used_percent: this.usedPercent }, 'disk state changed');
    }
    if (previous === 'paused')
      d.log.info({ event: 'disk.resumed', used_percent: this.usedPercent }, 'captures resumed');
  }

  private async freeSpace(
    usage: DiskUsage,
    targetPercent: number,
    unsynced: boolean,
    reason: DeleteReason,
  ): Promise<DiskUsage> {
    let current = usage;
    for (;;) {
      const batch = this.deps.journal.oldest(!unsynced, 20);
      if (batch.length === 0) return current;
      for (const capture of batch) {
        if (!(await this.tryDelete(capture, reason))) return current;
        current = await this.usage();
        if (current.used_percent < targetPercent) return current;
      }
    }
  }

  /** Deletes one capture; a file that cannot be removed is logged and left (and its row untouched). */
  private async tryDelete(capture: DeletableCapture, reason: DeleteReason): Promise<boolean> {
    try {
      await this.delete(capture, reason);
      return true;
    } catch (err) {
      this.deps.log.error(
        { event: 'retention.delete_failed', capture_id: capture.capture_id, file: capture.file_name, err },
        'could not delete a capture file; it is kept and retried later',
      );
      return false;
    }
  }

  private async delete(capture: DeletableCapture, reason: DeleteReason): Promise<void> {
    const d = this.deps;
    if (!capture.synced && reason !== 'disk_emergency_unsynced') {
      throw new Error(`refusing to delete unsynced capture ${capture.capture_id} for ${reason}`);
    }
    const path = d.store.resolveInside(capture.file_name);
    // Originals beside the JPEG (a FITS) were copied and verified with it before the acknowledgement.
    for (const extra of d.journal.get(capture.capture_id)?.extra_files ?? []) {
      await rm(path.replace(/\.jpg$/, extra.suffix), { force: true });
    }
    await rm(path, { force: true });
    d.journal.markDeleted(capture.capture_id, d.now().toISOString(), reason);
    d.metrics?.retentionDeleted.inc({ reason });
    const fields = { event: 'retention.deleted', capture_id: capture.capture_id, file: capture.file_name, reason };
    if (reason === 'disk_emergency_unsynced')
      d.log.warn(fields, 'deleted an UNSYNCED capture to free space (emergency deletion is enabled)');
    else d.log.info(fields, 'deleted a synced capture');
    // Remove emptied day/schedule/profile folders; rmdir fails harmlessly on non-empty ones.
    let dir = dirname(path);
    while (dir.startsWith(d.store.root + '/')) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  /** Deletes synced captures older than the retention age and old sensor readings; returns how many captures. */
  runRetention(): Promise<number> {
    return this.exclusive(async () => {
      const d = this.deps;
      const now = d.now().getTime();
      const cutoff = new Date(now - d.retention.synced_max_age_hours * 3600_000).toISOString();
      let deleted = 0;
      for (;;) {
        const batch = d.journal.syncedBefore(cutoff, 200);
        if (batch.length === 0) break;
        let failed = false;
        for (const capture of batch) {
          if (await this.tryDelete(capture, 'synced_expired')) deleted++;
          else failed = true;
        }
        if (failed) break; // try again on the next run rather than loop on a file that cannot go
      }
      const readingsCutoff = new Date(now - d.retention.sensor_readings_max_age_days * 86400_000).toISOString();
      const pruned = d.journal.pruneSensorReadings(readingsCutoff);
      if (deleted > 0 || pruned > 0)
        d.log.info({ event: 'retention.run', deleted, sensor_readings_pruned: pruned }, 'retention ran');
      return deleted;
    });
  }
}
