/**
 * mDNS / DNS-SD advertising of `_skystation._tcp` (TXT keys in protocol/mdns.ts).
 *
 * Two advertisers, chosen with --mdns (as Homebridge does, because two mDNS
 * responders on one machine can clash on port 5353):
 *   bonjour  an mDNS responder inside this process, @homebridge/ciao (the default; no system service needed);
 *   avahi    the system's avahi-daemon, through an `avahi-publish-service` child process.
 * SKYSTATION_MDNS=off or --no-mdns turns advertising off entirely.
 *
 * A change of name, camera model, capabilities, TLS fingerprint or the
 * machine's addresses is re-announced; stop() sends a goodbye (TTL 0) so the
 * station drops the agent at once instead of waiting for records to expire.
 */
import { createInterface } from 'node:readline';
import { hostname, networkInterfaces } from 'node:os';
import { createRequire } from 'node:module';
import type * as CiaoModule from '@homebridge/ciao';
import type { CiaoService, Responder } from '@homebridge/ciao';
import { spawnProgram, stopProgram, type StreamingProgram } from './util/run.js';
import type { CameraCapabilities } from './camera/driver.js';
import {
  MDNS_SERVICE_NAME,
  MDNS_SERVICE_TYPE,
  buildTxt,
  instanceNameFor,
  type AdvertisedAgent,
} from './protocol/mdns.js';
import type { Logger } from './util/log.js';
import { Backoff } from './util/backoff.js';

export const MDNS_MODES = ['bonjour', 'avahi'] as const;
export type MdnsMode = (typeof MDNS_MODES)[number];

/** The facts a running agent may change while advertised. */
export type AdvertisedChange = Partial<
  Pick<AdvertisedAgent, 'name' | 'cameraModel' | 'capabilities' | 'tlsFingerprint'>
>;

export interface Advertiser {
  readonly mode: MdnsMode | 'off';
  /** Re-announce with changed facts (no-op when nothing changed or advertising is off). */
  update(change: AdvertisedChange): Promise<void>;
  /** Withdraw the advertisement (goodbye) and release the socket or child process. */
  stop(): Promise<void>;
}

/** True unless --no-mdns was given or SKYSTATION_MDNS=off. */
export function mdnsEnabled(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag && (env['SKYSTATION_MDNS'] ?? '').toLowerCase() !== 'off';
}

/** The advertiser to use: the --mdns flag, else SKYSTATION_MDNS=avahi|bonjour, else bonjour. */
export function mdnsModeFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): MdnsMode {
  const fromEnv = (env['SKYSTATION_MDNS'] ?? '').toLowerCase();
  const chosen = flag ?? (fromEnv === 'avahi' || fromEnv === 'bonjour' ? fromEnv : 'bonjour');
  return chosen === 'avahi' ? 'avahi' : 'bonjour';
}

/** Capability tags (protocol/mdns.ts CAPABILITY_TAGS) for a camera. */
export function capabilityTags(c: CameraCapabilities): string[] {
  const tags: string[] = [];
  if (c.livePreview) tags.push('preview');
  if (c.bracketing) tags.push('bracketing');
  if (c.autofocus) tags.push('autofocus');
  if (c.temperature) tags.push('temperature');
  if (c.longExposure) tags.push('long-exposure');
  if (c.gainMin !== undefined && c.gainMax !== undefined) tags.push('gain');
  return tags;
}

export interface AdvertiserOptions {
  enabled: boolean;
  log: Logger;
  port: number;
  id: string;
  name: string;
  version?: string;
  cameraModel?: string;
  capabilities?: readonly string[];
  tlsFingerprint?: string | null;
  mode?: MdnsMode;
  /** The avahi publisher program (tests point it elsewhere); default avahi-publish-service. */
  avahiCommand?: string;
  /** How often to look for a new network interface (default 10 s). */
  networkCheckMs?: number;
  /** Reads the current facts (e.g. the camera's model after it was reopened or swapped); re-announced when changed. */
  refresh?: () => AdvertisedChange;
  /** How often refresh() is read (default 30 s). */
  refreshMs?: number;
}

