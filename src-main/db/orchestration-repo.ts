/**
 * Orchestration state in the gallery database (migration 3): the location,
 * schedules, camera assignments, deployments, override tests and alerts.
 * Values that have a zod schema are stored as JSON and validated on read by
 * the caller (src-main/orchestration).
 */
import type { AlertView, DeploymentView } from '../api/orchestration.js';
import type { Db } from './database.js';

export interface AssignmentRow {
  cameraId: string;
  agentId: string | null;
  host: string;
  port: number;
  site: string | null;
  profileId: string | null;
  schedules: string[];
}

/** A camera's deployment as stored, which is what the API shows. */
export type DeploymentRow = DeploymentView;

export interface TestRow {
  id: string;
  createdAt: string;
  finishedAt: string | null;
  status: 'running' | 'done' | 'failed';
  specJson: string;
  failuresJson: string;
}

/** An alert as stored: its view, the key that folds repeats into it, and an acknowledgement older rows lack. */
export interface AlertRow extends Omit<AlertView, 'acknowledgedAt'> {
  dedupeKey: string | null;
  /** When an operator acknowledged it (seen, being handled); null until then. */
  acknowledgedAt?: string | null;
}

export class OrchestrationRepo {
  constructor(private readonly db: Db) {}

  // ------------------------------------------------------------ settings

  getSetting(key: string): unknown {
    const row = this.db
      .prepare<[string], { value_json: string }>('SELECT value_json FROM station_settings WHERE key = ?')
      .get(key);
    return row ? (JSON.parse(row.value_json) as unknown) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO station_settings (key, value_json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json',
      )
      .run(key, JSON.stringify(value));
  }

  // ------------------------------------------------------------ schedules

  schedules(): { name: string; definition: unknown }[] {
    return this.db
      .prepare<[], { name: string; definition_json: string }>(
        'SELECT name, definition_json FROM schedules ORDER BY name',
      )
      .all()
      .map((r) => ({ name: r.name, definition: JSON.parse(r.definition_json) as unknown }));
  }

  putSchedule(name: string, definition: unknown, now: string): void {
    this.db
      .prepare(
        `INSERT INTO schedules (name, definition_json, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET definition_json = excluded.definition_json, updated_at = excluded.updated_at`,
      )
      .run(name, JSON.stringify(definition), now);
  }

  deleteSchedule(name: string): boolean {
    return this.db.prepare('DELETE FROM schedules WHERE name = ?').run(name).changes > 0;
  }

  // ------------------------------------------------------------ assignments

  assignments(): AssignmentRow[] {
    return this.db
      .prepare<
        [],
        {
          camera_id: string;
          agent_id: string | null;
          host: string;
          port: number;
          site: string | null;
          profile_id: string | null;
          schedules_json: string;
        }
      >(
        'SELECT camera_id, agent_id, host, port, site, profile_id, schedules_json FROM camera_assignments ORDER BY camera_id',
      )
      .all()
      .map((r) => ({
        cameraId: r.camera_id,
        agentId: r.agent_id,
        host: r.host,
        port: r.port,
        site: r.site,
        profileId: r.profile_id,
        schedules: JSON.parse(r.schedules_json) as string[],
      }));
  }

  putAssignment(a: AssignmentRow, now: string): void {
    this.db
      .prepare(
        `INSERT INTO camera_assignments (camera_id, agent_id, host, port, site, profile_id, schedules_json, updated_at)
         VALUES (@cameraId, @agentId, @host, @port, @site, @profileId, @schedules, @now)
         ON CONFLICT (camera_id) DO UPDATE SET agent_id = excluded.agent_id, host = excluded.host, port = excluded.port,
           site = excluded.site, profile_id = excluded.profile_id, schedules_json = excluded.schedules_json,
           updated_at = excluded.updated_at`,
      )
      .run({ ...a, schedules: JSON.stringify(a.schedules), now });
  }

  /** Replace schedules, assignments and (optionally) the location in one transaction (config import). */
  replaceConfig(
    location: unknown,
    schedules: Record<string, unknown>,
    assignments: readonly AssignmentRow[],
    now: string,
  ): void {
    this.db.transaction(() => {
      this.setSetting('location', location);
      this.db.prepare('DELETE FROM schedules').run();
      for (const [name, def] of Object.entries(schedules)) this.putSchedule(name, def, now);
      this.db.prepare('DELETE FROM camera_assignments').run();
      for (const a of assignments) this.putAssignment(a, now);
    })();
  }

  // ------------------------------------------------------------ deployments

  deployments(): DeploymentRow[] {
    return this.db
      .prepare<[], DeploymentRow>(
        `SELECT agent_id AS agentId, profile_id AS profileId, version, status, deployed_at AS deployedAt, horizon,
           windows, error, redeploys FROM deployments ORDER BY agent_id`,
      )
      .all();
  }

  putDeployment(d: DeploymentRow): void {
    this.db
      .prepare(
        `INSERT INTO deployments (agent_id, profile_id, version, status, deployed_at, horizon, windows, error, redeploys)
         VALUES (@agentId, @profileId, @version, @status, @deployedAt, @horizon, @windows, @error, @redeploys)
         ON CONFLICT (agent_id) DO UPDATE SET profile_id = excluded.profile_id, version = excluded.version,
           status = excluded.status, deployed_at = excluded.deployed_at, horizon = excluded.horizon,
           windows = excluded.windows, error = excluded.error, redeploys = excluded.redeploys`,
      )
      .run(d);
  }

