/**
 * The plan runner's memory, in the capture journal's SQLite file: one row per
 * planned slot the runner handled (keyed by its planned instant, so no slot is
 * ever taken twice, across restarts and re-deploys) and a small key/value state
 * (the cursor: the last planned instant the runner dealt with).
 * Tables are created by the journal's migration list (journal.ts).
 */
import type Database from 'better-sqlite3';
import type { PlanCounts, PlanSlot, PlanSlotStatus } from '../protocol/autonomy.js';
import { WriteRoom } from './room.js';

export const PLAN_SLOTS_MIGRATION = `
  CREATE TABLE plan_slots (
    planned_ms INTEGER PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    slot_index INTEGER NOT NULL,
    schedule TEXT NOT NULL,
    profile_version TEXT,
    status TEXT NOT NULL,
    started_ms REAL,
    start_error_ms REAL,
    capture_id TEXT,
    error TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX plan_slots_status ON plan_slots (status, planned_ms);
  CREATE TABLE plan_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export interface SlotKey {
  plannedMs: number;
  windowStartMs: number;
  slotIndex: number;
  schedule: string;
  profileVersion: string | null;
}

interface Row {
  planned_ms: number;
  window_start_ms: number;
  slot_index: number;
  schedule: string;
  profile_version: string | null;
  status: PlanSlotStatus;
  started_ms: number | null;
  start_error_ms: number | null;
  capture_id: string | null;
  error: string | null;
}

function toSlot(r: Row): PlanSlot {
  return {
    planned_at: new Date(r.planned_ms).toISOString(),
    window_start: new Date(r.window_start_ms).toISOString(),
    slot_index: r.slot_index,
    schedule: r.schedule,
    profile_version: r.profile_version,
    status: r.status,
    started_at: r.started_ms === null ? null : new Date(Math.floor(r.started_ms)).toISOString(),
    start_error_ms: r.start_error_ms,
    capture_id: r.capture_id,
    error: r.error,
  };
}

export class PlanSlots {
  constructor(
    private readonly db: Database.Database,
    /** Frees the disk reserve and retries a write that found the disk full (journal.ts). */
    private readonly room: WriteRoom = new WriteRoom(),
  ) {}

  /** Records a slot with a first status; false when the slot already has a row (never taken twice). */
  insert(key: SlotKey, status: PlanSlotStatus, error: string | null = null): boolean {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO plan_slots (planned_ms, window_start_ms, slot_index, schedule, profile_version, status, error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const at = new Date().toISOString();
    const r = this.room.write(() =>
      insert.run(key.plannedMs, key.windowStartMs, key.slotIndex, key.schedule, key.profileVersion, status, error, at),
    );
    return r.changes === 1;
  }

  /** Many missed slots in one transaction (after a restart). */
  insertMissed(keys: readonly SlotKey[], reason: string): number {
    return this.room.write(() => {
      let n = 0;
      this.db.transaction(() => {
        for (const k of keys) if (this.insert(k, 'missed', reason)) n++;
      })();
      return n;
    });
  }

  started(plannedMs: number, startedMs: number, errorMs: number): void {
    const update = this.db.prepare(
      `UPDATE plan_slots SET status = 'started', started_ms = ?, start_error_ms = ?, updated_at = ? WHERE planned_ms = ?`,
    );
    const at = new Date().toISOString();
    this.room.write(() => update.run(startedMs, errorMs, at, plannedMs));
  }

  finish(
    plannedMs: number,
    status: 'captured' | 'failed' | 'overrun',
    captureId: string | null,
    error: string | null,
  ): void {
    const update = this.db.prepare(
      `UPDATE plan_slots SET status = ?, capture_id = ?, error = ?, updated_at = ? WHERE planned_ms = ?`,
    );
    const at = new Date().toISOString();
    this.room.write(() => update.run(status, captureId, error, at, plannedMs));
  }

  /** Removes a claim that a re-deploy made obsolete before its time came. */
  dropClaim(plannedMs: number): void {
    this.room.write(() =>
      this.db.prepare(`DELETE FROM plan_slots WHERE planned_ms = ? AND status = 'claimed'`).run(plannedMs),
    );
  }

  /** After a crash: claims that never started were missed; started captures were interrupted. */
  reconcile(): { missed: number; interrupted: number } {
    return this.room.write(() => this.reconcileNow());
  }

  private reconcileNow(): { missed: number; interrupted: number } {
    const at = new Date().toISOString();
    const missed = this.db
      .prepare(
        `UPDATE plan_slots SET status = 'missed', error = 'the agent stopped before this slot', updated_at = ? WHERE status = 'claimed'`,
      )
      .run(at).changes;
    const interrupted = this.db
      .prepare(
        `UPDATE plan_slots SET status = 'interrupted', error = 'the agent stopped during this capture', updated_at = ? WHERE status = 'started'`,
      )
      .run(at).changes;
    return { missed, interrupted };
  }

  /**
   * A capture recovered after a crash (reconcile.ts): the slot left `started` or `interrupted` whose exposure
   * began within 2 s of `capturedAtMs` gets its capture id and becomes captured; returns its planned instant.
   */
  recoverCapture(capturedAtMs: number, captureId: string): number | null {
    const row = this.db
      .prepare(
        `SELECT planned_ms FROM plan_slots WHERE status IN ('started', 'interrupted') AND capture_id IS NULL
           AND started_ms BETWEEN ? AND ? ORDER BY ABS(started_ms - ?) LIMIT 1`,
      )
      .get(capturedAtMs - 2000, capturedAtMs + 2000, capturedAtMs) as { planned_ms: number } | undefined;
    if (!row) return null;
    const update = this.db.prepare(
      `UPDATE plan_slots SET status = 'captured', capture_id = ?, error = ?, updated_at = ? WHERE planned_ms = ?`,
    );
    const note = 'the agent stopped while storing this capture; the image was recovered at the next start';
    const at = new Date().toISOString();
    this.room.write(() => update.run(captureId, note, at, row.planned_ms));
    return row.planned_ms;
  }

  has(plannedMs: number): boolean {
    return this.db.prepare(`SELECT 1 FROM plan_slots WHERE planned_ms = ?`).get(plannedMs) !== undefined;
  }

  list(afterMs: number, limit: number, status?: PlanSlotStatus): PlanSlot[] {
    const rows = (
      status
        ? this.db
            .prepare(`SELECT * FROM plan_slots WHERE planned_ms > ? AND status = ? ORDER BY planned_ms LIMIT ?`)
            .all(afterMs, status, limit)
        : this.db
            .prepare(`SELECT * FROM plan_slots WHERE planned_ms > ? ORDER BY planned_ms LIMIT ?`)
            .all(afterMs, limit)
    ) as Row[];
    return rows.map(toSlot);
  }

  counts(): PlanCounts {
    const rows = this.db.prepare(`SELECT status, COUNT(*) AS n FROM plan_slots GROUP BY status`).all() as {
      status: PlanSlotStatus;
      n: number;
    }[];
    const c: PlanCounts = { captured: 0, failed: 0, overrun: 0, missed: 0, interrupted: 0 };
    for (const r of rows) if (r.status in c) c[r.status as keyof PlanCounts] = r.n;
    return c;
  }

  cursor(): number | null {
    const row = this.db.prepare(`SELECT value FROM plan_state WHERE key = 'cursor_ms'`).get() as
      { value: string } | undefined;
    return row ? Number(row.value) : null;
  }

  setCursor(ms: number): void {
    const upsert = this.db.prepare(
      `INSERT INTO plan_state (key, value) VALUES ('cursor_ms', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    this.room.write(() => upsert.run(String(ms)));
  }
}