/** Starts advertising. Never throws: a broken mDNS setup is logged and the agent keeps running without it. */
export function startAdvertiser(opts: AdvertiserOptions): Advertiser {
  const off: Advertiser = { mode: 'off', update: () => Promise.resolve(), stop: () => Promise.resolve() };
  if (!opts.enabled) {
    opts.log.info({ event: 'mdns.disabled' }, 'mdns disabled');
    return off;
  }
  const info: AdvertisedAgent = {
    id: opts.id,
    name: opts.name,
    version: opts.version ?? '0.0.0',
    cameraModel: opts.cameraModel ?? '',
    capabilities: opts.capabilities ?? [],
    tlsFingerprint: opts.tlsFingerprint ?? null,
  };
  try {
    const advertiser: Advertiser =
      opts.mode === 'avahi'
        ? new AvahiAdvertiser(opts.log, opts.port, info, opts.avahiCommand ?? 'avahi-publish-service')
        : new CiaoAdvertiser(opts.log, opts.port, info, opts.networkCheckMs ?? 10_000);
    const refresh = opts.refresh;
    if (!refresh) return advertiser;
    const timer = setInterval(() => {
      try {
        void advertiser.update(refresh());
      } catch (err) {
        opts.log.warn({ event: 'mdns.refresh_failed', err }, 'could not read the facts to advertise');
      }
    }, opts.refreshMs ?? 30_000);
    timer.unref();
    return {
      mode: advertiser.mode,
      update: (change) => advertiser.update(change),
      stop: () => {
        clearInterval(timer);
        return advertiser.stop();
      },
    };
  } catch (err) {
    opts.log.error(
      { event: 'mdns.failed', err },
      'mDNS advertising could not start; the station can still add this agent by its address',
    );
    return off;
  }
}

function sameInfo(a: AdvertisedAgent, b: AdvertisedAgent): boolean {
  return JSON.stringify(buildTxt(a)) === JSON.stringify(buildTxt(b));
}

// ---------------------------------------------------------------------------
// bonjour: @homebridge/ciao in this process

/**
 * @homebridge/ciao (Homebridge's RFC 6762/6763 responder), loaded only when
 * this agent advertises with it: --no-mdns and --mdns avahi never load it. It
 * is CommonJS, so a synchronous require keeps startAdvertiser() synchronous.
 * Everything used here is its public API: a responder, a service, and the
 * service's advertise / updateTxt / updateName / end / destroy.
 */
let ciaoModule: typeof CiaoModule | null = null;
function loadCiao(): typeof CiaoModule {
  ciaoModule ??= createRequire(import.meta.url)('@homebridge/ciao') as typeof CiaoModule;
  return ciaoModule;
}

/**
 * The interfaces ciao is told to answer on: every one Node reports with an
 * address (ciao adds loopback itself). ciao 1.3 finds them with
 * `ip -o link show` when not told, which names the one interface of a
 * container or network namespace "eth0@if5", matches nothing Node reports, and
 * so advertises on no network at all there. Told, it also runs no program.
 */
function externalInterfaces(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([, list]) => (list ?? []).some((a) => !a.internal))
    .map(([name]) => name)
    .sort();
}

/** Waits for a ciao promise for at most two seconds, logging its failure (stop and restart must not hang). */
function settleWithin2s(p: Promise<void>, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2_000);
    p.catch((err: unknown) => log.debug({ event: 'mdns.stop_failed', err }, 'mDNS stop')).finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * ciao probes the name, announces, answers queries, follows the addresses of
 * its interfaces as they change (re-announcing on its own) and re-announces a
 * changed TXT record in place. A new name is a new responder: goodbye for the
 * old name, then probe and announce the new. An interface it was not told
 * about (a Wi-Fi adapter that came up after the agent started) restarts it
 * with the longer list.
 */
