import type { Db } from './database.js';

export interface CaptureRow {
  agentId: string;
  captureId: string;
  seq: number;
  capturedAt: string;
  schedule: string | null;
  profile: string | null;
  profileVersion: string | null;
  testId: string | null;
  variant: string | null;
  iso: number;
  shutterSpeed: string;
  settingsJson: string;
  lux: number | null;
  temperatureC: number | null;
  width: number;
  height: number;
  sizeBytes: number;
  sha256: string;
  imagePath: string;
  thumbPath: string;
  importedAt: string;
}

export interface StoredCapture extends CaptureRow {
  rowid: number;
}

export interface CaptureQuery {
  agentId?: string | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  limit: number;
}

const columns = `rowid, agent_id AS agentId, capture_id AS captureId, seq, captured_at AS capturedAt, schedule, profile,
  profile_version AS profileVersion, test_id AS testId, variant, iso, shutter_speed AS shutterSpeed,
  settings_json AS settingsJson, lux, temperature_c AS temperatureC, width, height, size_bytes AS sizeBytes, sha256,
  image_path AS imagePath, thumb_path AS thumbPath, imported_at AS importedAt`;

/** Cursor = "<captured_at>|<rowid>" of the last row of the previous page (newest first). */
export function encodeCursor(row: { capturedAt: string; rowid: number }): string {
  return Buffer.from(`${row.capturedAt}|${row.rowid}`).toString('base64url');
}

export function decodeCursor(cursor: string): { capturedAt: string; rowid: number } | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.lastIndexOf('|');
  if (bar <= 0) return null;
  const rowid = Number(text.slice(bar + 1));
  if (!Number.isSafeInteger(rowid)) return null;
  return { capturedAt: text.slice(0, bar), rowid };
}

export class CapturesRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly countStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO captures (agent_id, capture_id, seq, captured_at, schedule, profile, profile_version, test_id, variant,
         iso, shutter_speed, settings_json, lux, temperature_c, width, height, size_bytes, sha256, image_path, thumb_path,
         imported_at)
       VALUES (@agentId, @captureId, @seq, @capturedAt, @schedule, @profile, @profileVersion, @testId, @variant,
         @iso, @shutterSpeed, @settingsJson, @lux, @temperatureC, @width, @height, @sizeBytes, @sha256, @imagePath,
         @thumbPath, @importedAt)
       ON CONFLICT (agent_id, capture_id) DO NOTHING`,
    );
    this.getStmt = db.prepare<[string, string], StoredCapture>(
      `SELECT ${columns} FROM captures WHERE agent_id = ? AND capture_id = ?`,
    );
    this.countStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM captures');
  }

  /** Insert one capture; returns false when it was already indexed (idempotent). */
  insert(row: CaptureRow): boolean {
    return this.insertStmt.run(row).changes > 0;
  }

  /** Insert many rows in one transaction (ingest). Returns how many were new. */
  insertMany(rows: readonly CaptureRow[]): number {
    let added = 0;
    this.db.transaction(() => {
      for (const row of rows) added += this.insertStmt.run(row).changes;
    })();
    return added;
  }

  get(agentId: string, captureId: string): StoredCapture | undefined {
    return this.getStmt.get(agentId, captureId);
  }

  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  page(query: CaptureQuery): { items: StoredCapture[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: query.limit + 1 };
    if (query.agentId !== undefined) {
      where.push('agent_id = @agentId');
      params['agentId'] = query.agentId;
    }
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (c !== null) {
        where.push('(captured_at < @cAt OR (captured_at = @cAt AND rowid < @cRow))');
        params['cAt'] = c.capturedAt;
        params['cRow'] = c.rowid;
      }
    }
    const sql = `SELECT ${columns} FROM captures ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY captured_at DESC, rowid DESC LIMIT @limit`;
    const rows = this.db.prepare<Record<string, string | number>, StoredCapture>(sql).all(params);
    const more = rows.length > query.limit;
    const items = more ? rows.slice(0, query.limit) : rows;
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor(last) : null };
  }
}
