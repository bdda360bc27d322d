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
  /** Null when not known: a capture reconciled after an agent crash whose file and journal did not tell. */
  iso: number | null;
  shutterSpeed: string | null;
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
  /** Found on the agent after a crash without its journal row: its settings hold only what is known. */
  reconciled?: boolean;
}

export interface StoredCapture extends Omit<CaptureRow, 'reconciled'> {
  rowid: number;
  /** 1 when reconciled (see CaptureRow), as SQLite returns it. */
  reconciled: 0 | 1;
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
  /** Any of these cameras (with agentId, both must match). */
  agentIds?: readonly string[] | undefined;
  /** An A/B test's variant ("a", "b"). */
  variant?: string | undefined;
  /** 'only': images of bracketed sets; 'exclude': single captures only. */
  brackets?: 'only' | 'exclude' | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  limit: number;
}

/** The filters of a CaptureQuery, without paging. */
export type CaptureFilter = Omit<CaptureQuery, 'cursor' | 'limit'>;

/** One night of the gallery: its local date (the evening's), how many captures match and their time span. */
export interface NightGroup {
  night: string;
  count: number;
  newest: string;
  oldest: string;
}

/** WHERE clause and parameters for a filter (shared by every gallery query). */
function filterSql(query: CaptureFilter): { where: string[]; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  const eq = (column: string, key: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(`${column} = @${key}`);
    params[key] = value;
  };
  eq('agent_id', 'agentId', query.agentId);
  eq('schedule', 'schedule', query.schedule);
  eq('profile', 'profile', query.profile);
  eq('test_id', 'testId', query.testId);
  eq('variant', 'variant', query.variant);
  eq('frame_kind', 'frameKind', query.frameKind);
  if (query.agentIds !== undefined && query.agentIds.length > 0) {
    const keys = query.agentIds.map((id, i) => {
      params[`agent${i}`] = id;
      return `@agent${i}`;
    });
    where.push(`agent_id IN (${keys.join(', ')})`);
  }
  if (query.brackets === 'only') where.push('bracket_group IS NOT NULL');
  if (query.brackets === 'exclude') where.push('bracket_group IS NULL');
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
  return { where, params };
}

