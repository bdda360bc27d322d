/**
 * The station's brain (src-main/brain) as its own program inside a network
 * namespace, for the end-to-end discovery + pairing test. Prints
 * {"event":"agents","agents":[...]} on every fleet change; reads JSON lines
 * {"id":N,"method":"...","params":{...}} on stdin and prints
 * {"event":"reply","id":N,...DispatchResult}. Options: --data-dir DIR.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startStation } from '../../src-main/brain/index.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' } }, strict: true });
const print = (event: string, data: object): void => {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...data })}\n`);
};

const station = await startStation({
  dataDir: values['data-dir'] ?? '/tmp/skys-netns-station',
  embeddedAgent: false,
  pollIntervalMs: 500,
});
station.onEvent((e) => {
  if (e.event === 'agents.changed') print('agents', { agents: e.data });
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { id: number; method: string; params?: unknown };
  void station.dispatch(msg.method, msg.params ?? {}).then((r) => print('reply', { id: msg.id, ...r }));
});
const initial = await station.dispatch('listAgents', {});
if (initial.ok) print('agents', { agents: initial.result as object });
print('ready', {});
const stop = (): void => {
  void station.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
