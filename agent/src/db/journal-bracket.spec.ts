import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, SCHEMA_VERSION } from './journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-journal-bracket-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings = { iso: 100, shutter_speed: '1/100', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 };
const capture = (id: string, seq: number) => ({
  capture_id: id,
  seq,
  file_name: `d/${id}.jpg`,
  captured_at: '2025-01-01T00:00:00.000Z',
  sha256: 'c'.repeat(64),
  size_bytes: 1,
  width: 1,
  height: 1,
  settings_used: settings,
  profile: null,
  profile_version: null,
  schedule: null,
  test_id: null,
  variant: null,
  lux: null,
  temperature_c: null,
});

describe('Journal (issue 6: bracketed sets and dark frames)', () => {
  it('upgrades a version 4 journal: earlier captures read as single light frames', () => {
    const file = join(dir, 'journal.sqlite');
    Journal.open(file).close();
    // Back to how version 4 left it: no bracket or frame-kind columns.
    const db = new Database(file);
    db.exec(`
      DROP INDEX captures_bracket_group;
      ALTER TABLE captures DROP COLUMN bracket_group;
      ALTER TABLE captures DROP COLUMN bracket_index;
      ALTER TABLE captures DROP COLUMN bracket_count;
      ALTER TABLE captures DROP COLUMN bracket_ev;
      ALTER TABLE captures DROP COLUMN frame_kind;
      PRAGMA user_version = 4;
    `);
    db.prepare(
      `INSERT INTO captures (capture_id, file_name, captured_at, sha256, size_bytes, width, height, settings_json)
       VALUES ('old', 'a/old.jpg', '2025-01-01T00:00:00.000Z', ?, 10, 1, 1, ?)`,
    ).run('a'.repeat(64), JSON.stringify(settings));
    db.close();
    const journal = Journal.open(file);
    try {
      expect(journal.schemaVersion()).toBe(SCHEMA_VERSION);
      expect(journal.get('old')).toMatchObject({ frame_kind: 'light', bracket: null });
    } finally {
      journal.close();
    }
  });

  it('keeps each image’s place in its set and the dark kind', () => {
    const journal = Journal.open(join(dir, 'j.sqlite'));
    try {
      const bracket = { group: 'g-1', index: 1, count: 3, ev: -0.7 };
      journal.insert({ ...capture('b1', 1), bracket, frame_kind: 'dark' });
      journal.insert(capture('single', 2));
      const [b1, single] = journal.list(0, 10, false).items;
      expect(b1).toMatchObject({ bracket, frame_kind: 'dark' });
      expect(single).toMatchObject({ bracket: null, frame_kind: 'light' });
    } finally {
      journal.close();
    }
  });

  it('refuses a frame kind it does not know', () => {
    const file = join(dir, 'k.sqlite');
    Journal.open(file).close();
    const db = new Database(file);
    try {
      expect(() =>
        db
          .prepare(
            `INSERT INTO captures (capture_id, file_name, captured_at, sha256, size_bytes, width, height, settings_json, frame_kind)
             VALUES ('x', 'x.jpg', '2025-01-01T00:00:00.000Z', 'a', 1, 1, 1, '{}', 'flat')`,
          )
          .run(),
      ).toThrow(/CHECK constraint/);
    } finally {
      db.close();
    }
  });
});