class CiaoAdvertiser implements Advertiser {
  readonly mode = 'bonjour' as const;
  private responder!: Responder;
  private service!: CiaoService;
  private interfaces: string[];
  private readonly networkTimer: NodeJS.Timeout;
  /** update() and restarts, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly port: number,
    private info: AdvertisedAgent,
    networkCheckMs: number,
  ) {
    this.interfaces = externalInterfaces();
    this.open();
    this.networkTimer = setInterval(() => this.checkInterfaces(), networkCheckMs);
    this.networkTimer.unref();
  }

  private open(): void {
    this.responder = loadCiao().getResponder(this.interfaces.length > 0 ? { interface: this.interfaces } : undefined);
    const service = this.responder.createService({
      name: instanceNameFor(this.info),
      type: MDNS_SERVICE_NAME,
      port: this.port,
      hostname: hostname().split('.')[0] || 'skystation',
      txt: buildTxt(this.info),
    });
    // ciao answers a name another device already holds by advertising under "<name> (2)"; say so in the log
    // where the operator looks.
    service.on('name-change', (name) => {
      const instance = instanceNameFor(this.info);
      this.log.error(
        { event: 'mdns.name_conflict', instance, advertisedAs: name },
        `another device already advertises "${instance}", so this agent advertises as "${name}"; give it another --name (or a fresh data folder if the SD card was cloned)`,
      );
    });
    service.on('hostname-change', (host) =>
      this.log.warn(
        { event: 'mdns.hostname_conflict', host },
        'another device uses this host name; advertising another',
      ),
    );
    this.service = service;
    void this.advertise(service);
  }

  private async advertise(service: CiaoService): Promise<void> {
    try {
      await service.advertise();
      if (this.stopping || service !== this.service) return;
      this.log.info(
        {
          event: 'mdns.announced',
          instance: instanceNameFor(this.info),
          type: MDNS_SERVICE_TYPE,
          port: this.port,
          txt: buildTxt(this.info),
          at: Date.now(),
        },
        'advertising on mDNS',
      );
    } catch (err) {
      this.log.error(
        { event: 'mdns.socket_failed', err },
        'could not advertise on mDNS (UDP port 5353); if avahi-daemon runs here, start the agent with --mdns avahi',
      );
    }
  }

  /**
   * The responder's shutdown first: it drops the answers it has queued (sent 20-120 ms after a query) before
   * it sends the goodbye, where the service's own end() would let a queued answer bring the name back after it.
   */
  private async close(): Promise<void> {
    await settleWithin2s(this.responder.shutdown(), this.log);
    await settleWithin2s(this.service.destroy(), this.log);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (!this.stopping) await job();
    });
    this.queue = next.catch((err: unknown) =>
      this.log.error({ event: 'mdns.update_failed', err }, 'mDNS update failed'),
    );
    return this.queue;
  }

  private checkInterfaces(): void {
    const added = externalInterfaces().filter((name) => !this.interfaces.includes(name));
    if (added.length === 0 || this.stopping) return;
    this.interfaces = [...this.interfaces, ...added].sort();
    this.log.info({ event: 'mdns.network_changed', added }, 'a new network interface; advertising on it too');
    void this.enqueue(async () => {
      await this.close();
      this.open();
    });
  }

  /** Same instance name: a new TXT record, announced in place. A new name: goodbye for the old, probe and announce the new. */
  update(change: AdvertisedChange): Promise<void> {
    return this.enqueue(async () => {
      const next: AdvertisedAgent = { ...this.info, ...change };
      if (sameInfo(next, this.info)) return;
      const renamed = instanceNameFor(next) !== instanceNameFor(this.info);
      this.info = next;
      if (renamed) {
        await this.close();
        this.open();
      } else {
        this.service.updateTxt(buildTxt(next));
      }
      this.log.info({ event: 'mdns.updated', renamed }, 'mDNS advertisement updated');
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.networkTimer);
      await this.queue;
      await this.close();
      this.log.info({ event: 'mdns.goodbye' }, 'mDNS advertisement withdrawn');
    })();
    return this.stopping;
  }
}

// ---------------------------------------------------------------------------
// avahi

