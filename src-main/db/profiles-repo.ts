import type { Db } from './database.js';
import { countRows, withParsedJson } from './json-rows.js';

/** One stored profile version: its ids and the whole version as JSON (validated by the profile library). */
export interface ProfileVersionRow {
  profileId: string;
  version: string;
  createdAt: string;
  json: unknown;
}

/** Profile versions, append-only: a version once stored is never changed (history is never rewritten). */
export class ProfilesRepo {
  constructor(private readonly db: Db) {}

  /** Every version, in the order they were saved. */
  all(): ProfileVersionRow[] {
    return withParsedJson(
      this.db
        .prepare<[], { profileId: string; version: string; createdAt: string; json: string }>(
          'SELECT profile_id AS profileId, version, created_at AS createdAt, version_json AS json FROM profile_versions ORDER BY seq',
        )
        .all(),
    );
  }

  count(): number {
    return countRows(this.db, 'profile_versions');
  }

  /** Stores the versions not stored yet (same profile and version: kept as it is), in one transaction; returns how many were new. */
  addMissing(rows: readonly ProfileVersionRow[]): number {
    const stmt = this.db.prepare(
      'INSERT OR IGNORE INTO profile_versions (profile_id, version, created_at, version_json) VALUES (?, ?, ?, ?)',
    );
    let added = 0;
    this.db.transaction(() => {
      for (const r of rows) added += stmt.run(r.profileId, r.version, r.createdAt, JSON.stringify(r.json)).changes;
    })();
    return added;
  }
}
