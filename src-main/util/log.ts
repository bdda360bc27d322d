import {
  chmodSync,
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;

/** Rotate station.log once it reaches this size (SKYSTATION_LOG_MAX_BYTES overrides). */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Rotated files kept beside it: station.log.1 (newest) … station.log.N (SKYSTATION_LOG_KEEP overrides). */
export const LOG_KEEP = 5;
/** After a failed write (a full disk), the file is tried again this long after. */
const RETRY_MS = 5_000;

function envInt(name: string, fallback: number, min: number): number {
  const v = Number(process.env[name] ?? '');
  return Number.isInteger(v) && v >= min ? v : fallback;
}

/**
 * The station's log file: synchronous appends (a line is on disk before the
 * process can die), rotated by size (station.log → .1 → … → .N, the oldest
 * dropped), 0600. A write that fails (ENOSPC on a full disk, EIO) drops that
 * line, counts it, and the file is tried again a few seconds later: logging
 * never throws into the code that logs, so it can never end the process.
 */
export class RotatingLogFile {
  private fd: number | null = null;
  private size = 0;
  private retryAt = 0;
  /** Lines lost to failed writes since the last successful one. */
  dropped = 0;

  constructor(
    readonly file: string,
    private readonly maxBytes = envInt('SKYSTATION_LOG_MAX_BYTES', LOG_MAX_BYTES, 1024),
    private readonly keep = envInt('SKYSTATION_LOG_KEEP', LOG_KEEP, 1),
  ) {}

  write(line: string): boolean {
    try {
      if (this.fd === null) {
        if (Date.now() < this.retryAt) {
          this.dropped++;
          return true;
        }
        this.open();
      }
      const bytes = Buffer.from(line, 'utf8');
      if (this.size > 0 && this.size + bytes.length > this.maxBytes) this.rotate();
      if (this.dropped > 0) {
        const note = Buffer.from(
          `${JSON.stringify({ level: 40, time: Date.now(), app: 'skystation', event: 'log.dropped', dropped: this.dropped, msg: 'log lines were lost while the log could not be written (disk full?)' })}\n`,
        );
        this.append(note);
        this.dropped = 0;
      }
      this.append(bytes);
    } catch {
      this.dropped++;
      // A line cut short by the full disk is taken back, so the file stays whole JSON lines.
      if (this.fd !== null) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          /* the next open appends after it */
        }
      }
      this.close();
      this.retryAt = Date.now() + RETRY_MS;
    }
    return true;
  }

  private append(bytes: Buffer): void {
    const n = writeSync(this.fd!, bytes);
    if (n !== bytes.length) throw new Error(`short write (${n} of ${bytes.length} bytes): the disk is full`);
    this.size += n;
  }

  private open(): void {
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        /* not there yet */
      }
    }
    renameSync(this.file, `${this.file}.1`);
    this.open();
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      /* already gone */
    }
    this.fd = null;
  }
}

/** stderr, never throwing either (a closed pipe must not end the station). */
const stderrSafe = {
  write(line: string): boolean {
    try {
      process.stderr.write(line);
    } catch {
      /* nowhere left to say it */
    }
    return true;
  },
};
process.stderr.on('error', () => undefined);

/**
 * The station's logger: JSON lines to <dataDir>/logs/station.log (rotated by
 * size), and warnings and errors also to stderr so a headless operator sees them.
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
      { level, stream: new RotatingLogFile(file) },
      { level: 'warn', stream: stderrSafe },
    ]),
  );
}
