import type { Logger } from './util/log.js';

export interface Advertiser {
  stop(): Promise<void>;
}

/** True unless --no-mdns was given or SKYSTATION_MDNS=off. */
export function mdnsEnabled(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag && (env['SKYSTATION_MDNS'] ?? '').toLowerCase() !== 'off';
}

/**
 * Advertises `_skystation._tcp`. For now a stub that sends nothing: the
 * bonjour-service/avahi advertiser comes with the discovery work, tested in
 * network namespaces only (no multicast on the machine's real interfaces).
 */
export function startAdvertiser(opts: {
  enabled: boolean;
  log: Logger;
  port: number;
  id: string;
  name: string;
}): Advertiser {
  if (!opts.enabled) opts.log.info({ event: 'mdns.disabled' }, 'mdns disabled');
  else
    opts.log.warn(
      { event: 'mdns.not_implemented', port: opts.port },
      'mdns advertising is not implemented yet; add this agent to the station by its address',
    );
  return { stop: () => Promise.resolve() };
}
