import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

/**
 * The station's logger: JSON lines to <dataDir>/logs/station.log, and
 * warnings and errors also to stderr so a headless operator sees them.
 */
export function createLogger(dataDir: string | null, level = process.env['SKYSTATION_LOG_LEVEL'] ?? 'info'): Logger {
  if (dataDir === null) return pino({ level: 'silent' });
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  return pino(
    { level, base: { app: 'skystation' } },
    pino.multistream([
      { level, stream: pino.destination({ dest: join(logDir, 'station.log'), mkdir: true, sync: true }) },
      { level: 'warn', stream: process.stderr },
    ]),
  );
}