  // ------------------------------------------------------------ tests

  putTest(t: TestRow): void {
    this.db
      .prepare(
        `INSERT INTO ab_tests (id, created_at, finished_at, status, spec_json, failures_json)
         VALUES (@id, @createdAt, @finishedAt, @status, @specJson, @failuresJson)
         ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,
           failures_json = excluded.failures_json`,
      )
      .run(t);
  }

  test(id: string): TestRow | undefined {
    return this.db
      .prepare<[string], TestRow>(
        `SELECT id, created_at AS createdAt, finished_at AS finishedAt, status, spec_json AS specJson,
           failures_json AS failuresJson FROM ab_tests WHERE id = ?`,
      )
      .get(id);
  }

  tests(limit = 100): TestRow[] {
    return this.db
      .prepare<[number], TestRow>(
        `SELECT id, created_at AS createdAt, finished_at AS finishedAt, status, spec_json AS specJson,
           failures_json AS failuresJson FROM ab_tests ORDER BY created_at DESC LIMIT ?`,
      )
      .all(limit);
  }

  /** Per-variant rows of a test's captures with their quality figures. */
  testCaptures(testId: string): {
    agentId: string;
    captureId: string;
    capturedAt: string;
    variant: string | null;
    iso: number;
    shutterSpeed: string;
    thumbPath: string;
    imagePath: string;
    meanBrightness: number | null;
    clippedHighlights: number | null;
    clippedShadows: number | null;
    focusScore: number | null;
  }[] {
    return this.db
      .prepare(
        `SELECT agent_id AS agentId, capture_id AS captureId, captured_at AS capturedAt, variant, iso,
           shutter_speed AS shutterSpeed, thumb_path AS thumbPath, image_path AS imagePath, mean_brightness AS meanBrightness,
           clipped_highlights AS clippedHighlights, clipped_shadows AS clippedShadows, focus_score AS focusScore
         FROM captures WHERE test_id = ? ORDER BY captured_at, rowid`,
      )
      .all(testId) as ReturnType<OrchestrationRepo['testCaptures']>;
  }

  /** Newest capture time per agent. */
  lastCaptureTimes(): Map<string, string> {
    const rows = this.db
      .prepare<[], { agentId: string; last: string }>(
        'SELECT agent_id AS agentId, MAX(captured_at) AS last FROM captures GROUP BY agent_id',
      )
      .all();
    return new Map(rows.map((r) => [r.agentId, r.last]));
  }

  // ------------------------------------------------------------ alerts

  /** Insert an alert unless an unresolved one with the same key exists; returns the new row or null. */
  raiseAlert(a: Omit<AlertRow, 'id' | 'resolvedAt'>): AlertRow | null {
    return this.db.transaction((): AlertRow | null => {
      if (a.dedupeKey !== null) {
        const open = this.db
          .prepare<[string], { id: number }>('SELECT id FROM alerts WHERE dedupe_key = ? AND resolved_at IS NULL')
          .get(a.dedupeKey);
        if (open) return null;
      }
      const r = this.db
        .prepare(
          `INSERT INTO alerts (time, level, code, message, agent_id, dedupe_key) VALUES (@time, @level, @code, @message,
             @agentId, @dedupeKey)`,
        )
        .run(a);
      return { ...a, id: Number(r.lastInsertRowid), resolvedAt: null, acknowledgedAt: null };
    })();
  }

  /** Resolve the open alert with this key; true when one was open. */
  resolveAlert(dedupeKey: string, at: string): boolean {
    return (
      this.db
        .prepare('UPDATE alerts SET resolved_at = ? WHERE dedupe_key = ? AND resolved_at IS NULL')
        .run(at, dedupeKey).changes > 0
    );
  }

  alerts(limit: number): AlertRow[] {
    return this.db
      .prepare<[number], AlertRow>(
        `SELECT id, time, level, code, message, agent_id AS agentId, dedupe_key AS dedupeKey, resolved_at AS resolvedAt,
           acknowledged_at AS acknowledgedAt
         FROM alerts ORDER BY id DESC LIMIT ?`,
      )
      .all(limit);
  }

  alert(id: number): AlertRow | null {
    return (
      this.db
        .prepare<[number], AlertRow>(
          `SELECT id, time, level, code, message, agent_id AS agentId, dedupe_key AS dedupeKey,
             resolved_at AS resolvedAt, acknowledged_at AS acknowledgedAt
           FROM alerts WHERE id = ?`,
        )
        .get(id) ?? null
    );
  }

  /** An operator marks one alert seen (acknowledged) or dealt with (resolved); the first time counts. */
  markAlert(id: number, mark: 'acknowledged' | 'resolved', at: string): AlertRow | null {
    const column = mark === 'acknowledged' ? 'acknowledged_at' : 'resolved_at';
    this.db.prepare(`UPDATE alerts SET ${column} = COALESCE(${column}, ?) WHERE id = ?`).run(at, id);
    if (mark === 'resolved') {
      this.db.prepare('UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, ?) WHERE id = ?').run(at, id);
    }
    return this.alert(id);
  }
}