const whereText = (where: readonly string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');

const columns = `rowid, agent_id AS agentId, capture_id AS captureId, seq, captured_at AS capturedAt, schedule, profile,
  profile_version AS profileVersion, test_id AS testId, variant, iso, shutter_speed AS shutterSpeed,
  settings_json AS settingsJson, lux, temperature_c AS temperatureC, width, height, size_bytes AS sizeBytes, sha256,
  image_path AS imagePath, thumb_path AS thumbPath, imported_at AS importedAt, mean_brightness AS meanBrightness,
  clipped_highlights AS clippedHighlights, clipped_shadows AS clippedShadows, focus_score AS focusScore,
  bracket_group AS bracketGroup, bracket_index AS bracketIndex, bracket_count AS bracketCount, bracket_ev AS bracketEv,
  frame_kind AS frameKind, reconciled`;

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
         bracket_count, bracket_ev, frame_kind, reconciled)
       VALUES (@agentId, @captureId, @seq, @capturedAt, @schedule, @profile, @profileVersion, @testId, @variant,
         @iso, @shutterSpeed, @settingsJson, @lux, @temperatureC, @width, @height, @sizeBytes, @sha256, @imagePath,
         @thumbPath, @importedAt, @meanBrightness, @clippedHighlights, @clippedShadows, @focusScore, @bracketGroup,
         @bracketIndex, @bracketCount, @bracketEv, @frameKind, @reconciled)
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
   * frames, the off-centre images of bracketed sets and frames of unknown settings left out).
   */
  latestLightFrames(agentId: string, limit = 2): { capturedAt: string; iso: number; shutterSpeed: string }[] {
    return this.db
      .prepare<{ agentId: string; limit: number }, { capturedAt: string; iso: number; shutterSpeed: string }>(
        `SELECT captured_at AS capturedAt, iso, shutter_speed AS shutterSpeed FROM captures
         WHERE agent_id = @agentId AND frame_kind = 'light' AND (bracket_ev IS NULL OR bracket_ev = 0)
           AND iso IS NOT NULL AND shutter_speed IS NOT NULL
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
    const { where, params } = filterSql(query);
    params['limit'] = query.limit + 1;
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (c !== null) {
        where.push('(captured_at < @cAt OR (captured_at = @cAt AND rowid < @cRow))');
        params['cAt'] = c.capturedAt;
        params['cRow'] = c.rowid;
      }
    }
    const sql = `SELECT ${columns} FROM captures ${whereText(where)}
      ORDER BY captured_at DESC, rowid DESC LIMIT @limit`;
    const rows = this.db.prepare<Record<string, string | number>, StoredCapture>(sql).all(params);
    const more = rows.length > query.limit;
    const items = more ? rows.slice(0, query.limit) : rows;
    const last = items.at(-1);
    return { items, nextCursor: more && last ? encodeCursor(last) : null };
  }

  /**
   * Rows `offset` … `offset + limit - 1` of a filter, newest first: random
   * access for a virtualised grid. The gallery narrows `from`/`to` to one night
   * first (see nights), so the offset stays within a night's captures.
   */
  pageAt(filter: CaptureFilter, offset: number, limit: number): StoredCapture[] {
    const { where, params } = filterSql(filter);
    params['limit'] = limit;
    params['offset'] = offset;
    const sql = `SELECT ${columns} FROM captures ${whereText(where)}
      ORDER BY captured_at DESC, rowid DESC LIMIT @limit OFFSET @offset`;
    return this.db.prepare<Record<string, string | number>, StoredCapture>(sql).all(params);
  }

  /**
   * The matching captures grouped by night, newest night first. A night is the
   * local date of the evening it starts: capture time + utcOffsetMinutes − 12 h
   * (a capture at 02:00 local belongs to the previous day's night).
   */
  nights(filter: CaptureFilter, utcOffsetMinutes: number): NightGroup[] {
    const { where, params } = filterSql(filter);
    // Hour buckets are a prefix of the stored UTC time (cheap, and read from the time index alone);
    // nights are then folded from at most 24 buckets a day here. A zone whose offset is not whole hours
    // (India +5:30, Nepal +5:45, Newfoundland -3:30) puts local noon inside an hour: quarter-hour buckets there.
    const quarter = Math.round(utcOffsetMinutes) % 60 !== 0;
    const bucket = quarter
      ? `substr(captured_at, 1, 14) || printf('%02d', (CAST(substr(captured_at, 15, 2) AS INTEGER) / 15) * 15)`
      : 'substr(captured_at, 1, 13)';
    const sql = `SELECT ${bucket} AS hour, COUNT(*) AS count, MAX(captured_at) AS newest,
        MIN(captured_at) AS oldest
      FROM captures ${whereText(where)} GROUP BY hour ORDER BY hour DESC`;
    const hours = this.db
      .prepare<Record<string, string | number>, { hour: string; count: number; newest: string; oldest: string }>(sql)
      .all(params);
    const shiftMs = (Math.round(utcOffsetMinutes) - 720) * 60_000;
    const out: NightGroup[] = [];
    for (const h of hours) {
      const t = Date.parse(quarter ? `${h.hour}:00Z` : `${h.hour}:00:00Z`);
      const night = Number.isNaN(t) ? h.hour.slice(0, 10) : new Date(t + shiftMs).toISOString().slice(0, 10);
      const last = out.at(-1);
      if (last && last.night === night) {
        last.count += h.count;
        if (h.oldest < last.oldest) last.oldest = h.oldest;
        if (h.newest > last.newest) last.newest = h.newest;
      } else out.push({ night, count: h.count, newest: h.newest, oldest: h.oldest });
    }
    return out;
  }

  /** How many captures match a filter. */
  countWhere(filter: CaptureFilter): number {
    const { where, params } = filterSql(filter);
    return (
      this.db
        .prepare<Record<string, string | number>, { n: number }>(
          `SELECT COUNT(*) AS n FROM captures ${whereText(where)}`,
        )
        .get(params)?.n ?? 0
    );
  }

  /** Tags of many captures at once (a page), by rowid. */
  tagsFor(rowids: readonly number[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    if (rowids.length === 0) return out;
    const rows = this.db
      .prepare<number[], { rowid: number; tag: string }>(
        `SELECT capture_rowid AS rowid, tag FROM capture_tags WHERE capture_rowid IN (${rowids.map(() => '?').join(',')})
         ORDER BY tag`,
      )
      .all(...rowids);
    for (const r of rows) {
      const list = out.get(r.rowid);
      if (list) list.push(r.tag);
      else out.set(r.rowid, [r.tag]);
    }
    return out;
  }

  /** The values the gallery's filters offer: cameras, schedules, profiles, tests and variants, tags. */
  facets(): {
    agentIds: string[];
    schedules: string[];
    profiles: string[];
    tests: string[];
    tags: string[];
  } {
    const distinct = (sql: string): string[] =>
      this.db
        .prepare<[], { v: string }>(sql)
        .all()
        .map((r) => r.v);
    return {
      agentIds: distinct('SELECT DISTINCT agent_id AS v FROM captures ORDER BY v'),
      schedules: distinct('SELECT DISTINCT schedule AS v FROM captures WHERE schedule IS NOT NULL ORDER BY v'),
      profiles: distinct('SELECT DISTINCT profile AS v FROM captures WHERE profile IS NOT NULL ORDER BY v'),
      tests: distinct('SELECT DISTINCT test_id AS v FROM captures WHERE test_id IS NOT NULL ORDER BY v'),
      tags: distinct('SELECT DISTINCT tag AS v FROM capture_tags ORDER BY v'),
    };
  }

  /** Remove captures (and their tags) from the index in one transaction; returns the rows removed. */
  deleteMany(ids: readonly { agentId: string; captureId: string }[]): StoredCapture[] {
    const removed: StoredCapture[] = [];
    const delTags = this.db.prepare('DELETE FROM capture_tags WHERE capture_rowid = ?');
    const del = this.db.prepare('DELETE FROM captures WHERE rowid = ?');
    this.db.transaction(() => {
      for (const id of ids) {
        const row = this.get(id.agentId, id.captureId);
        if (!row) continue;
        delTags.run(row.rowid);
        del.run(row.rowid);
        removed.push(row);
      }
    })();
    return removed;
  }
}

function withQuality(row: CaptureRow): Required<Omit<CaptureRow, 'reconciled'>> & { reconciled: 0 | 1 } {
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
    reconciled: row.reconciled === true ? 1 : 0,
  };
}
