import type { AgentState } from '../api/contract.js';
import type { Db } from './database.js';

/** How the station first learnt of an agent. */
export type AgentSource = 'manual' | 'mdns' | 'embedded';

export interface AgentRow {
  id: string;
  name: string;
  host: string;
  port: number;
  embedded: boolean;
  cameraModel: string | null;
  lastSeen: string | null;
  addedAt: string;
  source?: AgentSource;
  /** sha256 fingerprint of the agent's TLS certificate ("AB:CD:…"), pinned when paired; null without TLS. */
  tlsFingerprint?: string | null;
  /** When the station last paired with it (null: never, e.g. added with a token). */
  pairedAt?: string | null;
  /** The last state the station saw, shown until the first poll after a restart. */
  state?: AgentState;
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
  source: string;
  tls_fingerprint: string | null;
  paired_at: string | null;
  state: string;
}

const STATES: readonly AgentState[] = ['discovered', 'unpaired', 'paired', 'online', 'offline'];
const SOURCES: readonly AgentSource[] = ['manual', 'mdns', 'embedded'];

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
    source: SOURCES.includes(r.source as AgentSource) ? (r.source as AgentSource) : 'manual',
    tlsFingerprint: r.tls_fingerprint,
    pairedAt: r.paired_at,
    state: STATES.includes(r.state as AgentState) ? (r.state as AgentState) : 'offline',
  };
}

/** The agents the station tracks (added by address, paired, or the embedded one). Only db/ touches SQLite. */
export class AgentsRepo {
  private readonly upsertStmt;
  private readonly allStmt;
  private readonly deleteStmt;
  private readonly seenStmt;
  private readonly stateStmt;
  private readonly pairedStmt;
  private readonly addressStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO agents (id, name, host, port, embedded, camera_model, last_seen, added_at, source, tls_fingerprint,
         paired_at, state)
       VALUES (@id, @name, @host, @port, @embedded, @cameraModel, @lastSeen, @addedAt, @source, @tlsFingerprint,
         @pairedAt, @state)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, port = excluded.port,
         embedded = excluded.embedded, camera_model = COALESCE(excluded.camera_model, agents.camera_model),
         last_seen = COALESCE(excluded.last_seen, agents.last_seen),
         tls_fingerprint = COALESCE(excluded.tls_fingerprint, agents.tls_fingerprint),
         paired_at = COALESCE(excluded.paired_at, agents.paired_at), state = excluded.state`,
    );
    this.allStmt = db.prepare<[], RawAgentRow>('SELECT * FROM agents ORDER BY added_at, id');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM agents WHERE id = ?');
    this.seenStmt = db.prepare<[string | null, string | null, string]>(
      'UPDATE agents SET last_seen = ?, camera_model = COALESCE(?, camera_model) WHERE id = ?',
    );
    this.stateStmt = db.prepare<[string, string]>('UPDATE agents SET state = ? WHERE id = ?');
    this.pairedStmt = db.prepare<[string, string | null, string]>(
      'UPDATE agents SET paired_at = ?, tls_fingerprint = ? WHERE id = ?',
    );
    this.addressStmt = db.prepare<[string, number, string]>('UPDATE agents SET host = ?, port = ? WHERE id = ?');
  }

  upsert(agent: AgentRow): void {
    this.upsertStmt.run({
      ...agent,
      embedded: agent.embedded ? 1 : 0,
      source: agent.source ?? (agent.embedded ? 'embedded' : 'manual'),
      tlsFingerprint: agent.tlsFingerprint ?? null,
      pairedAt: agent.pairedAt ?? null,
      state: agent.state ?? 'offline',
    });
  }

  all(): AgentRow[] {
    return this.allStmt.all().map(fromRaw);
  }

  get(id: string): AgentRow | undefined {
    return this.all().find((a) => a.id === id);
  }

  remove(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  markSeen(id: string, when: string, cameraModel: string | null): void {
    this.seenStmt.run(when, cameraModel, id);
  }

  setState(id: string, state: AgentState): void {
    this.stateStmt.run(state, id);
  }

  /** Records a pairing: when, and the certificate fingerprint to pin (null: the agent has no TLS). */
  markPaired(id: string, when: string, tlsFingerprint: string | null): void {
    this.pairedStmt.run(when, tlsFingerprint, id);
  }

  /** The agent moved (DHCP gave it another address); mDNS told us where it is now. */
  setAddress(id: string, host: string, port: number): void {
    this.addressStmt.run(host, port, id);
  }
}
