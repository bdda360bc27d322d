/**
 * The agent's logs: pino JSON lines to stdout (the `listening` line included)
 * and, under <data-dir>/logs, rotated files (rotating-file-stream: 10 MB or
 * daily, gzip, kept 7 days):
 *   agent.log  info and above
 *   error.log  errors only
 *   debug.log  everything, only when the level is debug or trace
 * readLastLogEntries() serves the CinePi logs endpoint.
 *
 * Secrets never reach a log (issue 12): the folder is 0700 and the files 0600,
 * fields that may hold a token are redacted, and the pairing code is printed
 * only on stdout (printPairingBanner), never to the files, so GET /api/logs
 * cannot return it either.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type LevelWithSilent, type Logger, type StreamEntry } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

export const LOG_DIR_NAME = 'logs';
export const LOG_FILES = { main: 'agent.log', error: 'error.log', debug: 'debug.log' } as const;
/** Log files are the agent user's own: 0600 in a 0700 folder. */
export const LOG_FILE_MODE = 0o600;

/** Fields that may carry a secret, wherever a log line puts them: pino writes "[redacted]" instead. */
export const REDACT_PATHS = [
  'token',
  'access_token',
  'admin_token',
  'pairing_code',
  'authorization',
  'password',
  '*.token',
  '*.access_token',
  '*.pairing_code',
  '*.authorization',
  '*.password',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'body.code',
  'body.token',
];

export interface AgentLoggerOptions {
  level: LevelWithSilent;
  /** <data-dir>/logs; no files when null. */
  dir: string | null;
  /** rotating-file-stream size, e.g. "10M". */
  maxSize?: string;
  maxAgeDays?: number;
}

export interface AgentLogger {
  logger: Logger;
  /** Flushes and closes the files. */
  close: () => Promise<void>;
}

function rotating(dir: string, file: string, maxSize: string, maxAgeDays: number): RotatingFileStream {
  return createStream(file, {
    path: dir,
    size: maxSize,
    interval: '1d',
    compress: 'gzip',
    mode: LOG_FILE_MODE,
    // One file a day plus size rotations; pruneOldLogs() enforces the age.
    maxFiles: maxAgeDays * 4,
  });
}

/** Removes rotated logs (not the live files) older than `maxAgeDays`. */
export async function pruneOldLogs(dir: string, maxAgeDays: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  const live = new Set<string>(Object.values(LOG_FILES));
  for (const name of names) {
    if (live.has(name) || !/\.log(\.gz)?$|\.gz$/.test(name)) continue;
    const path = join(dir, name);
    try {
      if (now - (await stat(path)).mtimeMs > maxAgeDays * 86400_000) {
        await rm(path, { force: true });
        removed.push(path);
      }
    } catch {
      // vanished meanwhile
    }
  }
  return removed;
}

export function createAgentLogger(options: AgentLoggerOptions): AgentLogger {
  const level = options.level;
  const base = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  // stdout stays synchronous so the "listening" line is never lost.
  const streams: StreamEntry[] = [
    { level: level === 'silent' ? 'fatal' : level, stream: pino.destination({ dest: 1, sync: true }) },
  ];
  const files: RotatingFileStream[] = [];
  let pruneTimer: NodeJS.Timeout | null = null;
  if (options.dir !== null && level !== 'silent') {
    const dir = options.dir;
    secureLogDir(dir);
    const maxSize = options.maxSize ?? '10M';
    const maxAge = options.maxAgeDays ?? 7;
    const main = rotating(dir, LOG_FILES.main, maxSize, maxAge);
    const errors = rotating(dir, LOG_FILES.error, maxSize, maxAge);
    files.push(main, errors);
    streams.push({ level: 'info', stream: main }, { level: 'error', stream: errors });
    if (level === 'debug' || level === 'trace') {
      const debug = rotating(dir, LOG_FILES.debug, maxSize, maxAge);
      files.push(debug);
      streams.push({ level, stream: debug });
    }
    for (const f of files)
      f.on('error', (err) => process.stderr.write(`skystation-agent: log file error: ${String(err)}\n`));
    void pruneOldLogs(dir, maxAge);
    pruneTimer = setInterval(() => void pruneOldLogs(dir, maxAge), 6 * 3600_000);
    pruneTimer.unref();
  }
  const logger = level === 'silent' ? pino({ ...base, level: 'silent' }) : pino(base, pino.multistream(streams));
  return {
    logger,
    close: async () => {
      if (pruneTimer) clearInterval(pruneTimer);
      await Promise.all(
        files.map(
          (f) =>
            new Promise<void>((resolve) => {
              f.end(() => resolve());
            }),
        ),
      );
    },
  };
}

/**
 * Makes the log folder 0700 and the live files 0600: files written by an
 * older agent (0644) are tightened at start, as the mode applies only to new files.
 */
export function secureLogDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of Object.values(LOG_FILES)) {
    try {
      chmodSync(join(dir, name), LOG_FILE_MODE);
    } catch {
      // not there yet
    }
  }
}

/**
 * Prints the pairing code as one JSON line on stdout only (the terminal, or
 * the service's own output), never to the log files: GET /api/logs and
 * anyone who can read logs/ must not learn it.
 */
export function printPairingBanner(code: string, expiresAt: number, out: NodeJS.WritableStream = process.stdout): void {
  const minutes = Math.max(1, Math.round((expiresAt - Date.now()) / 60_000));
  const line = {
    level: 30,
    time: new Date().toISOString(),
    pid: process.pid,
    event: 'pairing_code',
    code,
    expires_at: new Date(expiresAt).toISOString(),
    msg: `Pairing code ${code}: enter it in Skystation within ${minutes} minutes to pair this camera (skystation-agent pair shows the current code, or makes a new one).`,
  };
  out.write(`${JSON.stringify(line)}\n`);
}

export interface LogEntry {
  level: number;
  time: string;
  msg: string;
  [key: string]: unknown;
}

const LEVEL_NUMBERS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * The last `n` entries of <dir>/agent.log (error.log with `file: 'error'`),
 * oldest first, optionally at or above a level. Reads the file backwards in
 * chunks so a 10 MB log costs only what is returned.
 */
export async function readLastLogEntries(
  dir: string,
  n: number,
  options: { file?: keyof typeof LOG_FILES; minLevel?: keyof typeof LEVEL_NUMBERS } = {},
): Promise<LogEntry[]> {
  const path = join(dir, LOG_FILES[options.file ?? 'main']);
  const min = options.minLevel ? (LEVEL_NUMBERS[options.minLevel] ?? 0) : 0;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = (await handle.stat()).size;
    const out: LogEntry[] = [];
    let position = size;
    let tail = '';
    const chunk = 64 * 1024;
    while (position > 0 && out.length < n) {
      const length = Math.min(chunk, position);
      position -= length;
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, position);
      const text = buf.toString('utf8') + tail;
      const lines = text.split('\n');
      tail = position > 0 ? (lines.shift() ?? '') : '';
      for (let i = lines.length - 1; i >= 0 && out.length < n; i--) {
        const line = lines[i]!.trim();
        if (line === '') continue;
        try {
          const entry = JSON.parse(line) as LogEntry;
          if (typeof entry.level === 'number' && entry.level >= min) out.push(entry);
        } catch {
          // a line cut by a crash
        }
      }
      if (position === 0 && tail !== '') break;
    }
    return out.reverse();
  } finally {
    await handle.close();
  }
}

/** Where the agent's log files live for a data folder. */
export function logsDirFor(dataDir: string): string {
  return join(dataDir, LOG_DIR_NAME);
}
