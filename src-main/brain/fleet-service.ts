/**
 * The cameras the station knows (added, paired, found on mDNS) and what their
 * event streams set off: a sync after each capture, a sensor copy, a clock
 * check when one comes online, alerts for their warnings, and the fleet view
 * the UI shows (with its deployment and clock offset).
 */
import { Fleet, type FleetDeps } from '../agents/fleet.js';
import type { AgentEvent } from '../agents/protocol.js';
import type { RaiseAlert } from '../alerts/center.js';
import type { AgentView, StationEvent } from '../api/contract.js';
import { parseAgentAddress } from '../discovery/pairing.js';
import type { Logger } from '../util/log.js';
import type { StationMetrics } from './metrics.js';
import type { HandlersFor, StationService } from './service.js';

export interface FleetServiceDeps {
  /** The Fleet's own collaborators (repo, tokens, discovery, station identity, poll interval). */
  fleet: Omit<FleetDeps, 'listener'>;
  log: Logger;
  metrics: Pick<StationMetrics, 'agents' | 'syncBacklog'>;
  emit(e: StationEvent): void;
  /** Raises an alert (the alert center once orchestration runs; `time` stamps it before then). */
  raise(alert: RaiseAlert, time: string): void;
  /** Agents the alert center watches for going offline or filling their disks (once orchestration runs). */
  observeAgents(agents: AgentView[]): void;
  /** Adds the station's records (deployment, clock offset) to an agent's view. */
  decorate(agent: AgentView): AgentView;
  syncAgent(agentId: string): Promise<number>;
  sensorReading(agentId: string): void;
  checkClock(agentId: string): Promise<unknown>;
  /** For health: the gallery's size and the station's version and start time. */
  health: { version: string; startedAt: string; captures(): number };
}

type FleetMethods = 'health' | 'listAgents' | 'pairAgent' | 'addAgent' | 'removeAgent';

export class FleetService implements StationService {
  readonly name = 'fleet';
  readonly fleet: Fleet;
  private stopped = false;

  constructor(private readonly deps: FleetServiceDeps) {
    this.fleet = new Fleet({
      ...deps.fleet,
      listener: {
        onAgentsChanged: (agents) => this.agentsChanged(agents),
        onAgentEvent: (agentId, event) => this.agentEvent(agentId, event),
        onAgentOnline: (agentId) => {
          deps.syncAgent(agentId).catch((err: unknown) => deps.log.warn({ err, agentId }, 'sync on reconnect failed'));
          // The views carry the clock offset, so they are sent again once it is known (a camera page
          // opened before it would otherwise count a session's next capture on the wrong clock).
          deps
            .checkClock(agentId)
            .then(() => {
              if (!this.stopped) this.agentsChanged(this.fleet.views());
            })
            .catch((err: unknown) => deps.log.warn({ err, agentId }, 'clock check failed'));
        },
      },
    });
  }

  start(): Promise<void> {
    return this.fleet.start();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.fleet.close();
  }

  views(): AgentView[] {
    return this.fleet.views();
  }

  /** Agent id → name, for captures and alerts. */
  names(): Map<string, string> {
    return new Map(this.fleet.views().map((a) => [a.id, a.name]));
  }

  private agentsChanged(agents: AgentView[]): void {
    const { metrics } = this.deps;
    metrics.agents.reset();
    metrics.syncBacklog.reset();
    for (const a of agents) {
      metrics.agents.inc({ state: a.state });
      if (a.unsynced !== null) metrics.syncBacklog.set({ agent: a.name }, a.unsynced);
    }
    this.deps.observeAgents(agents);
    this.deps.emit({ event: 'agents.changed', data: agents.map((a) => this.deps.decorate(a)) });
  }

  private agentEvent(agentId: string, event: AgentEvent): void {
    const { log } = this.deps;
    if (event.type === 'capture.done') {
      this.deps.syncAgent(agentId).catch((err: unknown) => log.warn({ err, agentId }, 'sync after capture failed'));
    } else if (event.type === 'capture.started') {
      this.deps.emit({
        event: 'capture.started',
        data: { agentId, exposureSeconds: event.exposure_seconds, startedAt: event.started_at },
      });
    } else if (event.type === 'sensor') {
      this.deps.sensorReading(agentId);
    } else if (event.type === 'warning' || event.type === 'capture.failed') {
      const name = this.fleet.view(agentId)?.name ?? agentId;
      this.deps.raise(
        { level: 'warning', code: event.code, message: `${name}: ${event.message}`, agentId },
        event.time,
      );
    }
  }

  readonly handlers: HandlersFor<FleetMethods> = {
    health: () => {
      const agents = this.fleet.views();
      return Promise.resolve({
        status: 'ok' as const,
        version: this.deps.health.version,
        agents: agents.length,
        agentsOnline: agents.filter((a) => a.state === 'online').length,
        captures: this.deps.health.captures(),
        startedAt: this.deps.health.startedAt,
      });
    },
    listAgents: () => Promise.resolve(this.fleet.allViews().map((a) => this.deps.decorate(a))),
    pairAgent: (p) =>
      this.fleet.pair(p.agentId !== undefined ? { agentId: p.agentId } : parseAgentAddress(p.url ?? ''), p.code),
    addAgent: (p) => this.fleet.add(p.host, p.port, { name: p.name, token: p.token }),
    removeAgent: (p) => Promise.resolve({ removed: this.fleet.remove(p.agentId) }),
  };
}
