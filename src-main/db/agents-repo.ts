import type { Db } from './database.js';

export interface AgentRow {
  id: string;
  name: string;
  host: string;
  port: number;
  embedded: boolean;
  cameraModel: string | null;
  lastSeen: string | null;
  addedAt: string;
}

interface RawAgentRow {
  id: string;
  name: string;
  host: string;
  port: number;
  embedded: number;
  camera_model: string | null;
  last_seen: string | null;
  added_at: string;
}

function fromRaw(r: RawAgentRow): AgentRow {
  return {
    id: r.id,
    name: r.name,
    host: r.host,
    port: r.port,
    embedded: r.embedded === 1,
    cameraModel: r.camera_model,
    lastSeen: r.last_seen,
    addedAt: r.added_at,
  };
}

export class AgentsRepo {
  private readonly upsertStmt;
  private readonly allStmt;
  private readonly deleteStmt;
  private readonly seenStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO agents (id, name, host, port, embedded, camera_model, last_seen, added_at)
       VALUES (@id, @name, @host, @port, @embedded, @cameraModel, @lastSeen, @addedAt)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, port = excluded.port,
         embedded = excluded.embedded, camera_model = COALESCE(excluded.camera_model, agents.camera_model)`,
    );
    this.allStmt = db.prepare<[], RawAgentRow>('SELECT * FROM agents ORDER BY added_at, id');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM agents WHERE id = ?');
    this.seenStmt = db.prepare<[string | null, string | null, string]>(
      'UPDATE agents SET last_seen = ?, camera_model = COALESCE(?, camera_model) WHERE id = ?',
    );
  }

  upsert(agent: AgentRow): void {
    this.upsertStmt.run({ ...agent, embedded: agent.embedded ? 1 : 0 });
  }

  all(): AgentRow[] {
    return this.allStmt.all().map(fromRaw);
  }

  remove(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  markSeen(id: string, when: string, cameraModel: string | null): void {
    this.seenStmt.run(when, cameraModel, id);
  }
}
