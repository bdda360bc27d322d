import { chmodSync, mkdirSync } from 'node:fs';
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
  // The log is the operator's own: 0600 in a 0700 folder (an older file made 0644 is tightened).
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  chmodSync(logDir, 0o700);
  const file = join(logDir, 'station.log');
  try {
    chmodSync(file, 0o600);
  } catch {
    // made below
  }
  return pino(
    {
      level,
      base: { app: 'skystation' },
      // Secrets never reach the log, wherever a line puts them.
      redact: {
        paths: ['token', 'password', 'pairing_code', 'authorization', '*.token', '*.password', '*.authorization'],
        censor: '[redacted]',
      },
    },
    pino.multistream([
      { level, stream: pino.destination({ dest: file, mkdir: true, sync: true, mode: 0o600 }) },
      { level: 'warn', stream: process.stderr },
    ]),
  );
}
