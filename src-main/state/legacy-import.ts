/**
 * Station state has one home: the station database (gallery.sqlite). Stations
 * before issue #13 kept part of it in JSON files in the data folder; at every
 * start this module brings over the ones still there, once:
 *
 *   profiles.json          → profile_versions
 *   settings.json          → station_settings "settings"
 *   exports/settings.json  → station_settings "exports.settings"
 *   exports/jobs.json      → export_jobs
 *   archive/uploads.json   → archive_uploads
 *
 * Each file is validated with the schema its old reader used, written in one
 * transaction together with a state_imports row (so it is never imported
 * twice), and then renamed to <name>.migrated: never deleted. A file that
 * cannot be read is left as it is, reported (log, and an alert through the
 * caller), and the station starts with the defaults for that part: nothing is
 * lost, and fixing the file and restarting imports it.
 *
 * Not moved: secrets sealed with the OS keychain or kept 0600 in their own
 * files (agent tokens, settings secrets, the login's password hash), because
 * the keychain seals files, not database rows, and a copy of the database
 * should carry no credential; the station's pairing identity (station.json),
 * which goes with the agent tokens; and the Electron shell's window positions
 * (per computer, not station state). The one secret that does reach the
 * database is an S3 key set through the older exports.setSettings method (as
 * it was in exports/settings.json), so the database file is made 0600.
 */
import { chmodSync, existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { UploadsFileSchema } from '../archive/s3.js';
import { ArchiveUploadsRepo } from '../db/archive-uploads-repo.js';
import type { Db } from '../db/database.js';
import { ExportJobsRepo } from '../db/export-jobs-repo.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { ProfilesRepo } from '../db/profiles-repo.js';
import { StateImportsRepo } from '../db/state-imports-repo.js';
import { JobFileSchema } from '../export/queue.js';
import { EXPORT_SETTINGS_KEY, ExportSettingsFile } from '../export/service.js';
import { JsonFileProfileStore, type ProfileStoreData } from '../profiles/store.js';
import { SETTINGS_FILE, SETTINGS_KEY, SettingsFile } from '../settings/store.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface LegacyImportProblem {
  /** The old file, relative to the data folder. */
  file: string;
  message: string;
}

export interface LegacyImportReport {
  /** Files imported at this start (relative to the data folder). */
  imported: string[];
  /** Files that could not be imported; they are left as they are. */
  problems: LegacyImportProblem[];
}

interface LegacyFile<T> {
  /** Relative to the data folder. */
  file: string;
  /** What it holds, in words, and what the station uses instead when it cannot be read. */
  what: string;
  instead: string;
  read(path: string): Promise<T>;
  /** The database already holds this state (from this version of Skystation). */
  present(): boolean;
  /** Writes it (inside the import's transaction); returns a short summary. */
  write(value: T): string;
}

