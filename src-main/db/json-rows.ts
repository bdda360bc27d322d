import type { Db } from './database.js';

/** Rows whose `json` column holds a JSON document, with the document parsed (validated by their owner). */
export function withParsedJson<R extends { json: string }>(
  rows: readonly R[],
): (Omit<R, 'json'> & { json: unknown })[] {
  return rows.map((r) => ({ ...r, json: JSON.parse(r.json) as unknown }));
}

/** How many rows a state table holds (the import at start asks whether the database already has that state). */
export function countRows(db: Db, table: 'profile_versions' | 'export_jobs' | 'archive_uploads'): number {
  return db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
}
