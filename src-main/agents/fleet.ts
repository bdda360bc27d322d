import WebSocket from 'ws';
import type { AgentState, AgentView } from '../api/contract.js';
import type { AgentRow, AgentsRepo } from '../db/agents-repo.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { wsText } from '../util/ws-text.js';
import { AgentClient } from './agent-client.js';
import { AgentEvent, type StatusResponse } from './protocol.js';

interface LiveAgent {
  row: AgentRow;
  client: AgentClient;
  state: AgentState;
  status: StatusResponse | null;
  lastError: string | null;
  socket: WebSocket | null;
  reconnectDelayMs: number;
  reconnectTimer: NodeJS.Timeout | null;
}

export interface FleetListener {
  onAgentsChanged(agents: AgentView[]): void;
  onAgentEvent(agentId: string, event: AgentEvent): void;
  onAgentOnline(agentId: string): void;
}

/**
 * The agents the station knows: their addresses, a status poll, and one live
 * connection to each agent's event stream that reconnects with backoff.
 */
export class Fleet {
  private readonly agents = new Map<string, LiveAgent>();
  private pollTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: { repo: AgentsRepo; log: Logger; listener: FleetListener; pollIntervalMs?: number },
  ) {}

  start(): void {
    for (const row of this.deps.repo.all()) this.track(row);
    const interval = this.deps.pollIntervalMs ?? 5_000;
    this.pollTimer = setInterval(() => void this.pollAll(), interval);
    this.pollTimer.unref();
    void this.pollAll();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const a of this.agents.values()) this.disconnect(a);
    await Promise.resolve();
  }

  client(agentId: string): AgentClient | undefined {
    return this.agents.get(agentId)?.client;
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  views(): AgentView[] {
    return [...this.agents.values()].map(toView);
  }

  view(agentId: string): AgentView | undefined {
    const a = this.agents.get(agentId);
    return a ? toView(a) : undefined;
  }

  /** Add (or update the address of) an agent after reaching it; returns its view. */
  async add(
    host: string,
    port: number,
    opts: { name?: string | undefined; embedded?: boolean } = {},
  ): Promise<AgentView> {
    const client = new AgentClient({ host, port });
    const health = await client.health();
    const existing = this.agents.get(health.id);
    const row: AgentRow = {
      id: health.id,
      name: opts.name ?? health.name,
      host,
      port,
      embedded: opts.embedded ?? existing?.row.embedded ?? false,
      cameraModel: existing?.row.cameraModel ?? null,
      lastSeen: new Date().toISOString(),
      addedAt: existing?.row.addedAt ?? new Date().toISOString(),
    };
    this.deps.repo.upsert(row);
    if (existing) {
      this.disconnect(existing);
      this.agents.delete(health.id);
    }
    const live = this.track(row);
    await this.poll(live);
    return toView(live);
  }

  remove(agentId: string): boolean {
    const a = this.agents.get(agentId);
    if (a) this.disconnect(a);
    this.agents.delete(agentId);
    const removed = this.deps.repo.remove(agentId);
    this.emitChanged();
    return removed || a !== undefined;
  }

  private track(row: AgentRow): LiveAgent {
    const live: LiveAgent = {
      row,
      client: new AgentClient({ host: row.host, port: row.port }),
      state: 'offline',
      status: null,
      lastError: null,
      socket: null,
      reconnectDelayMs: 1_000,
      reconnectTimer: null,
    };
    this.agents.set(row.id, live);
    this.connectEvents(live);
    return live;
  }

  private async pollAll(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => this.poll(a)));
  }

  private async poll(a: LiveAgent): Promise<void> {
    const before = JSON.stringify(toView(a));
    const wasOnline = a.state === 'online';
    try {
      a.status = await a.client.status();
      a.state = 'online';
      a.lastError = null;
      const now = new Date().toISOString();
      a.row.lastSeen = now;
      a.row.cameraModel = a.status.camera.model;
      this.deps.repo.markSeen(a.row.id, now, a.status.camera.model);
    } catch (err) {
      a.state = 'offline';
      a.lastError = errorMessage(err);
    }
    if (!wasOnline && a.state === 'online') {
      if (!a.socket) this.connectEvents(a);
      this.deps.listener.onAgentOnline(a.row.id);
    }
    if (JSON.stringify(toView(a)) !== before) this.emitChanged();
  }

  private emitChanged(): void {
    this.deps.listener.onAgentsChanged(this.views());
  }

  private connectEvents(a: LiveAgent): void {
    if (this.closed || a.socket) return;
    const socket = new WebSocket(a.client.eventsUrl(), { handshakeTimeout: 5_000 });
    a.socket = socket;
    socket.on('open', () => {
      a.reconnectDelayMs = 1_000;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(wsText(data));
      } catch {
        return;
      }
      const event = AgentEvent.safeParse(parsed);
      if (!event.success) {
        this.deps.log.warn({ agentId: a.row.id }, 'agent sent an event the station does not understand');
        return;
      }
      this.deps.listener.onAgentEvent(a.row.id, event.data);
    });
    socket.on('error', () => {
      // 'close' follows; the poll reports the agent offline.
    });
    socket.on('close', () => {
      a.socket = null;
      if (this.closed || !this.agents.has(a.row.id)) return;
      const delay = a.reconnectDelayMs;
      a.reconnectDelayMs = Math.min(a.reconnectDelayMs * 2, 30_000);
      a.reconnectTimer = setTimeout(() => this.connectEvents(a), delay);
      a.reconnectTimer.unref();
    });
  }

  private disconnect(a: LiveAgent): void {
    if (a.reconnectTimer) clearTimeout(a.reconnectTimer);
    a.reconnectTimer = null;
    const s = a.socket;
    a.socket = null;
    s?.removeAllListeners('close');
    s?.on('error', () => undefined);
    s?.terminate();
  }
}

function toView(a: LiveAgent): AgentView {
  return {
    id: a.row.id,
    name: a.row.name,
    host: a.row.host,
    port: a.row.port,
    state: a.state,
    lastSeen: a.row.lastSeen,
    cameraModel: a.status?.camera.model ?? a.row.cameraModel,
    cameraReady: a.status?.camera_ready ?? false,
    diskUsedPercent: a.status ? a.status.disk.used_percent : null,
    unsynced: a.status ? a.status.captures.unsynced : null,
    lastError: a.lastError,
    embedded: a.row.embedded,
  };
}
