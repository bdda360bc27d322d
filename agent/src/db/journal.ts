/**
 * The capture journal: one row per image on disk, the agent's memory of what
 * the station has and has not yet copied. The only module that touches
 * better-sqlite3. WAL mode; schema versioned through PRAGMA user_version.
 */
import Database from 'better-sqlite3';
import { SettingsUsed, type CaptureRecord } from '../protocol/index.js';

type Db = Database.Database;

/** Ordered migrations; index + 1 is the schema version it produces. */
const MIGRATIONS: readonly ((db: Db) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE captures (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        capture_id TEXT NOT NULL UNIQUE,
        file_name TEXT NOT NULL UNIQUE,
        captured_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        settings_json TEXT NOT NULL,
        profile TEXT,
        profile_version TEXT,
        schedule TEXT,
        test_id TEXT,
        variant TEXT,
        lux REAL,
        temperature_c REAL,
        synced INTEGER NOT NULL DEFAULT 0,
        synced_at TEXT,
        missing INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX captures_unsynced ON captures (synced, seq);
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

interface Row {
  seq: number;
  capture_id: string;
  file_name: string;
  captured_at: string;
  sha256: string;
  size_bytes: number;
  width: number;
  height: number;
  settings_json: string;
  profile: string | null;
  profile_version: string | null;
  schedule: string | null;
  test_id: string | null;
  variant: string | null;
  lux: number | null;
  temperature_c: number | null;
  synced: number;
  missing: number;
}

export type NewCapture = Omit<CaptureRecord, 'synced'>;

export interface CaptureCounts {
  total: number;
  unsynced: number;
  last_capture_at: string | null;
}

function toRecord(row: Row): CaptureRecord {
  return {
    capture_id: row.capture_id,
    seq: row.seq,
    file_name: row.file_name,
    captured_at: row.captured_at,
    sha256: row.sha256,
    size_bytes: row.size_bytes,
    width: row.width,
    height: row.height,
    settings_used: SettingsUsed.parse(JSON.parse(row.settings_json)),
    profile: row.profile,
    profile_version: row.profile_version,
    schedule: row.schedule,
    test_id: row.test_id,
    variant: row.variant,
    lux: row.lux,
    temperature_c: row.temperature_c,
    synced: row.synced === 1,
  };
}

export class Journal {
  private readonly db: Db;

  private constructor(db: Db) {
    this.db = db;
  }

  static open(file: string): Journal {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const journal = new Journal(db);
    journal.migrate();
    return journal;
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion();
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `The capture journal is schema version ${current}, newer than this agent understands (${SCHEMA_VERSION}).`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      this.db.transaction(() => {
        MIGRATIONS[v]!(this.db);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /** The sequence number the next insert will get (captures are serialised by the caller). */
  nextSeq(): number {
    const row = this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'captures'`).get() as
      { seq: number } | undefined;
    return (row?.seq ?? 0) + 1;
  }

  insert(capture: NewCapture): CaptureRecord {
    this.db
      .prepare(
        `INSERT INTO captures (seq, capture_id, file_name, captured_at, sha256, size_bytes, width, height, settings_json,
           profile, profile_version, schedule, test_id, variant, lux, temperature_c)
         VALUES (@seq, @capture_id, @file_name, @captured_at, @sha256, @size_bytes, @width, @height, @settings_json,
           @profile, @profile_version, @schedule, @test_id, @variant, @lux, @temperature_c)`,
      )
      .run({
        seq: capture.seq,
        capture_id: capture.capture_id,
        file_name: capture.file_name,
        captured_at: capture.captured_at,
        sha256: capture.sha256,
        size_bytes: capture.size_bytes,
        width: capture.width,
        height: capture.height,
        settings_json: JSON.stringify(capture.settings_used),
        profile: capture.profile,
        profile_version: capture.profile_version,
        schedule: capture.schedule,
        test_id: capture.test_id,
        variant: capture.variant,
        lux: capture.lux,
        temperature_c: capture.temperature_c,
      });
    const record = this.get(capture.capture_id);
    if (!record) throw new Error(`capture ${capture.capture_id} vanished after insert`);
    return record;
  }

  get(captureId: string): CaptureRecord | null {
    const row = this.db.prepare(`SELECT * FROM captures WHERE capture_id = ?`).get(captureId) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** Captures after `after` in seq order; `limit + 1` is read to know whether more remain. */
  list(after: number, limit: number, unsyncedOnly: boolean): { items: CaptureRecord[]; more: boolean } {
    const rows = this.db
      .prepare(
        `SELECT * FROM captures WHERE seq > ? AND missing = 0 ${unsyncedOnly ? 'AND synced = 0' : ''} ORDER BY seq LIMIT ?`,
      )
      .all(after, limit + 1) as Row[];
    const more = rows.length > limit;
    return { items: rows.slice(0, limit).map(toRecord), more };
  }

  /** Marks synced when the sha256 matches; returns whether the capture is known with that hash. */
  ack(captureId: string, sha256: string, at: string): boolean {
    const row = this.db.prepare(`SELECT sha256, synced FROM captures WHERE capture_id = ?`).get(captureId) as
      { sha256: string; synced: number } | undefined;
    if (!row || row.sha256 !== sha256) return false;
    if (row.synced === 0)
      this.db.prepare(`UPDATE captures SET synced = 1, synced_at = ? WHERE capture_id = ?`).run(at, captureId);
    return true;
  }

  counts(): CaptureCounts {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN synced = 0 THEN 1 ELSE 0 END), 0) AS unsynced, MAX(captured_at) AS last
         FROM captures WHERE missing = 0`,
      )
      .get() as { total: number; unsynced: number; last: string | null };
    return { total: row.total, unsynced: row.unsynced, last_capture_at: row.last };
  }

  /** Every present capture's id and file, for reconciliation at start. */
  present(): { capture_id: string; file_name: string }[] {
    return this.db.prepare(`SELECT capture_id, file_name FROM captures WHERE missing = 0 ORDER BY seq`).all() as {
      capture_id: string;
      file_name: string;
    }[];
  }

  markMissing(captureId: string): void {
    this.db.prepare(`UPDATE captures SET missing = 1 WHERE capture_id = ?`).run(captureId);
  }

  close(): void {
    this.db.close();
  }
}
