/**
 * mDNS / DNS-SD advertising of `_skystation._tcp` (TXT keys in protocol/mdns.ts).
 *
 * Two advertisers, chosen with --mdns (as Homebridge does, because two mDNS
 * responders on one machine can clash on port 5353):
 *   bonjour  bonjour-service inside this process (the default; no system service needed);
 *   avahi    the system's avahi-daemon, through an `avahi-publish-service` child process.
 * SKYSTATION_MDNS=off or --no-mdns turns advertising off entirely.
 *
 * A change of name, camera model, capabilities, TLS fingerprint or the
 * machine's addresses is re-announced; stop() sends a goodbye (TTL 0) so the
 * station drops the agent at once instead of waiting for records to expire.
 */
import { createInterface } from 'node:readline';
import { hostname, networkInterfaces } from 'node:os';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type * as BonjourModule from 'bonjour-service';
import type { Bonjour, Service } from 'bonjour-service';
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
  /** How often to look for changed network addresses (default 10 s). */
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
        : new BonjourAdvertiser(opts.log, opts.port, info, opts.networkCheckMs ?? 10_000);
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

/** Every non-internal address of this machine, as one comparable string. */
function addressSignature(): string {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal)
    .map((a) => a.address)
    .sort()
    .join(',');
}

// ---------------------------------------------------------------------------
// bonjour-service

/**
 * The parts of bonjour-service 1.4 that its typings keep private but an
 * advertiser needs: the multicast socket (its 'error' event must be handled,
 * or a failed bind on port 5353 would crash the agent) and the responder's
 * record registry (to swap records when the TXT changes). Checked at start so
 * an incompatible bonjour-service fails with a clear message, not later.
 */
type ServiceRecord = ReturnType<Service['records']>[number];
interface MdnsSocket extends EventEmitter {
  respond(packet: unknown, cb?: (err?: Error | null) => void): void;
  query(name: string, type: string, cb?: () => void): void;
}
interface ResponderInternals {
  mdns: MdnsSocket;
  register(records: ServiceRecord[]): void;
  unregister(records: ServiceRecord[]): void;
}

export function bonjourInternals(b: Bonjour): ResponderInternals {
  const server = (b as unknown as { server?: Partial<ResponderInternals> }).server;
  const mdns = server?.mdns;
  if (
    !server ||
    !mdns ||
    typeof mdns.on !== 'function' ||
    typeof mdns.respond !== 'function' ||
    typeof server.register !== 'function' ||
    typeof server.unregister !== 'function'
  ) {
    throw new Error('this version of bonjour-service is not supported (expected 1.4); reinstall the agent');
  }
  return server as ResponderInternals;
}

/**
 * bonjour-service (and its multicast-dns and dns-packet) only when this
 * agent advertises with it: --no-mdns and --mdns avahi never load it. It is
 * CommonJS, so a synchronous require keeps startAdvertiser() synchronous.
 */
let bonjourModule: typeof BonjourModule | null = null;
function loadBonjour(): typeof BonjourModule {
  bonjourModule ??= createRequire(import.meta.url)('bonjour-service') as typeof BonjourModule;
  return bonjourModule;
}

class BonjourAdvertiser implements Advertiser {
  readonly mode = 'bonjour' as const;
  private readonly bonjour: Bonjour;
  private readonly responder: ResponderInternals;
  private readonly host = `${hostname().split('.')[0] || 'skystation'}.local`;
  private readonly networkTimer: NodeJS.Timeout;
  private service: Service;
  private addresses = addressSignature();
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly port: number,
    private info: AdvertisedAgent,
    networkCheckMs: number,
  ) {
    const { Bonjour: BonjourClass } = loadBonjour();
    this.bonjour = new BonjourClass({}, (err: unknown) =>
      log.warn({ event: 'mdns.respond_failed', err }, 'could not answer an mDNS query'),
    );
    this.responder = bonjourInternals(this.bonjour);
    this.responder.mdns.on('error', (err: NodeJS.ErrnoException) =>
      log.error(
        { event: 'mdns.socket_failed', code: err.code, err },
        'the mDNS socket (UDP port 5353) could not be opened; if avahi-daemon runs here, start the agent with --mdns avahi',
      ),
    );
    this.responder.mdns.on('warning', (err: unknown) => log.debug({ event: 'mdns.warning', err }, 'mDNS warning'));
    this.service = this.publish(true);
    this.networkTimer = setInterval(() => this.checkNetwork(), networkCheckMs);
    this.networkTimer.unref();
  }

  private publish(probe: boolean): Service {
    const instance = instanceNameFor(this.info);
    const txt = buildTxt(this.info);
    const service = this.bonjour.publish({
      name: instance,
      type: MDNS_SERVICE_NAME,
      protocol: 'tcp',
      port: this.port,
      host: this.host,
      txt,
      probe,
    });
    service.once('up', () =>
      this.log.info(
        { event: 'mdns.announced', instance, type: MDNS_SERVICE_TYPE, port: this.port, txt, at: Date.now() },
        'advertising on mDNS',
      ),
    );
    // bonjour-service stops a service whose name another host answers for while probing, and only says so on
    // the console; report it in the log where the operator looks.
    const conflictCheck = setTimeout(() => {
      if (service === this.service && !service.published && !service.activated && !this.stopping) {
        this.log.error(
          { event: 'mdns.name_conflict', instance },
          `another device already advertises "${instance}"; give this agent another --name (or a fresh data folder if the SD card was cloned)`,
        );
      }
    }, 3_000);
    conflictCheck.unref();
    return service;
  }

  /**
   * Same instance name: swap the records in place and announce the new set
   * (the old service's re-announcement timers stop). A new name is a new
   * DNS-SD instance: goodbye for the old one, then probe and announce the new.
   */
  async update(change: AdvertisedChange): Promise<void> {
    if (this.stopping) return;
    const next: AdvertisedAgent = { ...this.info, ...change };
    if (sameInfo(next, this.info)) return;
    const renamed = instanceNameFor(next) !== instanceNameFor(this.info);
    this.info = next;
    if (renamed) {
      const old = this.service;
      // Service.stop is typed as a bare Function in bonjour-service; it takes a callback once the goodbye is sent.
      const stop = old.stop as (cb: () => void) => void;
      await new Promise<void>((resolve) => {
        stop(() => resolve());
      });
      this.service = this.publish(true);
    } else {
      this.replaceInPlace();
    }
    this.log.info({ event: 'mdns.updated', renamed }, 'mDNS advertisement updated');
  }

  private replaceInPlace(): void {
    const old = this.service;
    // Public fields of bonjour-service's Service: a destroyed, inactive service is no longer re-announced
    // and is left out of the goodbye that stop() sends.
    old.destroyed = true;
    old.activated = false;
    this.responder.unregister(old.records());
    this.service = this.publish(false);
  }

  private checkNetwork(): void {
    const now = addressSignature();
    if (now === this.addresses || this.stopping) return;
    this.addresses = now;
    this.log.info({ event: 'mdns.network_changed', addresses: now }, 'network addresses changed; re-announcing');
    this.replaceInPlace();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.networkTimer);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000);
        this.bonjour.unpublishAll(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000);
        this.bonjour.destroy(() => {
          clearTimeout(t);
          resolve();
        });
      });
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
  private restartDelayMs = 1_000;
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
        this.restartDelayMs = 1_000;
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
      const delay = this.restartDelayMs;
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, 60_000);
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
