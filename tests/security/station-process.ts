/**
 * A headless station in a process of its own, for the boundary tests: they
 * need its pid (descriptors, memory, "still alive") and must survive it
 * dying. Usage: node --import tsx station-process.ts DATA_DIR RENDERER_DIR
 * Prints {"event":"listening","port":N} when it serves 127.0.0.1.
 */
import { startStation } from '../../src-main/brain/index.js';
import { startHttpServer } from '../../src-main/server/http-server.js';

const [dataDir, rendererDir] = process.argv.slice(2);
if (!dataDir || !rendererDir) {
  process.stderr.write('usage: station-process.ts DATA_DIR RENDERER_DIR\n');
  process.exit(2);
}
const station = await startStation({ dataDir, embeddedAgent: false, discovery: false });
const server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir });
process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.port })}\n`);
const stop = (): void => {
  void server
    .close()
    .then(() => station.close())
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
