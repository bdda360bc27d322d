import type { Db } from './database.js';

/** Which old JSON state files were imported into the database (each at most once). */
export class StateImportsRepo {
  constructor(private readonly db: Db) {}

  imported(file: string): { importedAt: string; summary: string } | null {
    return (
      this.db
        .prepare<[string], { importedAt: string; summary: string }>(
          'SELECT imported_at AS importedAt, summary FROM state_imports WHERE file = ?',
        )
        .get(file) ?? null
    );
  }

  /**
   * Runs `write` (which returns a summary of what it wrote) and records the
   * import of `file` in one transaction: both happen or neither. Returns the
   * summary, or null (and writes nothing) when the file was imported before.
   */
  importOnce(file: string, write: () => string): string | null {
    return this.db.transaction((): string | null => {
      if (this.imported(file)) return null;
      const summary = write();
      this.db
        .prepare('INSERT INTO state_imports (file, imported_at, summary) VALUES (?, ?, ?)')
        .run(file, new Date().toISOString(), summary);
      return summary;
    })();
  }
}
