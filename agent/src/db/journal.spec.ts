import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, SCHEMA_VERSION } from './journal.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-journal-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings = { iso: 100, shutter_speed: '1/100', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 };

describe('Journal (issue 3 additions)', () => {
  it('upgrades a version 1 journal in place: old captures read as clock_synced false', () => {
    const file = join(dir, 'journal.sqlite');
    const v1 = new Database(file);
    v1.exec(`
      CREATE TABLE captures (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, capture_id TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL UNIQUE,
        captured_at TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL, width INTEGER NOT NULL,
        height INTEGER NOT NULL, settings_json TEXT NOT NULL, profile TEXT, profile_version TEXT, schedule TEXT,
        test_id TEXT, variant TEXT, lux REAL, temperature_c REAL, synced INTEGER NOT NULL DEFAULT 0, synced_at TEXT,
        missing INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX captures_unsynced ON captures (synced, seq);
      PRAGMA user_version = 1;
    `);
    v1.prepare(
      `INSERT INTO captures (capture_id, file_name, captured_at, sha256, size_bytes, width, height, settings_json)
       VALUES ('old', 'a/old.jpg', '2025-01-01T00:00:00.000Z', ?, 10, 1, 1, ?)`,
    ).run('a'.repeat(64), JSON.stringify(settings));
    v1.close();
    const journal = Journal.open(file);
    try {
      expect(journal.schemaVersion()).toBe(SCHEMA_VERSION);
      const old = journal.get('old');
      expect(old).toMatchObject({ capture_id: 'old', clock_synced: false, synced: false });
      expect(old).not.toHaveProperty('reconciled');
      expect(journal.nextSeq()).toBe(2);
    } finally {
      journal.close();
    }
  });

  it('fills clock_synced and temperature from the capture context unless the caller gave them', () => {
    const journal = Journal.open(join(dir, 'j.sqlite'));
    try {
      journal.setCaptureContext(() => ({ clock_synced: true, temperature_c: -2.5 }));
      const base = {
        captured_at: '2025-01-01T00:00:00.000Z',
        sha256: 'b'.repeat(64),
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
      };
      const a = journal.insert({ ...base, capture_id: 'a', seq: 1, file_name: 'a.jpg', temperature_c: null });
      expect(a).toMatchObject({ clock_synced: true, temperature_c: -2.5 });
      const b = journal.insert({
        ...base,
        capture_id: 'b',
        seq: 2,
        file_name: 'b.jpg',
        temperature_c: 4,
        clock_synced: false,
        reconciled: true,
      });
      expect(b).toMatchObject({ clock_synced: false, temperature_c: 4, reconciled: true });
      expect(journal.isTaken('a', 99)).toBe(true);
      expect(journal.isTaken('zzz', 2)).toBe(true);
      expect(journal.isTaken('zzz', 3)).toBe(false);
      journal.markDeleted('a', '2025-01-02T00:00:00.000Z', 'synced_expired');
      expect(journal.counts().total).toBe(1);
      expect(journal.knownFileNames()).toEqual(new Set(['a.jpg', 'b.jpg']));
      expect(journal.deletedCounts()).toEqual({ synced_expired: 1 });
    } finally {
      journal.close();
    }
  });

  it('keeps sensor readings, newest first, and prunes old ones', () => {
    const journal = Journal.open(join(dir, 's.sqlite'));
    try {
      const r = { probe: null, temperature_c: 1, humidity_percent: null, lux: null };
      journal.insertSensorReading({ ...r, sensor: 'x', time: '2025-01-01T00:00:00.000Z' });
      journal.insertSensorReading({ ...r, sensor: 'x', time: '2025-01-02T00:00:00.000Z', temperature_c: 2 });
      journal.insertSensorReading({ ...r, sensor: 'y', time: '2025-01-02T00:00:00.000Z', temperature_c: 3 });
      expect(journal.sensorReadings({ sensor: 'x' }).map((s) => s.temperature_c)).toEqual([2, 1]);
      expect(journal.pruneSensorReadings('2025-01-01T12:00:00.000Z')).toBe(1);
      expect(journal.sensorReadings().map((s) => s.temperature_c)).toEqual([3, 2]);
    } finally {
      journal.close();
    }
  });
});
