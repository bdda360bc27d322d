import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapturesRepo, decodeCursor, encodeCursor, type CaptureRow } from './captures-repo.js';
import { SCHEMA_VERSION, openDatabase, type Db } from './database.js';

function row(i: number, agentId = 'a1'): CaptureRow {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    agentId,
    captureId: `c${i}`,
    seq: i,
    capturedAt: t,
    schedule: i % 2 ? 'sunset' : 'manual',
    profile: null,
    profileVersion: null,
    testId: null,
    variant: null,
    iso: 100,
    shutterSpeed: '1/500',
    settingsJson: '{}',
    lux: 1000,
    temperatureC: null,
    width: 1920,
    height: 1080,
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    imagePath: `originals/${agentId}/c${i}.jpg`,
    thumbPath: `thumbs/${agentId}/c${i}.jpg`,
    importedAt: t,
  };
}

describe('CapturesRepo', () => {
  let dir: string;
  let db: Db;
  let repo: CapturesRepo;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-gallery-'));
    db = openDatabase(join(dir, 'g.sqlite'));
    repo = new CapturesRepo(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds a camera's latest light frames, leaving out darks and off-centre bracket images", () => {
    repo.insertBatch([
      row(1),
      { ...row(2), iso: 200, shutterSpeed: '1/250' },
      { ...row(3), iso: 6400, shutterSpeed: '30', frameKind: 'dark' },
      { ...row(4), shutterSpeed: '1/2000', bracketGroup: 'g', bracketIndex: 0, bracketCount: 3, bracketEv: -2 },
      { ...row(5), iso: 400, shutterSpeed: '1/125', bracketGroup: 'g', bracketIndex: 1, bracketCount: 3, bracketEv: 0 },
      { ...row(6), shutterSpeed: '1/30', bracketGroup: 'g', bracketIndex: 2, bracketCount: 3, bracketEv: 2 },
      row(7, 'other'),
    ]);
    expect(repo.latestLightFrames('a1')).toEqual([
      { capturedAt: row(5).capturedAt, iso: 400, shutterSpeed: '1/125' },
      { capturedAt: row(2).capturedAt, iso: 200, shutterSpeed: '1/250' },
    ]);
    expect(repo.latestLightFrames('nobody')).toEqual([]);
  });

  it('stores a capture reconciled after a crash with its unknown settings as null, and says so', () => {
    repo.insertBatch([
      row(1),
      {
        ...row(2),
        iso: null,
        shutterSpeed: null,
        settingsJson: JSON.stringify({ iso: null, shutter_speed: null }),
        reconciled: true,
      },
    ]);
    const got = repo.get('a1', 'c2')!;
    expect(got).toMatchObject({ iso: null, shutterSpeed: null, reconciled: 1 });
    expect(repo.get('a1', 'c1')).toMatchObject({ iso: 100, shutterSpeed: '1/500', reconciled: 0 });
    // The newest frame does not know its exposure: live ramps continue from the one before.
    expect(repo.latestLightFrames('a1', 1)).toEqual([
      { capturedAt: row(1).capturedAt, iso: 100, shutterSpeed: '1/500' },
    ]);
  });

  it('upgrades a version 7 gallery in place: rows, rowids and tags kept, settings may now be null', () => {
    db.close();
    const file = join(dir, 'v7.sqlite');
    // The captures and tags tables as migrations 1 to 7 left them (the rest of the schema plays no part).
    const old = new Database(file);
    old.exec(`
      CREATE TABLE captures (
        rowid INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, capture_id TEXT NOT NULL, seq INTEGER NOT NULL,
        captured_at TEXT NOT NULL, schedule TEXT, profile TEXT, profile_version TEXT, test_id TEXT, variant TEXT,
        iso INTEGER NOT NULL, shutter_speed TEXT NOT NULL, settings_json TEXT NOT NULL, lux REAL, temperature_c REAL,
        width INTEGER NOT NULL, height INTEGER NOT NULL, size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,
        image_path TEXT NOT NULL, thumb_path TEXT NOT NULL, imported_at TEXT NOT NULL, mean_brightness REAL,
        clipped_highlights REAL, clipped_shadows REAL, focus_score REAL, bracket_group TEXT, bracket_index INTEGER,
        bracket_count INTEGER, bracket_ev REAL, frame_kind TEXT NOT NULL DEFAULT 'light',
        UNIQUE (agent_id, capture_id)
      );
      CREATE TABLE capture_tags (
        capture_rowid INTEGER NOT NULL REFERENCES captures (rowid) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (tag, capture_rowid)
      ) WITHOUT ROWID;
      INSERT INTO captures (rowid, agent_id, capture_id, seq, captured_at, iso, shutter_speed, settings_json, width,
        height, size_bytes, sha256, image_path, thumb_path, imported_at, mean_brightness, frame_kind)
      VALUES (42, 'a1', 'old', 1, '2026-01-01T00:00:00.000Z', 800, '2', '{}', 10, 10, 100, '${'b'.repeat(64)}',
        'originals/a1/old.jpg', 'thumbs/a1/old.jpg', '2026-01-01T00:00:01.000Z', 12.5, 'dark');
      INSERT INTO capture_tags (capture_rowid, tag) VALUES (42, 'keeper');
      PRAGMA user_version = 7;
    `);
    old.close();
    db = openDatabase(file);
    repo = new CapturesRepo(db);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(repo.get('a1', 'old')).toMatchObject({
      rowid: 42,
      iso: 800,
      shutterSpeed: '2',
      meanBrightness: 12.5,
      frameKind: 'dark',
      reconciled: 0,
    });
    expect(repo.tagsOf(42)).toEqual(['keeper']);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Deleting still takes the tags with it (the foreign key survived the rebuild).
    db.prepare('DELETE FROM captures WHERE rowid = 42').run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM capture_tags').get()).toEqual({ n: 0 });
  });

  it('migrates a new database to the current schema version, in WAL mode', () => {
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('reopening an existing database keeps its rows', () => {
    repo.insert(row(1));
    db.close();
    db = openDatabase(join(dir, 'g.sqlite'));
    repo = new CapturesRepo(db);
    expect(repo.count()).toBe(1);
  });

  it('imports a capture only once', () => {
    expect(repo.insert(row(1))).toBe(true);
    expect(repo.insert(row(1))).toBe(false);
    expect(repo.insertMany([row(1), row(2), row(3)])).toBe(2);
    expect(repo.count()).toBe(3);
  });

  it('pages newest first with a cursor that neither skips nor repeats', () => {
    repo.insertMany(Array.from({ length: 25 }, (_, i) => row(i)));
    repo.insertMany(Array.from({ length: 5 }, (_, i) => row(i, 'a2')));
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = repo.page({ agentId: 'a1', cursor, limit: 10 });
      seen.push(...page.items.map((c) => c.captureId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe('c24');
    expect(seen.at(-1)).toBe('c0');
  });

  it('round-trips cursors and rejects garbage', () => {
    expect(decodeCursor(encodeCursor({ capturedAt: '2026-01-01T00:00:00.000Z', rowid: 42 }))).toEqual({
      capturedAt: '2026-01-01T00:00:00.000Z',
      rowid: 42,
    });
    expect(decodeCursor('not-a-cursor')).toBeNull();
  });
});

describe('CapturesRepo filters', () => {
  let dir: string;
  let db: Db;
  let repo: CapturesRepo;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-gallery-f-'));
    db = openDatabase(join(dir, 'g.sqlite'));
    repo = new CapturesRepo(db);
    repo.insertMany(
      Array.from({ length: 40 }, (_, i) => ({
        ...row(i),
        profile: i < 10 ? 'f' : 'b',
        testId: i % 4 === 0 ? 'spring' : null,
      })),
    );
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('filters by schedule, profile, test and time range together', () => {
    const from = new Date(Date.UTC(2026, 0, 1, 0, 0, 4)).toISOString();
    const to = new Date(Date.UTC(2026, 0, 1, 0, 0, 20)).toISOString();
    const page = repo.page({ schedule: 'manual', testId: 'spring', from, to, limit: 100 });
    expect(page.items.map((c) => c.captureId).sort()).toEqual(['c12', 'c16', 'c20', 'c4', 'c8']);
    expect(repo.page({ profile: 'f', limit: 100 }).items).toHaveLength(10);
  });

  it('filters by tag and stores quality figures', () => {
    repo.insert({ ...row(100), meanBrightness: 91.5, focusScore: 12 });
    const stored = repo.get('a1', 'c100')!;
    expect(stored.meanBrightness).toBe(91.5);
    repo.tag(stored.rowid, 'aurora');
    repo.tag(stored.rowid, 'aurora');
    expect(repo.tagsOf(stored.rowid)).toEqual(['aurora']);
    expect(repo.page({ tag: 'aurora', limit: 10 }).items.map((c) => c.captureId)).toEqual(['c100']);
    repo.untag(stored.rowid, 'aurora');
    expect(repo.page({ tag: 'aurora', limit: 10 }).items).toHaveLength(0);
  });
});

describe('CapturesRepo for the gallery view', () => {
  let dir: string;
  let db: Db;
  let repo: CapturesRepo;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-gallery-view-'));
    db = openDatabase(join(dir, 'g.sqlite'));
    repo = new CapturesRepo(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('nights: groups by the local evening, newest first, with counts and spans that add up', () => {
    // Every 30 min for three days from 2026-01-01T00:00Z; at UTC+1 a night runs 11:00Z to 11:00Z.
    const rows = Array.from({ length: 144 }, (_, i) => ({
      ...row(i),
      capturedAt: new Date(Date.UTC(2026, 0, 1) + i * 1_800_000).toISOString(),
    }));
    repo.insertMany(rows);
    const nights = repo.nights({}, 60);
    expect(nights.map((n) => n.night)).toEqual(['2026-01-03', '2026-01-02', '2026-01-01', '2025-12-31']);
    expect(nights.reduce((n, x) => n + x.count, 0)).toBe(144);
    expect(nights[1]).toMatchObject({
      count: 48,
      oldest: '2026-01-02T11:00:00.000Z',
      newest: '2026-01-03T10:30:00.000Z',
    });
    expect(repo.nights({ schedule: 'sunset' }, 60).reduce((n, x) => n + x.count, 0)).toBe(72);
  });

  it('nights: a zone with a half-hour offset splits at its own local noon, not at a UTC hour', () => {
    // India (UTC+5:30): local noon is 06:30Z. 06:25Z is 11:55 local (the night before), 06:35Z is 12:05.
    repo.insertMany([
      { ...row(0), captureId: 'before-noon', capturedAt: '2026-01-02T06:25:00.000Z' },
      { ...row(1), captureId: 'after-noon', capturedAt: '2026-01-02T06:35:00.000Z' },
    ]);
    expect(repo.nights({}, 330).map((n) => [n.night, n.count])).toEqual([
      ['2026-01-02', 1],
      ['2026-01-01', 1],
    ]);
  });

  it('pageAt gives random access in the same order as cursor pages; filters for cameras, brackets, variant', () => {
    repo.insertMany(Array.from({ length: 30 }, (_, i) => row(i, i % 3 === 0 ? 'a2' : 'a1')));
    repo.insert({ ...row(40), captureId: 'b0', bracketGroup: 'g', bracketIndex: 0, bracketCount: 2, bracketEv: -1 });
    repo.insert({ ...row(41), captureId: 'b1', variant: 'b', testId: 't1' });
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const p = repo.page({ cursor, limit: 7 });
      all.push(...p.items.map((r) => r.captureId));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    expect(repo.pageAt({}, 10, 5).map((r) => r.captureId)).toEqual(all.slice(10, 15));
    expect(repo.countWhere({ agentIds: ['a2'] })).toBe(10);
    expect(repo.countWhere({ agentIds: ['a1', 'a2'] })).toBe(32);
    expect(repo.pageAt({ brackets: 'only' }, 0, 10).map((r) => r.captureId)).toEqual(['b0']);
    expect(repo.countWhere({ brackets: 'exclude' })).toBe(31);
    expect(repo.pageAt({ variant: 'b' }, 0, 10).map((r) => r.captureId)).toEqual(['b1']);
  });

  it('tags many rows at once, lists facets, and deletes rows with their tags', () => {
    repo.insertMany([row(1), row(2), row(3, 'a2')]);
    const r1 = repo.get('a1', 'c1')!;
    const r2 = repo.get('a1', 'c2')!;
    repo.tag(r1.rowid, 'meteor');
    repo.tag(r1.rowid, 'aurora');
    repo.tag(r2.rowid, 'meteor');
    expect(repo.tagsFor([r1.rowid, r2.rowid])).toEqual(
      new Map([
        [r1.rowid, ['aurora', 'meteor']],
        [r2.rowid, ['meteor']],
      ]),
    );
    expect(repo.facets()).toEqual({
      agentIds: ['a1', 'a2'],
      schedules: ['manual', 'sunset'],
      profiles: [],
      tests: [],
      tags: ['aurora', 'meteor'],
    });
    const removed = repo.deleteMany([
      { agentId: 'a1', captureId: 'c1' },
      { agentId: 'a1', captureId: 'nope' },
    ]);
    expect(removed.map((r) => r.captureId)).toEqual(['c1']);
    expect(repo.get('a1', 'c1')).toBeUndefined();
    expect(repo.count()).toBe(2);
    expect(repo.facets().tags).toEqual(['meteor']);
  });
});
