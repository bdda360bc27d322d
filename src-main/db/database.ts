import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Each migration moves the schema from version i to i + 1. Never edit a shipped one; append. */
const migrations: readonly string[] = [
  // 1: agents and the gallery index
  `
  CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    embedded INTEGER NOT NULL DEFAULT 0,
    camera_model TEXT,
    last_seen TEXT,
    added_at TEXT NOT NULL
  );
  CREATE TABLE captures (
    rowid INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    capture_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    captured_at TEXT NOT NULL,
    schedule TEXT,
    profile TEXT,
    profile_version TEXT,
    test_id TEXT,
    variant TEXT,
    iso INTEGER NOT NULL,
    shutter_speed TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    lux REAL,
    temperature_c REAL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    image_path TEXT NOT NULL,
    thumb_path TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (agent_id, capture_id)
  );
  CREATE INDEX captures_time ON captures (captured_at DESC, rowid DESC);
  CREATE INDEX captures_agent_time ON captures (agent_id, captured_at DESC, rowid DESC);
  `,
  // 2: quality figures measured at ingest, tags, and indexes for the gallery's filters
  `
  ALTER TABLE captures ADD COLUMN mean_brightness REAL;
  ALTER TABLE captures ADD COLUMN clipped_highlights REAL;
  ALTER TABLE captures ADD COLUMN clipped_shadows REAL;
  ALTER TABLE captures ADD COLUMN focus_score REAL;
  CREATE TABLE capture_tags (
    capture_rowid INTEGER NOT NULL REFERENCES captures (rowid) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (tag, capture_rowid)
  ) WITHOUT ROWID;
  CREATE INDEX captures_schedule_time ON captures (schedule, captured_at DESC, rowid DESC);
  CREATE INDEX captures_profile_time ON captures (profile, captured_at DESC, rowid DESC);
  CREATE INDEX captures_test_time ON captures (test_id, captured_at DESC, rowid DESC) WHERE test_id IS NOT NULL;
  `,
];

export const SCHEMA_VERSION = migrations.length;

/** Open (or create) the station database in WAL mode and bring it to the current schema. */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `The gallery database is schema version ${current}, newer than this Skystation understands (${migrations.length}). Update Skystation.`,
    );
  }
  for (let v = current; v < migrations.length; v++) {
    const sql = migrations[v];
    if (sql === undefined) continue;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
