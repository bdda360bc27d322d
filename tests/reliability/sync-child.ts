/**
 * One station sync in a process of its own, so a test can SIGKILL it mid-transfer as a power cut or a killed
 * station would: node --import tsx sync-child.ts <port> <token> <mediaDir> <galleryDb> [agentId].
 * Prints one JSON line with the result and the process's peak RSS (when it lives that long).
 */
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { SyncEngine } from '../../src-main/sync/sync-engine.js';
import pino from 'pino';

const [port, token, mediaDir, dbPath, agentId = 'a1'] = process.argv.slice(2);
const db = openDatabase(dbPath!);
const engine = new SyncEngine({
  captures: new CapturesRepo(db),
  mediaDir: mediaDir!,
  // Warnings (a copy that did not verify, a failed import) go to stderr, for the test's failure message.
  log: pino({ level: 'warn' }, pino.destination(2)),
  onImported: () => undefined,
});
const client = new AgentClient({ host: '127.0.0.1', port: Number(port) }, { token: token!, timeoutMs: 60_000 });
engine.sync(agentId, client).then(
  (r) => {
    // The run's peak memory (resourceUsage reports kB), for the soak's "station memory stays flat".
    process.stdout.write(`${JSON.stringify({ ...r, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
    db.close();
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: String(err) })}\n`);
    process.exit(1);
  },
);
