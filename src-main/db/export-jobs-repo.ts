import type { Db } from './database.js';
import { countRows, withParsedJson } from './json-rows.js';

/** One export job as stored: its id, status and creation time, and the whole job as JSON (validated by the queue). */
export interface ExportJobRow {
  id: string;
  status: string;
  createdAt: string;
  json: unknown;
}

/** The export queue's job list, in queue order. */
export class ExportJobsRepo {
  constructor(private readonly db: Db) {}

  all(): ExportJobRow[] {
    return withParsedJson(
      this.db
        .prepare<[], { id: string; status: string; createdAt: string; json: string }>(
          'SELECT id, status, created_at AS createdAt, job_json AS json FROM export_jobs ORDER BY seq',
        )
        .all(),
    );
  }

  count(): number {
    return countRows(this.db, 'export_jobs');
  }

  /** The list becomes exactly `jobs`, in this order, in one transaction. */
  replaceAll(jobs: readonly ExportJobRow[]): void {
    const insert = this.db.prepare(
      'INSERT INTO export_jobs (seq, id, status, created_at, job_json) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM export_jobs').run();
      jobs.forEach((j, i) => insert.run(i + 1, j.id, j.status, j.createdAt, JSON.stringify(j.json)));
    })();
  }
}
