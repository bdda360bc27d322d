/** A real orchestration database, alert center and profile library with a fleet of plain-object cameras (the orchestration services' specs). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AgentClient } from '../../src-main/agents/agent-client.js';
import { AlertCenter } from '../../src-main/alerts/center.js';
import type { AgentView, StationEvent } from '../../src-main/api/contract.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { OrchestrationRepo } from '../../src-main/db/orchestration-repo.js';
import { MemoryProfileStore, ProfileLibrary } from '../../src-main/profiles/store.js';
import type { FleetAccess } from '../../src-main/orchestration/common.js';
import { AssignmentsService } from '../../src-main/orchestration/assignments-service.js';
import { LocationService } from '../../src-main/orchestration/location-service.js';

export const DENVER = { latitude: 39.609573, longitude: -105.314163, timezone: 'America/Denver' };
/** Noon in Denver on midsummer's day. */
export const NOON = new Date('2025-06-21T18:00:00Z');

export function agentView(id: string, o: Partial<AgentView> = {}): AgentView {
  return { id, name: id, host: '127.0.0.1', port: 9000 + id.length, state: 'online', ...o } as AgentView;
}

export interface OrchestrationBed {
  db: Db;
  repo: OrchestrationRepo;
  alerts: AlertCenter;
  events: StationEvent[];
  profiles: ProfileLibrary;
  views: AgentView[];
  clients: Map<string, AgentClient>;
  fleet: FleetAccess;
  places: LocationService;
  assignments: AssignmentsService;
  log: pino.Logger;
  now: () => Date;
  close(): void;
}

export function orchestrationBed(now: () => Date = () => NOON): OrchestrationBed {
  const dir = mkdtempSync(join(tmpdir(), 'skys-orch-svc-'));
  const db = openDatabase(join(dir, 'gallery.sqlite'));
  const repo = new OrchestrationRepo(db);
  const events: StationEvent[] = [];
  const alerts = new AlertCenter({ store: repo, emit: (e) => events.push(e), now });
  const profiles = new ProfileLibrary(new MemoryProfileStore());
  const views: AgentView[] = [];
  const clients = new Map<string, AgentClient>();
  const fleet: FleetAccess = {
    views: () => views,
    view: (id) => views.find((v) => v.id === id),
    client: (id) => clients.get(id),
  };
  const log = pino({ level: 'silent' });
  const places = new LocationService({ repo, log, now });
  const assignments = new AssignmentsService({ repo, fleet, profiles, places, now });
  return {
    db,
    repo,
    alerts,
    events,
    profiles,
    views,
    clients,
    fleet,
    places,
    assignments,
    log,
    now,
    close: () => {
      alerts.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
