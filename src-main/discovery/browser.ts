/**
 * Finds Skystation agents on the LAN: a bonjour-service Browser for
 * `_skystation._tcp` that does not trust one query, over a multicast-dns
 * socket this module owns (both libraries' public APIs: the Browser takes
 * the socket it should use).
 *
 * bonjour-service sends a single PTR query when a browser starts; a lost
 * packet would hide an agent until its next unsolicited announcement (minutes
 * to an hour later). This browser re-queries with backoff — 0.25 s, 0.5 s,
 * 1 s, 2 s … capped at 60 s — and starts the backoff over when the machine's
 * network addresses change (new Wi-Fi, cable plugged in), so a lost query costs
 * a quarter of a second, not minutes.
 *
 * Events: 'up' (a new agent), 'update' (its TXT, address or port changed),
 * 'down' (goodbye packet, or no answer to queries for `staleAfterMs`), and
 * 'query' (each query sent; tests and benchmarks watch it). SKYSTATION_MDNS=off
 * makes start() a no-op.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { Browser, type Service } from 'bonjour-service';
import multicastDns, { type MulticastDNS, type ResponsePacket } from 'multicast-dns';
import { AgentTxt, MDNS_SERVICE_NAME, advertisedFromTxt } from '../../agent/src/protocol/mdns.js';
import { backoffDelayMs } from '../../agent/src/util/backoff.js';

export interface DiscoveredAgent {
  /** The DNS-SD instance name, e.g. "roof (3f2a9c1e)". */
  instance: string;
  id: string;
  name: string;
  version: string;
  cameraModel: string;
  capabilities: string[];
  tlsFingerprint: string | null;
  apiPath: string;
  /** Reachable addresses, best first: the address the answer came from, then IPv4, then IPv6. */
  addresses: string[];
  port: number;
  /** The SRV target host name, e.g. "raspberrypi.local". */
  host: string;
  /** ms since the epoch of the last answer that named this agent. */
  lastSeen: number;
}

export type AgentGoneReason = 'goodbye' | 'expired' | 'stopped';

export interface DiscoveryEvents {
  up: [agent: DiscoveredAgent];
  update: [agent: DiscoveredAgent];
  down: [agent: DiscoveredAgent, reason: AgentGoneReason];
  query: [info: { n: number; at: number; nextInMs: number }];
}

export interface DiscoveryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DiscoveryOptions {
  log: DiscoveryLogger;
  env?: NodeJS.ProcessEnv;
  /** First re-query delay (default 250 ms); each next one doubles. */
  initialQueryDelayMs?: number;
  /** Longest pause between queries (default 60 s). */
  maxQueryDelayMs?: number;
  /** An agent that has not answered for this long is reported down (default 3 × maxQueryDelayMs + 5 s). */
  staleAfterMs?: number;
  /** How often the machine's addresses are compared to notice a network change (default 5 s). */
  networkCheckMs?: number;
  now?: () => number;
}

export function mdnsDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['SKYSTATION_MDNS'] ?? '').toLowerCase() === 'off';
}

/** The delay before query n + 1 (n counts from 1, the query sent at start). */
export function queryDelayMs(n: number, initialMs = 250, maxMs = 60_000): number {
  return backoffDelayMs(n, initialMs, maxMs);
}

function addressSignature(): string {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal)
    .map((a) => a.address)
    .sort()
    .join(',');
}

function orderAddresses(service: Service): string[] {
  const all = [service.referer?.address, ...(service.addresses ?? [])].filter(
    (a): a is string => typeof a === 'string' && a !== '',
  );
  const unique = [...new Set(all)];
  const v4 = unique.filter((a) => !a.includes(':'));
  const v6 = unique.filter((a) => a.includes(':'));
  return [...v4, ...v6];
}

