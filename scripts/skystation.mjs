#!/usr/bin/env node
// The `skystation` command: runs the built CLI (npm run build first).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('Skystation is not built yet; run "npm run build" (or "npm start" once) first.\n');
  process.exit(2);
}
await import(cli);
