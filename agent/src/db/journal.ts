/**
 * The capture journal: one row per image on disk, the agent's memory of what
 * the station has and has not yet copied. The only module that touches
 * better-sqlite3. WAL mode; schema versioned through PRAGMA user_version.
 */
import Database from 'better-sqlite3';
import { ExtraFile, RecordedSettings, SettingsUsed, type BracketInfo, type CaptureRecord } from '../protocol/index.js';
import { PLAN_SLOTS_MIGRATION, PlanSlots } from './plan-slots.js';
import { WriteRoom } from './room.js';

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
  // The deployed plan runner's slots and cursor (plan-slots.ts).
  (db) => db.exec(PLAN_SLOTS_MIGRATION),
  // Issue 3 (agent/src/ops): capture conditions, retention marks, crash reconciliation, sensor readings.
  // clock_synced: 1 when the clock was known to be NTP-synchronised at capture time, 0 otherwise (never guessed).
  // deleted_at/deleted_reason: retention or the disk guard removed the file on purpose (missing = 1 too).
  // reconciled: the file was found on disk without a row after a crash and added at start.
  (db) =>
    db.exec(`
      ALTER TABLE captures ADD COLUMN clock_synced INTEGER;
      ALTER TABLE captures ADD COLUMN deleted_at TEXT;
      ALTER TABLE captures ADD COLUMN deleted_reason TEXT;
      ALTER TABLE captures ADD COLUMN reconciled INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX captures_synced_at ON captures (synced, synced_at);
      CREATE TABLE sensor_readings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sensor TEXT NOT NULL,
        probe TEXT,
        time TEXT NOT NULL,
        temperature_c REAL,
        humidity_percent REAL,
        lux REAL
      );
      CREATE INDEX sensor_readings_time ON sensor_readings (time);
      CREATE INDEX sensor_readings_sensor ON sensor_readings (sensor, time);
    `),
  // Originals stored beside the JPEG (an INDI camera's FITS): JSON [{suffix, sha256, size_bytes}].
  (db) => db.exec(`ALTER TABLE captures ADD COLUMN extra_files_json TEXT`),
  // Issue 6: bracketed sets (HDR; one row per image sharing bracket_group) and dark frames (lens capped).
  (db) =>
    db.exec(`
      ALTER TABLE captures ADD COLUMN bracket_group TEXT;
      ALTER TABLE captures ADD COLUMN bracket_index INTEGER;
      ALTER TABLE captures ADD COLUMN bracket_count INTEGER;
      ALTER TABLE captures ADD COLUMN bracket_ev REAL;
      ALTER TABLE captures ADD COLUMN frame_kind TEXT NOT NULL DEFAULT 'light' CHECK (frame_kind IN ('light', 'dark'));
      CREATE INDEX captures_bracket_group ON captures (bracket_group) WHERE bracket_group IS NOT NULL;
    `),
  // Issue 16: what each capture was asked for, written as its exposure starts and removed with its row's insert,
  // so a file found after a crash (no row) is journalled with its real settings, not invented ones.
  (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS capture_intents (
        capture_id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        profile TEXT,
        profile_version TEXT,
        schedule TEXT,
        test_id TEXT,
        variant TEXT,
        lux REAL,
        frame_kind TEXT NOT NULL DEFAULT 'light',
        bracket_json TEXT
      );
    `),
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** What a capture was taken for and the light it was taken in: the same columns in a capture and its intent. */
export type CaptureTags = Pick<
  CaptureRecord,
  'profile' | 'profile_version' | 'schedule' | 'test_id' | 'variant' | 'lux'
>;

function captureTags(from: CaptureTags): CaptureTags {
  const { profile, profile_version, schedule, test_id, variant, lux } = from;
  return { profile, profile_version, schedule, test_id, variant, lux };
}

interface Row extends CaptureTags {
  seq: number;
  capture_id: string;
  file_name: string;
  captured_at: string;
  sha256: string;
  size_bytes: number;
  width: number;
  height: number;
  settings_json: string;
  temperature_c: number | null;
  synced: number;
  missing: number;
  clock_synced: number | null;
  reconciled: number;
  extra_files_json: string | null;
  bracket_group: string | null;
  bracket_index: number | null;
  bracket_count: number | null;
  bracket_ev: number | null;
  frame_kind: string;
}

/** Conditions the journal adds to a capture the caller did not fill in. */
export interface CaptureContext {
  clock_synced: boolean;
  temperature_c: number | null;
}

export interface StoredSensorReading {
  sensor: string;
  probe: string | null;
  time: string;
  temperature_c: number | null;
  humidity_percent: number | null;
  lux: number | null;
}

/** A capture file retention may delete. */
export interface DeletableCapture {
  capture_id: string;
  file_name: string;
  size_bytes: number;
  synced: boolean;
}

export type NewCapture = Omit<CaptureRecord, 'synced'>;

/** What a capture was asked for, journalled as its exposure starts (capture_intents). */
export interface CaptureIntent extends CaptureTags {
  capture_id: string;
  started_at: string;
  settings: SettingsUsed;
  frame_kind: 'light' | 'dark';
  bracket: BracketInfo | null;
}

export interface CaptureCounts {
  total: number;
  unsynced: number;
  last_capture_at: string | null;
}

function bracketOf(row: Row): BracketInfo | null {
  if (row.bracket_group === null || row.bracket_index === null || row.bracket_count === null) return null;
  return { group: row.bracket_group, index: row.bracket_index, count: row.bracket_count, ev: row.bracket_ev ?? 0 };
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
    settings_used: RecordedSettings.parse(JSON.parse(row.settings_json)),
    ...captureTags(row),
    temperature_c: row.temperature_c,
    synced: row.synced === 1,
    clock_synced: row.clock_synced === 1,
    ...(row.reconciled === 1 ? { reconciled: true } : {}),
    ...(row.extra_files_json ? { extra_files: ExtraFile.array().parse(JSON.parse(row.extra_files_json)) } : {}),
    bracket: bracketOf(row),
    frame_kind: row.frame_kind === 'dark' ? 'dark' : 'light',
  };
}

export class Journal {
  private readonly db: Db;
  private context: (() => CaptureContext) | null = null;
  private readonly room = new WriteRoom();

  private constructor(db: Db) {
    this.db = db;
  }

  /**
   * Opens (and migrates) the journal. On a disk so full that SQLite cannot make the WAL's shared-memory
   * file, it opens again with an exclusive lock, which keeps that index in memory: the agent starts (paused
   * by the disk guard) instead of failing; only other processes cannot read the journal meanwhile.
   */
  static open(file: string): Journal {
    try {
      return Journal.openWith(file, false);
    } catch (err) {
      const raw = (err as { code?: unknown }).code;
      const code = typeof raw === 'string' ? raw : '';
      if (!code.startsWith('SQLITE_IOERR') && code !== 'SQLITE_FULL') throw err;
      const journal = Journal.openWith(file, true);
      journal.exclusive = true;
      return journal;
    }
  }

  /** True when the journal had to open with an exclusive lock (a full disk at start). */
  exclusive = false;

  private static openWith(file: string, exclusive: boolean): Journal {
    const db = new Database(file);
    try {
      if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
      return Journal.prepareDb(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private static prepareDb(db: Db): Journal {
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

  /**
   * Frees reserved disk space when a write finds the disk full (SQLITE_FULL); the write is then tried once
   * more. Without it (or when it frees nothing) a full disk is a 507 DiskFullError.
   */
  onDiskFull(release: () => boolean): void {
    this.room.onFull(release);
  }

  /** The sequence number the next insert will get (captures are serialised by the caller). */
  nextSeq(): number {
    const row = this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'captures'`).get() as
      { seq: number } | undefined;
    return (row?.seq ?? 0) + 1;
  }

  /**
   * Supplies what every new capture records about its conditions when the
   * caller leaves it out: whether the clock was synchronised (false when not
   * known) and the sensor temperature.
   */
  setCaptureContext(context: () => CaptureContext): void {
    this.context = context;
  }

  insert(capture: NewCapture): CaptureRecord {
    const context = this.context?.() ?? null;
    const clockSynced = capture.clock_synced ?? context?.clock_synced ?? false;
    const insert = this.db.prepare(
      `INSERT INTO captures (seq, capture_id, file_name, captured_at, sha256, size_bytes, width, height, settings_json,
           profile, profile_version, schedule, test_id, variant, lux, temperature_c, clock_synced, reconciled,
           extra_files_json, bracket_group, bracket_index, bracket_count, bracket_ev, frame_kind)
         VALUES (@seq, @capture_id, @file_name, @captured_at, @sha256, @size_bytes, @width, @height, @settings_json,
           @profile, @profile_version, @schedule, @test_id, @variant, @lux, @temperature_c, @clock_synced, @reconciled,
           @extra_files_json, @bracket_group, @bracket_index, @bracket_count, @bracket_ev, @frame_kind)`,
    );
    const values = {
      clock_synced: clockSynced ? 1 : 0,
      reconciled: capture.reconciled === true ? 1 : 0,
      extra_files_json: capture.extra_files?.length ? JSON.stringify(capture.extra_files) : null,
      bracket_group: capture.bracket?.group ?? null,
      bracket_index: capture.bracket?.index ?? null,
      bracket_count: capture.bracket?.count ?? null,
      bracket_ev: capture.bracket?.ev ?? null,
      frame_kind: capture.frame_kind ?? 'light',
      seq: capture.seq,
      capture_id: capture.capture_id,
      file_name: capture.file_name,
      captured_at: capture.captured_at,
      sha256: capture.sha256,
      size_bytes: capture.size_bytes,
      width: capture.width,
      height: capture.height,
      settings_json: JSON.stringify(capture.settings_used),
      ...captureTags(capture),
      temperature_c: capture.temperature_c ?? context?.temperature_c ?? null,
    };
    const clearIntent = this.db.prepare(`DELETE FROM capture_intents WHERE capture_id = ?`);
    this.room.write(() =>
      this.db.transaction(() => {
        insert.run(values);
        clearIntent.run(capture.capture_id);
      })(),
    );
    const record = this.get(capture.capture_id);
    if (!record) throw new Error(`capture ${capture.capture_id} vanished after insert`);
    return record;
  }

  /** Journals what a capture is asked for as its exposure starts; a failure here never fails the capture. */
  recordIntent(intent: CaptureIntent): void {
    const stmt = this.db.prepare(
      `INSERT OR REPLACE INTO capture_intents (capture_id, started_at, settings_json, profile, profile_version, schedule,
         test_id, variant, lux, frame_kind, bracket_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.room.write(() =>
      stmt.run(
        intent.capture_id,
        intent.started_at,
        JSON.stringify(intent.settings),
        intent.profile,
        intent.profile_version,
        intent.schedule,
        intent.test_id,
        intent.variant,
        intent.lux,
        intent.frame_kind,
        intent.bracket ? JSON.stringify(intent.bracket) : null,
      ),
    );
  }

  /** The intent journalled for a capture id (a file found after a crash), or null. */
  intent(captureId: string): CaptureIntent | null {
    const row = this.db.prepare(`SELECT * FROM capture_intents WHERE capture_id = ?`).get(captureId) as
      | (CaptureTags & {
          capture_id: string;
          started_at: string;
          settings_json: string;
          frame_kind: string;
          bracket_json: string | null;
        })
      | undefined;
    if (!row) return null;
    const settings = SettingsUsed.safeParse(JSON.parse(row.settings_json));
    if (!settings.success) return null;
    return {
      capture_id: row.capture_id,
      started_at: row.started_at,
      settings: settings.data,
      ...captureTags(row),
      frame_kind: row.frame_kind === 'dark' ? 'dark' : 'light',
      bracket: row.bracket_json ? (JSON.parse(row.bracket_json) as BracketInfo) : null,
    };
  }

  /** Drops intents whose capture never came to a file (the exposure failed or the agent died first). */
  pruneIntents(): number {
    return this.room.write(
      () =>
        this.db
          .prepare(
            `DELETE FROM capture_intents WHERE capture_id IN (SELECT capture_id FROM captures) OR started_at < ?`,
          )
          .run(new Date(Date.now() - 7 * 86400_000).toISOString()).changes,
    );
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
      this.room.write(() =>
        this.db.prepare(`UPDATE captures SET synced = 1, synced_at = ? WHERE capture_id = ?`).run(at, captureId),
      );
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

  /** Captures journalled with this schedule and profile at or after `since` (ISO), deleted ones included. */
  countSince(schedule: string, profile: string, since: string): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM captures WHERE schedule = ? AND profile = ? AND captured_at >= ?`)
      .get(schedule, profile, since) as { n: number };
    return row.n;
  }

  /** Every present capture's id and file, for reconciliation at start. */
  present(): { capture_id: string; file_name: string }[] {
    return this.db.prepare(`SELECT capture_id, file_name FROM captures WHERE missing = 0 ORDER BY seq`).all() as {
      capture_id: string;
      file_name: string;
    }[];
  }

  markMissing(captureId: string): void {
    // On a full disk the mark waits for the next start rather than keeping the agent from starting.
    try {
      this.room.write(() => this.db.prepare(`UPDATE captures SET missing = 1 WHERE capture_id = ?`).run(captureId));
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'disk_full') throw err;
    }
  }

  /** Every file name the journal has ever recorded (present, missing or deleted). */
  knownFileNames(): Set<string> {
    const rows = this.db.prepare(`SELECT file_name FROM captures`).all() as { file_name: string }[];
    return new Set(rows.map((r) => r.file_name));
  }

  /** Whether a capture id or seq is already taken (for reconciling orphan files). */
  isTaken(captureId: string, seq: number): boolean {
    return this.db.prepare(`SELECT 1 FROM captures WHERE capture_id = ? OR seq = ?`).get(captureId, seq) !== undefined;
  }

  /** Synced captures acknowledged before `cutoff` (ISO), oldest first. */
  syncedBefore(cutoff: string, limit = 500): DeletableCapture[] {
    return (
      this.db
        .prepare(
          `SELECT capture_id, file_name, size_bytes, synced FROM captures
           WHERE missing = 0 AND synced = 1 AND COALESCE(synced_at, captured_at) < ? ORDER BY seq LIMIT ?`,
        )
        .all(cutoff, limit) as (Omit<DeletableCapture, 'synced'> & { synced: number })[]
    ).map((r) => ({ ...r, synced: r.synced === 1 }));
  }

  /** Present captures oldest first, synced or unsynced. */
  oldest(synced: boolean, limit = 100): DeletableCapture[] {
    return (
      this.db
        .prepare(
          `SELECT capture_id, file_name, size_bytes, synced FROM captures
           WHERE missing = 0 AND synced = ? ORDER BY seq LIMIT ?`,
        )
        .all(synced ? 1 : 0, limit) as (Omit<DeletableCapture, 'synced'> & { synced: number })[]
    ).map((r) => ({ ...r, synced: r.synced === 1 }));
  }

  /** Retention or the disk guard removed the file on purpose. */
  markDeleted(captureId: string, at: string, reason: string): void {
    this.room.write(() =>
      this.db
        .prepare(`UPDATE captures SET missing = 1, deleted_at = ?, deleted_reason = ? WHERE capture_id = ?`)
        .run(at, reason, captureId),
    );
  }

  /** Counts of deleted captures by reason. */
  deletedCounts(): Record<string, number> {
    const rows = this.db
      .prepare(
        `SELECT deleted_reason AS reason, COUNT(*) AS n FROM captures WHERE deleted_at IS NOT NULL GROUP BY deleted_reason`,
      )
      .all() as { reason: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }

  insertSensorReading(reading: StoredSensorReading): void {
    const insert = this.db.prepare(
      `INSERT INTO sensor_readings (sensor, probe, time, temperature_c, humidity_percent, lux)
       VALUES (@sensor, @probe, @time, @temperature_c, @humidity_percent, @lux)`,
    );
    this.room.write(() => insert.run(reading));
  }

  /** Newest readings first, optionally for one sensor. */
  sensorReadings(options: { sensor?: string; limit?: number } = {}): StoredSensorReading[] {
    const limit = options.limit ?? 100;
    const rows =
      options.sensor === undefined
        ? this.db
            .prepare(
              `SELECT sensor, probe, time, temperature_c, humidity_percent, lux FROM sensor_readings ORDER BY id DESC LIMIT ?`,
            )
            .all(limit)
        : this.db
            .prepare(
              `SELECT sensor, probe, time, temperature_c, humidity_percent, lux FROM sensor_readings
               WHERE sensor = ? ORDER BY id DESC LIMIT ?`,
            )
            .all(options.sensor, limit);
    return rows as StoredSensorReading[];
  }

  /** Readings with an id above `afterId`, oldest first: the station's sync of the time series. */
  sensorReadingsAfter(afterId: number, limit: number): (StoredSensorReading & { id: number })[] {
    return this.db
      .prepare(
        `SELECT id, sensor, probe, time, temperature_c, humidity_percent, lux FROM sensor_readings
         WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .all(afterId, limit) as (StoredSensorReading & { id: number })[];
  }

  /** Deletes sensor readings older than `cutoff` (ISO); returns how many. */
  pruneSensorReadings(cutoff: string): number {
    return this.room.write(() => this.db.prepare(`DELETE FROM sensor_readings WHERE time < ?`).run(cutoff).changes);
  }

  /** The deployed plan runner's slot table, in this same database. */
  planSlots(): PlanSlots {
    return new PlanSlots(this.db, this.room);
  }

  close(): void {
    this.db.close();
  }
}
