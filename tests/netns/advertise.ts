/**
 * The agent's advertiser (agent/src/mdns.ts) as its own small program, for
 * namespace tests and the discovery benchmark. Prints the advertiser's log as
 * JSON lines on stdout. Signals: SIGUSR1 re-announces with camera model
 * "Changed camera" and capabilities "preview,gain"; SIGUSR2 renames the agent to
 * "<name>-renamed"; SIGTERM sends the goodbye and exits.
 * Options: --id, --name, --port, --mode bonjour|avahi, --avahi-command PATH.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startAdvertiser } from '../../agent/src/mdns.js';

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: '3f2a9c1e-0000-4000-8000-000000000001' },
    name: { type: 'string', default: 'roof' },
    port: { type: 'string', default: '8080' },
    mode: { type: 'string', default: 'bonjour' },
    'avahi-command': { type: 'string' },
  },
  strict: true,
});

const log = pino({ level: 'debug', base: null, timestamp: false }, pino.destination({ dest: 1, sync: true }));
const advertiser = startAdvertiser({
  enabled: true,
  log,
  port: Number(values.port),
  id: values.id,
  name: values.name,
  version: '9.8.7',
  cameraModel: 'Bench camera',
  capabilities: ['preview'],
  tlsFingerprint: null,
  mode: values.mode === 'avahi' ? 'avahi' : 'bonjour',
  ...(values['avahi-command'] ? { avahiCommand: values['avahi-command'] } : {}),
});
process.on('SIGUSR1', () => {
  void advertiser.update({ cameraModel: 'Changed camera', capabilities: ['preview', 'gain'] });
});
process.on('SIGUSR2', () => {
  void advertiser.update({ name: `${values.name}-renamed` });
});
const stop = (): void => {
  void advertiser.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