/**
 * --mdns avahi: the system's avahi-daemon answers for this agent. We run
 * `avahi-publish-service` as a child process instead of writing a file to
 * /etc/avahi/services/, because:
 *   - the advertisement then lives exactly as long as the agent: when the child
 *     exits (also when the agent crashes and takes it down) avahi withdraws the
 *     service with a goodbye, while a static file keeps advertising a dead agent;
 *   - it needs no root: the agent runs as an unprivileged user and
 *     /etc/avahi/services belongs to root;
 *   - the port (--port 0 picks one at start) and the TXT record change while
 *     the agent runs, which a static file could only follow by rewriting a
 *     root-owned file.
 * avahi-publish-service cannot change a published TXT record, so a change
 * restarts the child: avahi sends the goodbye and then announces the new record.
 * The child runs with --no-fail, so it waits for avahi-daemon instead of exiting
 * when the daemon restarts; if it exits anyway it is restarted with backoff.
 */
class AvahiAdvertiser implements Advertiser {
  readonly mode = 'avahi' as const;
  private child: StreamingProgram | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly restartBackoff = new Backoff(1_000, 60_000);
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly port: number,
    private info: AdvertisedAgent,
    private readonly command: string,
  ) {
    this.spawn();
  }

  private spawn(): void {
    if (this.stopping) return;
    const instance = instanceNameFor(this.info);
    const txt = Object.entries(buildTxt(this.info)).map(([k, v]) => `${k}=${v}`);
    spawnProgram(this.command, ['--no-fail', instance, MDNS_SERVICE_TYPE, String(this.port), ...txt]).then(
      ({ child }) => this.watch(child, instance),
      (err: unknown) => this.log.error({ event: 'mdns.avahi_failed', err }, 'could not start avahi-publish-service'),
    );
  }

  private watch(child: StreamingProgram, instance: string): void {
    if (this.stopping) {
      stopProgram(child, 'SIGTERM');
      return;
    }
    this.child = child;
    let lastLine = '';
    const onLine = (line: string): void => {
      lastLine = line;
      if (/^Established under name/i.test(line)) {
        this.restartBackoff.reset();
        this.log.info(
          { event: 'mdns.announced', instance, type: MDNS_SERVICE_TYPE, port: this.port, via: 'avahi', at: Date.now() },
          'advertising on mDNS through avahi',
        );
      } else {
        this.log.debug({ event: 'mdns.avahi_output', line }, 'avahi-publish-service');
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
    void child.then((result) => {
      if (this.child === child) this.child = null;
      if (this.stopping || child.killed) return;
      const missing = result.failed && result.exitCode === undefined;
      if (missing) {
        this.log.error(
          { event: 'mdns.avahi_missing', command: this.command, detail: result.shortMessage },
          `could not run ${this.command}; install avahi-utils or start the agent with --mdns bonjour`,
        );
        return;
      }
      const delay = this.restartBackoff.next();
      this.log.warn(
        { event: 'mdns.avahi_exited', code: result.exitCode, last: lastLine, retry_ms: delay },
        `avahi-publish-service stopped (${lastLine || `exit ${String(result.exitCode)}`}); check that avahi-daemon runs`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.spawn();
      }, delay);
      this.restartTimer.unref();
    });
  }

  private async stopChild(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    stopProgram(child, 'SIGTERM');
    const killer = setTimeout(() => stopProgram(child, 'SIGKILL'), 2_000);
    await child;
    clearTimeout(killer);
  }

  async update(change: AdvertisedChange): Promise<void> {
    if (this.stopping) return;
    const next: AdvertisedAgent = { ...this.info, ...change };
    if (sameInfo(next, this.info)) return;
    this.info = next;
    await this.stopChild();
    this.spawn();
    this.log.info({ event: 'mdns.updated', via: 'avahi' }, 'mDNS advertisement updated');
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopChild().then(() =>
      this.log.info({ event: 'mdns.goodbye', via: 'avahi' }, 'mDNS advertisement withdrawn'),
    );
    return this.stopping;
  }
}
