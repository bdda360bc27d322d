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
  meanBrightness?: number | null;
  clippedHighlights?: number | null;
  clippedShadows?: number | null;
  focusScore?: number | null;
  /** One image of a bracketed set (merged into one frame before export); null for a single capture. */
  bracketGroup?: string | null;
  bracketIndex?: number | null;
  bracketCount?: number | null;
  /** Exposure offset of this image from the set's metered exposure, in stops. */
  bracketEv?: number | null;
  /** 'dark': taken with the lens capped, subtracted from night frames of matching exposure, gain and temperature. */
  frameKind?: 'light' | 'dark';
}

export interface StoredCapture extends CaptureRow {
  rowid: number;
}

export interface CaptureQuery {
  agentId?: string | undefined;
  /** Inclusive ISO instants. */
  from?: string | undefined;
  to?: string | undefined;
  schedule?: string | undefined;
  profile?: string | undefined;
  testId?: string | undefined;
  tag?: string | undefined;
  /** Only lights or only darks (both when missing). */
  frameKind?: 'light' | 'dark' | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  limit: number;
}

const columns = `rowid, agent_id AS agentId, capture_id AS captureId, seq, captured_at AS capturedAt, schedule, profile,
  profile_version AS profileVersion, test_id AS testId, variant, iso, shutter_speed AS shutterSpeed,
  settings_json AS settingsJson, lux, temperature_c AS temperatureC, width, height, size_bytes AS sizeBytes, sha256,
  image_path AS imagePath, thumb_path AS thumbPath, imported_at AS importedAt, mean_brightness AS meanBrightness,
  clipped_highlights AS clippedHighlights, clipped_shadows AS clippedShadows, focus_score AS focusScore,
  bracket_group AS bracketGroup, bracket_index AS bracketIndex, bracket_count AS bracketCount, bracket_ev AS bracketEv,
  frame_kind AS frameKind`;

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
         imported_at, mean_brightness, clipped_highlights, clipped_shadows, focus_score, bracket_group, bracket_index,
         bracket_count, bracket_ev, frame_kind)
       VALUES (@agentId, @captureId, @seq, @capturedAt, @schedule, @profile, @profileVersion, @testId, @variant,
         @iso, @shutterSpeed, @settingsJson, @lux, @temperatureC, @width, @height, @sizeBytes, @sha256, @imagePath,
         @thumbPath, @importedAt, @meanBrightness, @clippedHighlights, @clippedShadows, @focusScore, @bracketGroup,
         @bracketIndex, @bracketCount, @bracketEv, @frameKind)
       ON CONFLICT (agent_id, capture_id) DO NOTHING`,
    );
    this.getStmt = db.prepare<[string, string], StoredCapture>(
      `SELECT ${columns} FROM captures WHERE agent_id = ? AND capture_id = ?`,
    );
    this.countStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM captures');
  }

  /** Insert one capture; returns false when it was already indexed (idempotent). */
  insert(row: CaptureRow): boolean {
    return this.insertStmt.run(withQuality(row)).changes > 0;
  }

  /** Insert many rows in one transaction (ingest). Returns how many were new. */
  insertMany(rows: readonly CaptureRow[]): number {
    let added = 0;
    this.db.transaction(() => {
      for (const row of rows) added += this.insertStmt.run(withQuality(row)).changes;
    })();
    return added;
  }

  /** Insert rows in one transaction (one disk sync); for each row, whether it was new. All or none on failure. */
  insertBatch(rows: readonly CaptureRow[]): boolean[] {
    const added: boolean[] = [];
    this.db.transaction(() => {
      for (const row of rows) added.push(this.insertStmt.run(withQuality(row)).changes > 0);
    })();
    return added;
  }

  /** Tag a capture (idempotent). */
  tag(rowid: number, tag: string): void {
    this.db.prepare('INSERT OR IGNORE INTO capture_tags (capture_rowid, tag) VALUES (?, ?)').run(rowid, tag);
  }

  untag(rowid: number, tag: string): void {
    this.db.prepare('DELETE FROM capture_tags WHERE capture_rowid = ? AND tag = ?').run(rowid, tag);
  }

  tagsOf(rowid: number): string[] {
    return this.db
      .prepare<[number], { tag: string }>('SELECT tag FROM capture_tags WHERE capture_rowid = ? ORDER BY tag')
      .all(rowid)
      .map((r) => r.tag);
  }

  /**
   * A camera's latest light frames, newest first: what it last exposed (dark
   * frames and the off-centre images of bracketed sets left out).
   */
  latestLightFrames(agentId: string, limit = 2): { capturedAt: string; iso: number; shutterSpeed: string }[] {
    return this.db
      .prepare<{ agentId: string; limit: number }, { capturedAt: string; iso: number; shutterSpeed: string }>(
        `SELECT captured_at AS capturedAt, iso, shutter_speed AS shutterSpeed FROM captures
         WHERE agent_id = @agentId AND frame_kind = 'light' AND (bracket_ev IS NULL OR bracket_ev = 0)
         ORDER BY captured_at DESC, rowid DESC LIMIT @limit`,
      )
      .all({ agentId, limit });
  }

  get(agentId: string, captureId: string): StoredCapture | undefined {
    return this.getStmt.get(agentId, captureId);
  }

  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  /**
   * Mark captures as darks (lens capped) or back as lights. Returns the
   * captures that exist (ids not in the gallery are skipped); one transaction.
   */
  setFrameKind(ids: readonly { agentId: string; captureId: string }[], kind: 'light' | 'dark'): StoredCapture[] {
    const stmt = this.db.prepare('UPDATE captures SET frame_kind = ? WHERE agent_id = ? AND capture_id = ?');
    const changed: StoredCapture[] = [];
    this.db.transaction(() => {
      for (const id of ids) {
        if (stmt.run(kind, id.agentId, id.captureId).changes > 0) changed.push(this.get(id.agentId, id.captureId)!);
      }
    })();
    return changed;
  }

  /** Record a capture's quality figures once its thumbnail exists (see DerivativesQueue). */
  setQuality(
    agentId: string,
    captureId: string,
    q: { meanBrightness: number; clippedHighlights: number; clippedShadows: number; focusScore: number },
  ): void {
    this.db
      .prepare(
        `UPDATE captures SET mean_brightness = @meanBrightness, clipped_highlights = @clippedHighlights,
           clipped_shadows = @clippedShadows, focus_score = @focusScore
         WHERE agent_id = @agentId AND capture_id = @captureId`,
      )
      .run({ agentId, captureId, ...q });
  }

  /** Captures indexed without quality figures yet: their thumbnail is still to be made (oldest first). */
  pendingDerivatives(limit: number): StoredCapture[] {
    return this.db
      .prepare<[number], StoredCapture>(
        `SELECT ${columns} FROM captures WHERE mean_brightness IS NULL ORDER BY rowid LIMIT ?`,
      )
      .all(limit);
  }

  page(query: CaptureQuery): { items: StoredCapture[]; nextCursor: string | null } {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: query.limit + 1 };
    if (query.agentId !== undefined) {
      where.push('agent_id = @agentId');
      params['agentId'] = query.agentId;
    }
    const eq = (column: string, key: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} = @${key}`);
      params[key] = value;
    };
    eq('schedule', 'schedule', query.schedule);
    eq('profile', 'profile', query.profile);
    eq('test_id', 'testId', query.testId);
    eq('frame_kind', 'frameKind', query.frameKind);
    if (query.from !== undefined) {
      where.push('captured_at >= @from');
      params['from'] = query.from;
    }
    if (query.to !== undefined) {
      where.push('captured_at <= @to');
      params['to'] = query.to;
    }
    if (query.tag !== undefined) {
      where.push('rowid IN (SELECT capture_rowid FROM capture_tags WHERE tag = @tag)');
      params['tag'] = query.tag;
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

function withQuality(row: CaptureRow): Required<CaptureRow> {
  return {
    ...row,
    meanBrightness: row.meanBrightness ?? null,
    clippedHighlights: row.clippedHighlights ?? null,
    clippedShadows: row.clippedShadows ?? null,
    focusScore: row.focusScore ?? null,
    bracketGroup: row.bracketGroup ?? null,
    bracketIndex: row.bracketIndex ?? null,
    bracketCount: row.bracketCount ?? null,
    bracketEv: row.bracketEv ?? null,
    frameKind: row.frameKind ?? 'light',
  };
}
