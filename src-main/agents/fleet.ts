import WebSocket from 'ws';
import type { AgentState, AgentView } from '../api/contract.js';
import type { AgentRow, AgentsRepo } from '../db/agents-repo.js';
import type { DiscoveredAgent, DiscoveryEvents } from '../discovery/browser.js';
import {
  pairWithAgent,
  probeHealth,
  normaliseFingerprint,
  type AgentTarget,
  type StationIdentity,
} from '../discovery/pairing.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { wsText } from '../util/ws-text.js';
import { AgentClient } from './agent-client.js';
import { AgentEvent, type StatusResponse } from './protocol.js';
import type { TokenVault } from './token-store.js';
import { Backoff } from '../../agent/src/util/backoff.js';

/**
 * Fleet states (AgentView.state):
 *   discovered  seen on mDNS, not (yet) reached over HTTP
 *   unpaired    reachable, but the station holds no valid token (pair with the camera's 6-digit code)
 *   paired      the station holds a token; not polled yet since it started or paired
 *   online      paired and answering
 *   offline     paired (or added) but not answering; lastSeen says since when
 */
interface LiveAgent {
  row: AgentRow;
  client: AgentClient;
  state: AgentState;
  status: StatusResponse | null;
  lastError: string | null;
  socket: WebSocket | null;
  reconnect: Backoff;
  reconnectTimer: NodeJS.Timeout | null;
}

/** An agent mDNS shows that the station does not track yet. */
interface SeenOnly {
  agent: DiscoveredAgent;
  state: 'discovered' | 'unpaired';
  lastError: string | null;
  probing: boolean;
}

export interface FleetListener {
  onAgentsChanged(agents: AgentView[]): void;
  onAgentEvent(agentId: string, event: AgentEvent): void;
  onAgentOnline(agentId: string): void;
}

/** What the fleet needs from discovery (a DiscoveryBrowser; specs pass a small fake). */
export interface FleetDiscovery {
  on<K extends keyof DiscoveryEvents>(event: K, listener: (...args: DiscoveryEvents[K]) => void): unknown;
  start(): void;
  stop(): Promise<void>;
  agents(): DiscoveredAgent[];
}

export interface FleetDeps {
  repo: AgentsRepo;
  log: Logger;
  listener: FleetListener;
  pollIntervalMs?: number;
  /** Where pairing tokens live; without one they are kept in memory only. */
  tokens?: TokenVault;
  /** mDNS discovery; without one only agents added by address are known. */
  discovery?: FleetDiscovery | null;
  /** Sent to agents when pairing (POST /pair station_id, station_name). */
  station?: () => Promise<StationIdentity>;
}

const AUTH_CODES = new Set(['auth_required', 'auth_invalid']);
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;

/**
 * The agents the station knows: the ones it tracks (added by address, paired,
 * the embedded one) with a status poll and one live connection to each
 * agent's event stream that reconnects with backoff; plus the ones mDNS shows
 * that are not paired yet.
 */