export class DiscoveryBrowser extends EventEmitter<DiscoveryEvents> {
  private readonly log: DiscoveryLogger;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly staleAfterMs: number;
  private readonly networkCheckMs: number;
  private readonly now: () => number;
  private readonly disabled: boolean;
  private readonly found = new Map<string, DiscoveredAgent>();
  private mdns: MulticastDNS | null = null;
  private browser: Browser | null = null;
  private queryTimer: NodeJS.Timeout | null = null;
  private housekeeping: NodeJS.Timeout | null = null;
  private queries = 0;
  private addresses = '';
  private stopped = false;

  constructor(opts: DiscoveryOptions) {
    super();
    this.log = opts.log;
    this.initialMs = opts.initialQueryDelayMs ?? 250;
    this.maxMs = opts.maxQueryDelayMs ?? 60_000;
    this.staleAfterMs = opts.staleAfterMs ?? 3 * this.maxMs + 5_000;
    this.networkCheckMs = opts.networkCheckMs ?? 5_000;
    this.now = opts.now ?? Date.now;
    this.disabled = mdnsDisabled(opts.env);
  }

  get enabled(): boolean {
    return !this.disabled;
  }

  /** Agents currently visible, one per agent id (the most recently seen instance wins). */
  agents(): DiscoveredAgent[] {
    const byId = new Map<string, DiscoveredAgent>();
    for (const a of this.found.values()) {
      const seen = byId.get(a.id);
      if (!seen || seen.lastSeen < a.lastSeen) byId.set(a.id, a);
    }
    return [...byId.values()];
  }

  get queriesSent(): number {
    return this.queries;
  }

  start(): void {
    if (this.mdns || this.stopped) return;
    if (this.disabled) {
      this.log.info({ event: 'discovery.disabled' }, 'mDNS discovery is off (SKYSTATION_MDNS=off)');
      return;
    }
    // The same socket bonjour-service would open (0.0.0.0:5353, reused, 224.0.0.251); ours, so its events are too.
    this.mdns = multicastDns();
    this.mdns.setMaxListeners(0);
    this.mdns.on('error', (err: NodeJS.ErrnoException) =>
      this.log.error(
        { event: 'discovery.socket_failed', code: err.code, err },
        'the mDNS socket (UDP port 5353) could not be opened; agents can still be added by address',
      ),
    );
    this.mdns.on('warning', (err: unknown) => this.log.debug({ event: 'discovery.warning', err }, 'mDNS warning'));
    this.mdns.on('response', (packet) => this.noteAnswers(packet));
    this.addresses = addressSignature();
    this.newBrowser();
    this.housekeeping = setInterval(
      () => this.tick(),
      Math.max(100, Math.min(this.networkCheckMs, this.staleAfterMs / 3, 5_000)),
    );
    this.housekeeping.unref();
    this.log.info({ event: 'discovery.started' }, 'looking for agents on the network (mDNS)');
  }

