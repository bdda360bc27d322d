/**
 * A discovery browser as its own program, for namespace tests and the
 * discovery benchmark: runs src-main/discovery/browser.ts and prints one JSON
 * line per event on stdout ({"event":"query"|"up"|"update"|"down", "t": ms, ...}).
 * Options: --initial-ms N (first re-query delay), --max-ms N (backoff cap),
 * --stale-ms N (report an agent gone after N ms without an answer), --network-check-ms N.
 * Stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { DiscoveryBrowser } from '../../src-main/discovery/browser.js';

const { values } = parseArgs({
  options: {
    'initial-ms': { type: 'string' },
    'max-ms': { type: 'string' },
    'stale-ms': { type: 'string' },
    'network-check-ms': { type: 'string' },
  },
  strict: true,
});

const now = (): number => performance.timeOrigin + performance.now();
const print = (event: string, data: object): void => {
  process.stdout.write(`${JSON.stringify({ event, t: now(), ...data })}\n`);
};
const log = {
  info: (): void => undefined,
  debug: (): void => undefined,
  warn: (obj: object, msg?: string): void => print('log', { level: 'warn', msg, ...obj }),
  error: (obj: object, msg?: string): void => print('log', { level: 'error', msg, ...obj }),
};

const browser = new DiscoveryBrowser({
  log,
  now,
  ...(values['initial-ms'] ? { initialQueryDelayMs: Number(values['initial-ms']) } : {}),
  ...(values['max-ms'] ? { maxQueryDelayMs: Number(values['max-ms']) } : {}),
  ...(values['stale-ms'] ? { staleAfterMs: Number(values['stale-ms']) } : {}),
  ...(values['network-check-ms'] ? { networkCheckMs: Number(values['network-check-ms']) } : {}),
});
browser.on('query', (q) => print('query', q));
browser.on('up', (a) => print('up', { agent: a }));
browser.on('update', (a) => print('update', { agent: a }));
browser.on('down', (a, reason) => print('down', { agent: a, reason }));
browser.start();
print('started', { enabled: browser.enabled });

const stop = (): void => {
  void browser.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