export class Fleet {
  private readonly agents = new Map<string, LiveAgent>();
  private readonly seen = new Map<string, SeenOnly>();
  /** Access tokens by agent id: from the vault, a pairing, or add() (the embedded agent's admin token). */
  private readonly tokens = new Map<string, string>();
  private pollTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: FleetDeps) {}

  async start(): Promise<void> {
    if (this.deps.tokens) {
      try {
        for (const [id, token] of await this.deps.tokens.load()) this.tokens.set(id, token);
      } catch (err) {
        this.deps.log.error({ err }, `${errorMessage(err)} The cameras show as unpaired until then.`);
      }
    }
    for (const row of this.deps.repo.all()) this.track(row);
    const interval = this.deps.pollIntervalMs ?? 5_000;
    this.pollTimer = setInterval(() => void this.pollAll(), interval);
    this.pollTimer.unref();
    const discovery = this.deps.discovery;
    if (discovery) {
      discovery.on('up', (a) => this.onDiscovered(a));
      discovery.on('update', (a) => this.onDiscovered(a));
      discovery.on('down', (a) => this.onLost(a));
      discovery.start();
    }
    void this.pollAll();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const a of this.agents.values()) this.disconnect(a);
    await this.deps.discovery?.stop();
  }

  client(agentId: string): AgentClient | undefined {
    return this.agents.get(agentId)?.client;
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  /** The agents the station tracks (not the unpaired ones mDNS shows). */
  views(): AgentView[] {
    return [...this.agents.values()].map(toView);
  }

  /** Tracked agents, then the ones only seen on the network (discovered / unpaired). */
  allViews(): AgentView[] {
    return [...this.views(), ...[...this.seen.values()].map(seenView)];
  }

  view(agentId: string): AgentView | undefined {
    const a = this.agents.get(agentId);
    if (a) return toView(a);
    const s = this.seen.get(agentId);
    return s ? seenView(s) : undefined;
  }

  /** Add (or update the address of) an agent after reaching it; returns its view. */
  async add(
    host: string,
    port: number,
    opts: { name?: string | undefined; embedded?: boolean; token?: string | undefined } = {},
  ): Promise<AgentView> {
    const client = new AgentClient({ host, port });
    const health = await client.health();
    if (opts.token !== undefined) {
      this.tokens.set(health.id, opts.token);
      // The embedded agent's admin token is read again at each start; only tokens an operator gave are kept.
      if (!opts.embedded) await this.deps.tokens?.set(health.id, opts.token);
    }
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
      source: opts.embedded ? 'embedded' : (existing?.row.source ?? 'manual'),
      tlsFingerprint: existing?.row.tlsFingerprint ?? null,
      pairedAt: existing?.row.pairedAt ?? null,
    };
    return this.adopt(row);
  }

  /**
   * Pairs with an agent using the 6-digit code it shows: by id (a discovered or
   * tracked agent) or by address. Stores the token, pins the TLS fingerprint,
   * and tracks the agent from then on.
   */
  async pair(target: { agentId: string } | AgentTarget, code: string): Promise<AgentView> {
    const station = this.deps.station;
    if (!station) throw new StationError('pairing_unavailable', 'This station cannot pair cameras (no identity).');
    let address: AgentTarget;
    let expectedId: string | null = null;
    let pin: string | null = null;
    let source: AgentRow['source'] = 'manual';
    if ('agentId' in target) {
      expectedId = target.agentId;
      const tracked = this.agents.get(target.agentId);
      const seen = this.seen.get(target.agentId);
      if (tracked) {
        address = { host: tracked.row.host, port: tracked.row.port };
        pin = tracked.row.tlsFingerprint ?? null;
        source = tracked.row.source ?? 'manual';
      } else if (seen) {
        const host = seen.agent.addresses[0];
        if (!host) throw new StationError('agent_no_address', `${seen.agent.name} advertised no address to reach it.`);
        address = { host, port: seen.agent.port };
        pin = seen.agent.tlsFingerprint;
        source = 'mdns';
      } else {
        throw new StationError(
          'agent_unknown',
          `No camera with id ${target.agentId} is known or visible on the network; pair it by address instead.`,
        );
      }
      if (pin) address.tls = true;
    } else {
      address = target;
    }
    const result = await pairWithAgent(address, { code, station: await station(), expectedFingerprint: pin });
    if (expectedId !== null && result.agentId !== expectedId) {
      throw new StationError(
        'agent_mismatch',
        `The camera at ${address.host}:${address.port} is ${result.agentName} (${result.agentId}), not the one you chose; check the address and pair again.`,
      );
    }
    this.tokens.set(result.agentId, result.token);
    await this.deps.tokens?.set(result.agentId, result.token);
    const existing = this.agents.get(result.agentId);
    const now = new Date().toISOString();
    const row: AgentRow = {
      id: result.agentId,
      name: result.agentName,
      host: address.host,
      port: address.port,
      embedded: existing?.row.embedded ?? false,
      cameraModel: existing?.row.cameraModel ?? this.seen.get(result.agentId)?.agent.cameraModel ?? null,
      lastSeen: now,
      addedAt: existing?.row.addedAt ?? now,
      source: existing?.row.source ?? source,
      tlsFingerprint: result.tlsFingerprint,
      pairedAt: now,
      state: 'paired',
    };
    this.deps.log.info(
      { event: 'fleet.paired', agentId: row.id, host: row.host, port: row.port, tls: result.tls },
      'paired with a camera',
    );
    return this.adopt(row);
  }

  remove(agentId: string): boolean {
    const a = this.agents.get(agentId);
    if (a) this.disconnect(a);
    this.agents.delete(agentId);
    this.tokens.delete(agentId);
    void this.deps.tokens
      ?.delete(agentId)
      .catch((err: unknown) => this.deps.log.warn({ err, agentId }, 'could not delete the agent token'));
    const removed = this.deps.repo.remove(agentId);
    // Still on the network: it shows again as unpaired.
    const visible = this.deps.discovery?.agents().find((d) => d.id === agentId);
    if (visible) this.onDiscovered(visible);
    this.emitChanged();
    return removed || a !== undefined;
  }

  /** Saves the row, (re)tracks the agent with its token, polls it once, and returns its view. */
  private async adopt(row: AgentRow): Promise<AgentView> {
    const existing = this.agents.get(row.id);
    row.state = this.tokens.has(row.id) ? 'paired' : (existing?.state ?? 'unpaired');
    this.deps.repo.upsert(row);
    if (row.pairedAt) this.deps.repo.markPaired(row.id, row.pairedAt, row.tlsFingerprint ?? null);
    if (existing) {
      this.disconnect(existing);
      this.agents.delete(row.id);
    }
    this.seen.delete(row.id);
    const live = this.track(row);
    await this.poll(live);
    this.emitChanged();
    return toView(live);
  }

  private newClient(row: AgentRow): AgentClient {
    const token = this.tokens.get(row.id);
    // `fingerprint` pins a TLS agent's certificate (AgentClient's TLS option, added with agent TLS support);
    // passed as a variable so this compiles whether or not that option exists yet.
    const options: NonNullable<ConstructorParameters<typeof AgentClient>[1]> & { fingerprint?: string } =
      token === undefined ? {} : { token };
    if (row.tlsFingerprint) options.fingerprint = row.tlsFingerprint;
    return new AgentClient({ host: row.host, port: row.port }, options);
  }

  private track(row: AgentRow): LiveAgent {
    const live: LiveAgent = {
      row,
      client: this.newClient(row),
      state: this.tokens.has(row.id) ? 'paired' : row.state === 'offline' ? 'offline' : 'unpaired',
      status: null,
      lastError: null,
      socket: null,
      reconnect: new Backoff(RECONNECT_MIN_MS, RECONNECT_MAX_MS),
      reconnectTimer: null,
    };
    this.agents.set(row.id, live);
    return live;
  }

  private async pollAll(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => this.poll(a)));
  }

  private async poll(a: LiveAgent): Promise<void> {
    const before = JSON.stringify(toView(a));
    const wasOnline = a.state === 'online';
    const stateBefore = a.state;
    try {
      a.status = await a.client.status();
      a.state = 'online';
      a.lastError = null;
      const now = new Date().toISOString();
      a.row.lastSeen = now;
      a.row.cameraModel = a.status.camera.model;
      this.deps.repo.markSeen(a.row.id, now, a.status.camera.model);
    } catch (err) {
      const code = err instanceof StationError ? err.code : '';
      a.state = AUTH_CODES.has(code) ? 'unpaired' : 'offline';
      a.lastError =
        a.state === 'unpaired'
          ? 'This camera needs pairing: enter the 6-digit code it shows (skystation-agent pair on the camera).'
          : errorMessage(err);
    }
    // A poll that answers after close() must not write: the station closes its database next.
    if (this.closed || !this.agents.has(a.row.id)) return;
    if (a.state !== stateBefore) this.deps.repo.setState(a.row.id, a.state);
    if (a.state === 'online' && !a.socket && (!wasOnline || !a.reconnectTimer)) {
      // Back online: connect now instead of waiting out the backoff; while online, the backoff timer decides.
      if (a.reconnectTimer) clearTimeout(a.reconnectTimer);
      this.connectEvents(a);
    }
    if (!wasOnline && a.state === 'online') this.deps.listener.onAgentOnline(a.row.id);
    if (JSON.stringify(toView(a)) !== before) this.emitChanged();
  }

  private emitChanged(): void {
    if (this.closed) return;
    this.deps.listener.onAgentsChanged(this.allViews());
  }

  // ---------------------------------------------------------------- discovery

  private onDiscovered(d: DiscoveredAgent): void {
    if (this.closed) return;
    const tracked = this.agents.get(d.id);
    if (tracked) {
      this.followMove(tracked, d);
      return;
    }
    const before = this.seen.get(d.id);
    const entry: SeenOnly = before
      ? { ...before, agent: d }
      : { agent: d, state: 'discovered', lastError: null, probing: false };
    this.seen.set(d.id, entry);
    if (!before || before.state === 'discovered') void this.probe(entry);
    this.emitChanged();
  }

  /** A discovered agent becomes "unpaired" once its /health answers with the id mDNS gave. */
  private async probe(entry: SeenOnly): Promise<void> {
    if (entry.probing) return;
    entry.probing = true;
    const d = entry.agent;
    const host = d.addresses[0];
    try {
      if (!host) throw new StationError('agent_no_address', 'it advertised no address');
      const health = await probeHealth(
        { host, port: d.port, ...(d.tlsFingerprint ? { tls: true } : {}) },
        d.tlsFingerprint,
      );
      if (health.id !== d.id) {
        throw new StationError('agent_mismatch', `${host}:${d.port} answers as another agent (${health.id})`);
      }
      entry.state = 'unpaired';
      entry.lastError = null;
    } catch (err) {
      entry.state = 'discovered';
      entry.lastError = `Seen on the network but not reachable yet: ${errorMessage(err)}`;
    } finally {
      entry.probing = false;
    }
    if (this.seen.get(d.id) === entry) this.emitChanged();
  }

  /** An offline tracked agent that mDNS now shows elsewhere (DHCP) is followed to its new address. */
  private followMove(a: LiveAgent, d: DiscoveredAgent): void {
    const host = d.addresses[0];
    if (a.row.embedded || !host || (a.row.host === host && a.row.port === d.port) || a.state === 'online') return;
    const pinned = a.row.tlsFingerprint;
    if (pinned && (!d.tlsFingerprint || normaliseFingerprint(pinned) !== normaliseFingerprint(d.tlsFingerprint))) {
      this.deps.log.warn(
        { event: 'fleet.fingerprint_mismatch', agentId: a.row.id, host, port: d.port },
        'a device advertises this camera id with another certificate; not following it',
      );
      return;
    }
    this.deps.log.info(
      { event: 'fleet.agent_moved', agentId: a.row.id, from: `${a.row.host}:${a.row.port}`, to: `${host}:${d.port}` },
      'camera found at a new address',
    );
    this.disconnect(a);
    a.row.host = host;
    a.row.port = d.port;
    this.deps.repo.setAddress(a.row.id, host, d.port);
    a.client = this.newClient(a.row);
    a.reconnect.reset();
    void this.poll(a);
  }

  private onLost(d: DiscoveredAgent): void {
    if (this.closed || !this.seen.has(d.id)) return;
    // The same agent may still be visible through another instance or interface.
    const still = this.deps.discovery?.agents().find((x) => x.id === d.id);
    if (still) this.seen.set(d.id, { ...this.seen.get(d.id)!, agent: still });
    else this.seen.delete(d.id);
    this.emitChanged();
  }

  // ---------------------------------------------------------------- events

  private connectEvents(a: LiveAgent): void {
    if (this.closed || a.socket) return;
    a.reconnectTimer = null;
    const socket = new WebSocket(a.client.eventsUrl(), { handshakeTimeout: 5_000, ...a.client.wsOptions() });
    a.socket = socket;
    socket.on('open', () => {
      a.reconnect.reset();
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
      if (a.socket !== socket) return;
      a.socket = null;
      if (this.closed || this.agents.get(a.row.id) !== a || a.state === 'unpaired') return;
      // Exponential backoff with ±20 % jitter so a fleet does not reconnect in lockstep.
      const delay = Math.round(a.reconnect.next() * (0.8 + Math.random() * 0.4));
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

/** The first temperature a sensor of the agent reports, else its SoC temperature; null when neither. */
function sensorTemperature(status: LiveAgent['status']): number | null {
  for (const sensor of status?.sensors ?? []) {
    const t = sensor.latest.find((r) => r.temperature_c !== undefined)?.temperature_c;
    if (t !== undefined) return t;
  }
  return status?.system?.soc_temperature_c ?? null;
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
    capabilities: a.status?.camera.capabilities ?? null,
    diskUsedPercent: a.status ? a.status.disk.used_percent : null,
    unsynced: a.status ? a.status.captures.unsynced : null,
    temperatureC: sensorTemperature(a.status),
    lastError: a.lastError,
    embedded: a.row.embedded,
    tlsFingerprint: a.row.tlsFingerprint ?? null,
    source: a.row.source ?? (a.row.embedded ? 'embedded' : 'manual'),
  };
}

function seenView(s: SeenOnly): AgentView {
  const d = s.agent;
  return {
    id: d.id,
    name: d.name,
    host: d.addresses[0] ?? d.host,
    port: d.port,
    state: s.state,
    lastSeen: new Date(d.lastSeen).toISOString(),
    cameraModel: d.cameraModel || null,
    cameraReady: false,
    diskUsedPercent: null,
    unsynced: null,
    lastError: s.lastError,
    embedded: false,
    tlsFingerprint: d.tlsFingerprint,
    source: 'mdns',
  };
}
