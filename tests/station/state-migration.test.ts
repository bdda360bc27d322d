/**
 * Issue 13: station state has one home, the station database. A data folder
 * made by the station before that change (tests/fixtures/old-data-folder,
 * written by the code of caba3c9: profiles.json, settings.json,
 * exports/settings.json, exports/jobs.json, archive/uploads.json beside a
 * schema-7 gallery.sqlite) opens with everything in it: the headless station
 * imports each file once, renames it to <name>.migrated, and never imports it
 * again. A damaged old file is reported and left as it is; the rest opens.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { until } from '../helpers/processes.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'old-data-folder');
const OLD_FILES = [
  'profiles.json',
  'settings.json',
  join('exports', 'settings.json'),
  join('exports', 'jobs.json'),
  join('archive', 'uploads.json'),
];
/** The export jobs the old station had (see the fixture's README). */
const JOBS = {
  done: '16335717-b683-46b4-8de1-ad01b55e1ffe',
  interrupted: 'fcb0deab-6555-4e7e-bb12-ef9f6d35a5d9',
  cancelled: 'e82d7f97-4ece-4af3-921d-16569facafb5',
};

process.env.SKYSTATION_MDNS = 'off';

const open = (dataDir: string): Promise<Station> => startStation({ dataDir, embeddedAgent: false, discovery: false });

function copyFixture(root: string): string {
  const dataDir = join(root, 'data');
  cpSync(FIXTURE, dataDir, { recursive: true });
  rmSync(join(dataDir, 'README.md'), { force: true });
  return dataDir;
}

describe('an old data folder opens with everything in it', () => {
  let root: string;
  let dataDir: string;
  let station: Station | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'skys-state-migration-'));
    dataDir = copyFixture(root);
  });
  afterAll(async () => {
    await station?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports profiles, settings, export settings, jobs and pending uploads, and renames each file to .migrated', async () => {
    station = await open(dataDir);

    // Profiles: the presets and the operator's own profile with its three versions, in order.
    const profiles = await station.call('listProfiles');
    expect(profiles.map((p) => p.profileId).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'ridge-night']);
    expect(profiles.find((p) => p.profileId === 'a')).toMatchObject({ latest: '1.0.0', versions: 1 });
    expect(profiles.find((p) => p.profileId === 'ridge-night')).toMatchObject({
      name: 'Ridge night',
      latest: '1.1.1',
      versions: 3,
    });
    const ridge = await station.call('getProfile', { profileId: 'ridge-night' });
    expect(ridge.history.map((h) => [h.version, h.note])).toEqual([
      ['1.0.0', 'first night'],
      ['1.1.0', 'brighter'],
      ['1.1.1', 'rollback to 1.0.0'],
    ]);
    expect(ridge.resolved.settings).toMatchObject({ iso_max: 1600 });
    expect(
      (await station.call('getProfile', { profileId: 'ridge-night', version: '1.1.0' })).resolved.settings,
    ).toMatchObject({ iso_max: 3200 });

    // Station settings, with the secret still in its own 0600 file.
    const settings = await station.call('getSettings');
    expect(settings.weather).toMatchObject({ provider: 'open-meteo', baseUrl: 'http://127.0.0.1:9/' });
    expect(settings.archive).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'sky-archive',
      accessKeyId: 'AKIAFIXTURE',
      forcePathStyle: true,
      uploadExports: true,
      secretAccessKeySet: true,
    });
    expect(settings.file.problem).toBeNull();

    // Export settings and the job list (the interrupted job can still be resumed).
    expect(await station.call('exports.getSettings')).toMatchObject({
      autoNightProducts: false,
      nightQuietMinutes: 25,
    });
    const jobs = await station.call('exports.list');
    expect(Object.fromEntries(jobs.map((j) => [j.id, j.status]))).toEqual({
      [JOBS.done]: 'done',
      [JOBS.interrupted]: 'interrupted',
      [JOBS.cancelled]: 'cancelled',
    });
    expect(jobs.find((j) => j.id === JOBS.done)).toMatchObject({ label: 'Ridge night-done', retryable: false });
    expect(jobs.find((j) => j.id === JOBS.interrupted)).toMatchObject({ retryable: true });

    // The unfinished S3 upload was read back: the archive tried to continue it (its local file is gone here).
    await until(
      () => station!.call('exports.getSettings'),
      (s) => s.archive.queued === 0 && /night-done\.mp4/.test(s.archive.lastError ?? ''),
    );

    // Location was already in the database; it is still there.
    expect(await station.call('getLocation')).toMatchObject({ latitude: 39.61, timezone: 'America/Denver' });

    // Every old file is kept as <name>.migrated, none is left under its old name, and no alert was raised.
    for (const f of OLD_FILES) {
      expect(existsSync(join(dataDir, f)), f).toBe(false);
      expect(readFileSync(join(dataDir, `${f}.migrated`), 'utf8')).toBe(readFileSync(join(FIXTURE, f), 'utf8'));
    }
    expect((await station.call('listAlerts')).filter((a) => a.code === 'state_import_failed')).toEqual([]);
    // The database holds the S3 settings now: only its owner may read it.
    expect(statSync(join(dataDir, 'gallery.sqlite')).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('a second start imports nothing again, even when an old file reappears', async () => {
    await station!.call('saveProfileVersion', { profileId: 'ridge-night', settings: { iso_max: 6400 }, note: 'new' });
    await station!.close();
    station = undefined;
    // Someone restores the old profiles.json from a backup: it was imported before, so it is only renamed.
    cpSync(join(FIXTURE, 'profiles.json'), join(dataDir, 'profiles.json'));
    station = await open(dataDir);
    const ridge = await station.call('getProfile', { profileId: 'ridge-night' });
    expect(ridge.history.map((h) => h.version)).toEqual(['1.0.0', '1.1.0', '1.1.1', '1.2.0']);
    expect(ridge.resolved.settings).toMatchObject({ iso_max: 6400 });
    expect((await station.call('exports.list')).map((j) => j.id).sort()).toEqual(Object.values(JOBS).sort());
    expect(existsSync(join(dataDir, 'profiles.json'))).toBe(false);
    expect(readdirSync(dataDir).filter((n) => n.startsWith('profiles.json.migrated'))).toHaveLength(2);
  }, 60_000);
});

describe('a damaged old file', () => {
  let root: string;
  let station: Station | undefined;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'skys-state-damaged-'));
  });
  afterAll(async () => {
    await station?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is reported and left as it is; the station starts with the defaults for it and imports the rest', async () => {
    const dataDir = copyFixture(root);
    const damaged = '{"version":1,"weather":{"provider":"open-meteo"';
    writeFileSync(join(dataDir, 'settings.json'), damaged);
    station = await open(dataDir);

    const alerts = (await station.call('listAlerts')).filter((a) => a.code === 'state_import_failed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.level).toBe('error');
    expect(alerts[0]!.message).toContain(join(dataDir, 'settings.json'));
    expect(alerts[0]!.message).toMatch(/not valid JSON.*default settings.*left as it is/);
    expect(readFileSync(join(dataDir, 'settings.json'), 'utf8')).toBe(damaged);
    expect(existsSync(join(dataDir, 'settings.json.migrated'))).toBe(false);
    const settings = await station.call('getSettings');
    expect(settings.weather.provider).toBe('none');
    expect(settings.file.problem).toMatch(/could not be imported; the defaults are in use/);
    // Everything else came over.
    expect((await station.call('listProfiles')).some((p) => p.profileId === 'ridge-night')).toBe(true);
    expect(await station.call('exports.list')).toHaveLength(3);
  }, 60_000);
});