  /** Ask again now and start the backoff over (after a network change, or when the operator asks). */
  requery(): void {
    if (!this.browser) return;
    this.queries = 0;
    if (this.queryTimer) clearTimeout(this.queryTimer);
    this.sendQuery();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.queryTimer) clearTimeout(this.queryTimer);
    if (this.housekeeping) clearInterval(this.housekeeping);
    this.browser?.stop();
    this.browser = null;
    const mdns = this.mdns;
    if (mdns) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000);
        mdns.destroy(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * A fresh bonjour Browser: it sends the first query itself. Made again after
   * an agent expires, because bonjour-service's browser never forgets a
   * service, so it would not report the agent's return.
   */
  private newBrowser(): void {
    const mdns = this.mdns;
    if (!mdns) return;
    this.browser?.stop();
    this.browser?.removeAllListeners();
    if (this.queryTimer) clearTimeout(this.queryTimer);
    this.queries = 0;
    // bonjour-service's Browser over a thin view of the socket whose query() reports when the packet is
    // really out (after the socket is bound), so 'query' events and the backoff count from the send.
    const socket = {
      on: (event: string, listener: (...args: unknown[]) => void) => mdns.on(event, listener),
      removeListener: (event: string, listener: (...args: unknown[]) => void) => mdns.removeListener(event, listener),
      // The Browser only asks for PTR records (its type, and each subtype it hears of).
      query: (name: string, type: 'PTR') =>
        mdns.query(name, type, (err) => {
          if (err) this.log.warn({ event: 'discovery.query_failed', err }, 'could not send an mDNS query');
          this.querySent();
        }),
    };
    const browser = new Browser(socket, { type: MDNS_SERVICE_NAME, protocol: 'tcp' });
    this.browser = browser;
    browser.on('up', (s) => this.upsert(s));
    browser.on('txt-update', (s) => this.upsert(s));
    browser.on('srv-update', (s) => this.upsert(s));
    browser.on('down', (s) => this.remove(s.fqdn, 'goodbye'));
  }

  private sendQuery(): void {
    if (!this.browser || this.stopped) return;
    this.browser.update();
  }

  /** A query left the socket: count it and schedule the next one. */
  private querySent(): void {
    if (this.stopped) return;
    this.queries += 1;
    const nextInMs = queryDelayMs(this.queries, this.initialMs, this.maxMs);
    this.emit('query', { n: this.queries, at: this.now(), nextInMs });
    if (this.queryTimer) clearTimeout(this.queryTimer);
    this.queryTimer = setTimeout(() => this.sendQuery(), nextInMs);
    this.queryTimer.unref();
  }

  private tick(): void {
    const now = this.now();
    for (const a of [...this.found.values()]) {
      if (now - a.lastSeen > this.staleAfterMs) this.remove(a.instance, 'expired');
    }
    const addresses = addressSignature();
    if (addresses !== this.addresses) {
      this.addresses = addresses;
      this.log.info({ event: 'discovery.network_changed' }, 'network changed; asking for agents again');
      this.requery();
    }
  }

  private key(fqdnOrInstance: string): string {
    return fqdnOrInstance
      .replace(/\._skystation\._tcp\.local\.?$/i, '')
      .replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d)))
      .toLowerCase();
  }

  private upsert(service: Service): void {
    const parsed = AgentTxt.safeParse(service.txt ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.log.debug(
        { event: 'discovery.bad_txt', instance: service.name, issue: issue?.message },
        'ignoring a _skystation._tcp service whose TXT record this station does not understand',
      );
      return;
    }
    const facts = advertisedFromTxt(parsed.data);
    const agent: DiscoveredAgent = {
      instance: service.name,
      id: facts.id,
      name: facts.name,
      version: facts.version,
      cameraModel: facts.cameraModel,
      capabilities: [...facts.capabilities],
      tlsFingerprint: facts.tlsFingerprint,
      apiPath: facts.apiPath,
      addresses: orderAddresses(service),
      port: service.port,
      host: service.host,
      lastSeen: this.now(),
    };
    const key = this.key(service.name);
    const before = this.found.get(key);
    this.found.set(key, agent);
    if (!before) {
      this.log.info(
        { event: 'discovery.up', id: agent.id, instance: agent.instance, addresses: agent.addresses, port: agent.port },
        'found an agent',
      );
      this.emit('up', agent);
      return;
    }
    const { lastSeen: _a, ...was } = before;
    const { lastSeen: _b, ...is } = agent;
    if (JSON.stringify(was) !== JSON.stringify(is)) this.emit('update', agent);
  }

  private remove(fqdnOrInstance: string, reason: AgentGoneReason): void {
    const key = this.key(fqdnOrInstance);
    const agent = this.found.get(key);
    if (!agent) return;
    this.found.delete(key);
    this.log.info({ event: 'discovery.down', id: agent.id, instance: agent.instance, reason }, 'agent gone');
    this.emit('down', agent, reason);
    if (reason === 'expired') this.newBrowser();
  }

  /** Any answer naming a known instance refreshes its lastSeen (bonjour's browser only reports changes). */
  private noteAnswers(packet: ResponsePacket): void {
    if (this.found.size === 0) return;
    const now = this.now();
    for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
      if ((rr.type !== 'SRV' && rr.type !== 'TXT') || !rr.ttl) continue;
      const known = this.found.get(this.key(rr.name));
      if (known) known.lastSeen = now;
    }
  }
}
