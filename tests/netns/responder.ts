/**
 * A minimal mDNS responder for `_skystation._tcp` that speaks only when asked:
 * it answers each PTR query for the service (PTR, SRV, TXT and A records, as
 * the agent's advertiser does) and never announces on its own. The lost-query
 * namespace test uses it so that the browser can only learn of the camera
 * from the answer to a query it sent, not from an announcement that happens
 * to arrive. Prints one JSON line per event ({"event":"ready"|"answered"}).
 * Options: --id, --name, --ip (the address to answer with), --port.
 */
import { parseArgs } from 'node:util';
import multicastDns from 'multicast-dns';
import { buildTxt, instanceNameFor, MDNS_SERVICE_TYPE } from '../../agent/src/protocol/mdns.js';

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: '3f2a9c1e-0000-4000-8000-00000000beef' },
    name: { type: 'string', default: 'asked' },
    ip: { type: 'string' },
    port: { type: 'string', default: '8080' },
  },
  strict: true,
});
if (!values.ip) throw new Error('--ip is required');

const print = (event: string, data: object = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, t: performance.timeOrigin + performance.now(), ...data })}\n`);
};

const agent = {
  id: values.id,
  name: values.name,
  version: '9.8.7',
  cameraModel: 'Asked camera',
  capabilities: ['preview'],
  tlsFingerprint: null,
};
const service = `${MDNS_SERVICE_TYPE}.local`;
const instance = `${instanceNameFor(agent)}.${service}`;
const target = `responder-${values.id.slice(0, 8)}.local`;
const txt = Object.entries(buildTxt(agent)).map(([k, v]) => Buffer.from(`${k}=${v}`));

const mdns = multicastDns();
mdns.on('error', (err) => print('error', { message: err.message }));
mdns.on('warning', (err: Error) => print('warning', { message: err.message }));
let answered = 0;
mdns.on('query', (query) => {
  if (!query.questions.some((q) => q.type === 'PTR' && q.name === service)) return;
  answered += 1;
  mdns.respond({
    answers: [
      { name: service, type: 'PTR', ttl: 120, data: instance },
      { name: instance, type: 'SRV', ttl: 120, data: { port: Number(values.port), target, priority: 0, weight: 0 } },
      { name: instance, type: 'TXT', ttl: 4500, data: txt },
      { name: target, type: 'A', ttl: 120, data: values.ip! },
    ],
  });
  print('answered', { n: answered });
});
mdns.on('ready', () => print('ready'));

process.on('SIGTERM', () => mdns.destroy(() => process.exit(0)));
process.on('SIGINT', () => mdns.destroy(() => process.exit(0)));
