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
  // 3: orchestration (issue #5): station settings (location), schedules, camera assignments, deployments,
  // override tests and alerts
  `
  CREATE TABLE station_settings (key TEXT PRIMARY KEY, value_json TEXT NOT NULL);
  CREATE TABLE schedules (name TEXT PRIMARY KEY, definition_json TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE camera_assignments (
    camera_id TEXT PRIMARY KEY,
    agent_id TEXT,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    site TEXT,
    profile_id TEXT,
    schedules_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE deployments (
    agent_id TEXT PRIMARY KEY,
    profile_id TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    deployed_at TEXT NOT NULL,
    horizon TEXT,
    windows INTEGER NOT NULL,
    error TEXT,
    redeploys INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE ab_tests (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    failures_json TEXT NOT NULL DEFAULT '[]'
  );
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    level TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    agent_id TEXT,
    dedupe_key TEXT,
    resolved_at TEXT
  );
  CREATE INDEX alerts_open ON alerts (dedupe_key) WHERE resolved_at IS NULL;
  `,
  // 4: fleet states (issue #4/#5): how an agent was found, its pairing and TLS fingerprint, its last known state
  `
  ALTER TABLE agents ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';
  ALTER TABLE agents ADD COLUMN tls_fingerprint TEXT;
  ALTER TABLE agents ADD COLUMN paired_at TEXT;
  ALTER TABLE agents ADD COLUMN state TEXT NOT NULL DEFAULT 'offline';
  `,
  // 5: sensor time series copied from the agents (readings keep the agent's id: the sync cursor)
  `
  CREATE TABLE sensor_readings (
    agent_id TEXT NOT NULL,
    reading_id INTEGER NOT NULL,
    sensor TEXT NOT NULL,
    probe TEXT,
    time TEXT NOT NULL,
    temperature_c REAL,
    humidity_percent REAL,
    lux REAL,
    PRIMARY KEY (agent_id, reading_id)
  );
  CREATE INDEX sensor_readings_series ON sensor_readings (agent_id, sensor, time);
  `,
  // 6: bracketed sets (HDR fusion before export) and dark frames (subtracted from night lights), issue #6
  `
  ALTER TABLE captures ADD COLUMN bracket_group TEXT;
  ALTER TABLE captures ADD COLUMN bracket_index INTEGER;
  ALTER TABLE captures ADD COLUMN bracket_count INTEGER;
  ALTER TABLE captures ADD COLUMN bracket_ev REAL;
  ALTER TABLE captures ADD COLUMN frame_kind TEXT NOT NULL DEFAULT 'light';
  CREATE INDEX captures_bracket ON captures (bracket_group, bracket_index) WHERE bracket_group IS NOT NULL;
  CREATE INDEX captures_darks ON captures (agent_id, captured_at) WHERE frame_kind = 'dark';
  `,
  // 7: an operator can acknowledge an alert (seen, being handled) before it is resolved (issue #15)
  `
  ALTER TABLE alerts ADD COLUMN acknowledged_at TEXT;
  `,
  // 8: captures reconciled after an agent crash (issue #16): a flag, and ISO and shutter speed that may be unknown
  // (null). SQLite cannot drop NOT NULL, so the table is rebuilt (rowids kept, tags moved aside and back).
  `
  CREATE TABLE captures_v8 (
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
    iso INTEGER,
    shutter_speed TEXT,
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
    mean_brightness REAL,
    clipped_highlights REAL,
    clipped_shadows REAL,
    focus_score REAL,
    bracket_group TEXT,
    bracket_index INTEGER,
    bracket_count INTEGER,
    bracket_ev REAL,
    frame_kind TEXT NOT NULL DEFAULT 'light',
    reconciled INTEGER NOT NULL DEFAULT 0,
    UNIQUE (agent_id, capture_id)
  );
  INSERT INTO captures_v8 (rowid, agent_id, capture_id, seq, captured_at, schedule, profile, profile_version, test_id,
    variant, iso, shutter_speed, settings_json, lux, temperature_c, width, height, size_bytes, sha256, image_path,
    thumb_path, imported_at, mean_brightness, clipped_highlights, clipped_shadows, focus_score, bracket_group,
    bracket_index, bracket_count, bracket_ev, frame_kind)
  SELECT rowid, agent_id, capture_id, seq, captured_at, schedule, profile, profile_version, test_id,
    variant, iso, shutter_speed, settings_json, lux, temperature_c, width, height, size_bytes, sha256, image_path,
    thumb_path, imported_at, mean_brightness, clipped_highlights, clipped_shadows, focus_score, bracket_group,
    bracket_index, bracket_count, bracket_ev, frame_kind FROM captures;
  CREATE TABLE capture_tags_v8 AS SELECT capture_rowid, tag FROM capture_tags;
  DROP TABLE capture_tags;
  DROP TABLE captures;
  ALTER TABLE captures_v8 RENAME TO captures;
  CREATE TABLE capture_tags (
    capture_rowid INTEGER NOT NULL REFERENCES captures (rowid) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (tag, capture_rowid)
  ) WITHOUT ROWID;
  INSERT INTO capture_tags (capture_rowid, tag) SELECT capture_rowid, tag FROM capture_tags_v8;
  DROP TABLE capture_tags_v8;
  CREATE INDEX captures_time ON captures (captured_at DESC, rowid DESC);
  CREATE INDEX captures_agent_time ON captures (agent_id, captured_at DESC, rowid DESC);
  CREATE INDEX captures_schedule_time ON captures (schedule, captured_at DESC, rowid DESC);
  CREATE INDEX captures_profile_time ON captures (profile, captured_at DESC, rowid DESC);
  CREATE INDEX captures_test_time ON captures (test_id, captured_at DESC, rowid DESC) WHERE test_id IS NOT NULL;
  CREATE INDEX captures_bracket ON captures (bracket_group, bracket_index) WHERE bracket_group IS NOT NULL;
  CREATE INDEX captures_darks ON captures (agent_id, captured_at) WHERE frame_kind = 'dark';
  `,
  // 9: station state that lived in JSON files (issue #13): profile versions, export jobs, S3 multipart uploads
  // (the settings documents go to station_settings), and which old files were imported (never twice)
  `
  CREATE TABLE profile_versions (
    seq INTEGER PRIMARY KEY,
    profile_id TEXT NOT NULL,
    version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version_json TEXT NOT NULL,
    UNIQUE (profile_id, version)
  );
  CREATE TABLE export_jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    job_json TEXT NOT NULL
  );
  CREATE TABLE archive_uploads (id TEXT PRIMARY KEY, state_json TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE state_imports (file TEXT PRIMARY KEY, imported_at TEXT NOT NULL, summary TEXT NOT NULL);
  `,
];

export const SCHEMA_VERSION = migrations.length;

/** Open (or create) the station database in WAL mode and bring it to the current schema. */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a capture is acknowledged to its agent (which may then delete it) only after its index row is on disk.
  db.pragma('synchronous = FULL');
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
