import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveUploadsRepo } from '../db/archive-uploads-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { ExportJobsRepo } from '../db/export-jobs-repo.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { ProfilesRepo } from '../db/profiles-repo.js';
import { createLogger } from '../util/log.js';
import { importLegacyState } from './legacy-import.js';

/** Old files as the station of caba3c9 wrote them. */
const FIXTURE = join(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'old-data-folder');
const OLD = ['profiles.json', 'settings.json', 'exports/settings.json', 'exports/jobs.json', 'archive/uploads.json'];
const log = createLogger(null);

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-legacy-'));
  for (const f of OLD) cpSync(join(FIXTURE, f), join(dir, f), { recursive: true });
  db = openDatabase(join(dir, 'gallery.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const run = () => importLegacyState({ db, dataDir: dir, log });

describe('importLegacyState', () => {
  it('imports every old file once, renames each to .migrated, and makes the database private', async () => {
    expect(await run()).toEqual({ imported: OLD, problems: [] });
    expect(new ProfilesRepo(db).count()).toBe(9);
    expect(new OrchestrationRepo(db).getSetting('settings')).toMatchObject({ weather: { provider: 'open-meteo' } });
    expect(new OrchestrationRepo(db).getSetting('exports.settings')).toMatchObject({ nightQuietMinutes: 25 });
    expect(new ExportJobsRepo(db).all().map((j) => j.status)).toEqual(['done', 'interrupted', 'cancelled']);
    expect(Object.keys(new ArchiveUploadsRepo(db).all())).toEqual(['sky-archive/skystation/exports/night-done.mp4']);
    for (const f of OLD) {
      expect(existsSync(join(dir, f))).toBe(false);
      expect(readFileSync(join(dir, `${f}.migrated`), 'utf8')).toBe(readFileSync(join(FIXTURE, f), 'utf8'));
    }
    expect(statSync(join(dir, 'gallery.sqlite')).mode & 0o777).toBe(0o600);
    // Nothing left to do on the next start.
    expect(await run()).toEqual({ imported: [], problems: [] });
  });

  it('a file imported before that comes back is only renamed (beside the first .migrated), never imported again', async () => {
    await run();
    new ExportJobsRepo(db).replaceAll([]);
    cpSync(join(FIXTURE, 'exports/jobs.json'), join(dir, 'exports/jobs.json'));
    expect(await run()).toEqual({ imported: [], problems: [] });
    expect(new ExportJobsRepo(db).count()).toBe(0);
    expect(readdirSync(join(dir, 'exports')).filter((n) => n.startsWith('jobs.json.migrated'))).toHaveLength(2);
  });

  it('a damaged file is reported, left as it is, and imported once fixed; the others are imported', async () => {
    const bad = '{"format":1,"profiles":{"a":[{"profile_id":"a"}]}}';
    writeFileSync(join(dir, 'profiles.json'), bad);
    writeFileSync(join(dir, 'exports/settings.json'), '{"version":1,');
    const report = await run();
    expect(report.imported).toEqual(['settings.json', 'exports/jobs.json', 'archive/uploads.json']);
    expect(report.problems.map((p) => p.file)).toEqual(['profiles.json', 'exports/settings.json']);
    expect(report.problems[0]!.message).toMatch(
      /^The profile library in .*profiles\.json, from an earlier Skystation, could not be imported \(.*damaged.*\); Skystation started with the preset profiles only\. The file is left as it is/,
    );
    expect(report.problems[1]!.message).toMatch(/not valid JSON.*the default export settings/);
    expect(readFileSync(join(dir, 'profiles.json'), 'utf8')).toBe(bad);
    expect(new ProfilesRepo(db).count()).toBe(0);
    // Fixed: imported at the next start.
    cpSync(join(FIXTURE, 'profiles.json'), join(dir, 'profiles.json'));
    expect((await run()).imported).toEqual(['profiles.json']);
    expect(new ProfilesRepo(db).count()).toBe(9);
  });

  it('never overwrites state the database already holds: the old file is left as it is', async () => {
    new OrchestrationRepo(db).setSetting('settings', { version: 1, weather: { provider: 'none', baseUrl: null } });
    const report = await run();
    expect(report.imported).not.toContain('settings.json');
    expect(report.problems).toEqual([]);
    expect(existsSync(join(dir, 'settings.json'))).toBe(true);
    expect(new OrchestrationRepo(db).getSetting('settings')).toMatchObject({ weather: { provider: 'none' } });
  });
});