/** Reads a JSON file and checks it with `schema`; a bad one is an Error naming the first problem. */
async function readJson<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new StationError(
      'state_file_unreadable',
      err instanceof SyntaxError ? 'it is not valid JSON' : errorMessage(err),
    );
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new StationError(
      'state_file_invalid',
      `it has a bad value at ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return r.data;
}

/** A name beside `path` that does not exist yet: <name>.migrated, or with a time when that is taken. */
function migratedName(path: string): string {
  const plain = `${path}.migrated`;
  return existsSync(plain) ? `${plain}-${new Date().toISOString().replace(/[:.]/g, '-')}` : plain;
}

function legacyFiles(db: Db): LegacyFile<unknown>[] {
  const docs = new OrchestrationRepo(db);
  const profiles = new ProfilesRepo(db);
  const jobs = new ExportJobsRepo(db);
  const uploads = new ArchiveUploadsRepo(db);
  const files: [
    LegacyFile<ProfileStoreData>,
    LegacyFile<SettingsFile>,
    LegacyFile<z.output<typeof ExportSettingsFile>>,
    LegacyFile<z.output<typeof JobFileSchema>>,
    LegacyFile<z.output<typeof UploadsFileSchema>>,
  ] = [
    {
      file: 'profiles.json',
      what: 'profile library',
      instead: 'the preset profiles only',
      read: (path) => new JsonFileProfileStore(path).load(),
      present: () => profiles.count() > 0,
      write: (data) => {
        // Each profile's versions oldest first, as the file lists them (the library reads them in that order).
        const versions = Object.values(data.profiles).flat();
        profiles.addMissing(
          versions.map((v) => ({ profileId: v.profile_id, version: v.version, createdAt: v.created_at, json: v })),
        );
        return `${Object.keys(data.profiles).length} profiles, ${versions.length} versions`;
      },
    },
    {
      file: SETTINGS_FILE,
      what: 'station settings (weather, S3 archive)',
      instead: 'the default settings',
      read: (path) => readJson(path, SettingsFile),
      present: () => docs.getSetting(SETTINGS_KEY) !== undefined,
      write: (data) => {
        docs.setSetting(SETTINGS_KEY, data);
        return `weather ${data.weather.provider}, archive ${data.archive ? data.archive.bucket : 'off'}`;
      },
    },
    {
      file: join('exports', 'settings.json'),
      what: 'export settings',
      instead: 'the default export settings',
      read: (path) => readJson(path, ExportSettingsFile),
      present: () => docs.getSetting(EXPORT_SETTINGS_KEY) !== undefined,
      write: (data) => {
        docs.setSetting(EXPORT_SETTINGS_KEY, data);
        return `night products ${data.autoNightProducts ? 'on' : 'off'}`;
      },
    },
    {
      file: join('exports', 'jobs.json'),
      what: 'export job list',
      instead: 'an empty job list',
      read: (path) => readJson(path, JobFileSchema),
      present: () => jobs.count() > 0,
      write: (data) => {
        jobs.replaceAll(data.jobs.map((j) => ({ id: j.id, status: j.status, createdAt: j.createdAt, json: j })));
        return `${data.jobs.length} jobs`;
      },
    },
    {
      file: join('archive', 'uploads.json'),
      what: 'unfinished S3 uploads',
      instead: 'no unfinished uploads (they start over when queued again)',
      read: (path) => readJson(path, UploadsFileSchema),
      present: () => uploads.count() > 0,
      write: (data) => {
        for (const [id, state] of Object.entries(data.uploads)) uploads.put(id, state);
        return `${Object.keys(data.uploads).length} uploads`;
      },
    },
  ];
  return files;
}

/** The database holds settings and an S3 key: only its owner may read it (SQLite gives its -wal and -shm the same mode). */
function restrictToOwner(db: Db, log: Logger): void {
  for (const path of [db.name, `${db.name}-wal`, `${db.name}-shm`]) {
    try {
      if (existsSync(path)) chmodSync(path, 0o600);
    } catch (err) {
      log.warn({ file: path, err: errorMessage(err) }, 'state: could not make the database private (0600)');
    }
  }
}

/** Imports the old JSON state files still in `dataDir` (see the top of this file). Never throws for a bad file. */
export async function importLegacyState(o: { db: Db; dataDir: string; log: Logger }): Promise<LegacyImportReport> {
  if (o.db.name !== ':memory:') restrictToOwner(o.db, o.log);
  const imports = new StateImportsRepo(o.db);
  const report: LegacyImportReport = { imported: [], problems: [] };
  for (const step of legacyFiles(o.db)) {
    const path = join(o.dataDir, step.file);
    if (!existsSync(path)) continue;
    let summary: string | null;
    try {
      if (imports.imported(step.file)) {
        // Imported at an earlier start whose rename did not happen: finish it below, never import again.
        summary = null;
      } else if (step.present()) {
        o.log.warn(
          { file: path },
          `state: ${step.file} was not imported: the database already holds the ${step.what}; the file is left as it is`,
        );
        continue;
      } else {
        const value = await step.read(path);
        summary = imports.importOnce(step.file, () => step.write(value));
      }
    } catch (err) {
      const message = `The ${step.what} in ${path}, from an earlier Skystation, could not be imported (${errorMessage(err)}); Skystation started with ${step.instead}. The file is left as it is: fix it or move it away, then restart.`;
      report.problems.push({ file: step.file, message });
      o.log.error({ file: path, err: errorMessage(err) }, 'state: an old state file could not be imported');
      continue;
    }
    if (summary !== null) {
      report.imported.push(step.file);
      o.log.info({ file: path, summary }, `state: imported the ${step.what} into the database`);
    }
    try {
      await rename(path, migratedName(path));
    } catch (err) {
      // Imported (recorded in state_imports): the next start renames it, and never imports it again.
      o.log.warn({ file: path, err: errorMessage(err) }, 'state: could not rename an imported file to .migrated');
    }
  }
  return report;
}
