import type { Db } from './database.js';
import { countRows } from './json-rows.js';

/** Unfinished S3 multipart uploads (upload id and completed parts), by upload id; validated by the archive. */
export class ArchiveUploadsRepo {
  constructor(private readonly db: Db) {}

  all(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.db
      .prepare<[], { id: string; json: string }>('SELECT id, state_json AS json FROM archive_uploads ORDER BY id')
      .all())
      out[r.id] = JSON.parse(r.json) as unknown;
    return out;
  }

  count(): number {
    return countRows(this.db, 'archive_uploads');
  }

  /** Records one upload's state, or with null forgets it. */
  put(id: string, state: unknown): void {
    if (state === null) {
      this.db.prepare('DELETE FROM archive_uploads WHERE id = ?').run(id);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO archive_uploads (id, state_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at`,
      )
      .run(id, JSON.stringify(state), new Date().toISOString());
  }
}
