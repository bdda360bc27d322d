/**
 * ffmpeg as a child process: finding it, asking which filters the build has,
 * running it with argument arrays, parsing `-progress pipe:1`, and turning
 * its failures into StationErrors an operator can act on.
 *
 * Short runs go through the one program runner (agent/src/util/run.ts). An
 * export's ffmpeg is the exception allowed by eslint: it reads frames from
 * our stdin for as long as the export lasts, with cancellation, progress on
 * stdout and the stderr tail kept for the error, which the runner does not do.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { runProgram } from '../../agent/src/util/run.js';
import { StationError, errorMessage } from '../util/errors.js';

export interface FindFfmpegOptions {
  /** An explicit path (from settings); when given, PATH is not searched. */
  ffmpegPath?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Locate ffmpeg: the configured path, else $SKYSTATION_FFMPEG, else the first
 * `ffmpeg` on PATH. Throws `ffmpeg_missing` with what to do.
 */
export async function findFfmpeg(options: FindFfmpegOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const explicit = options.ffmpegPath ?? env['SKYSTATION_FFMPEG'];
  if (explicit !== undefined && explicit !== '') {
    if (await isExecutable(explicit)) return explicit;
    throw new StationError(
      'ffmpeg_missing',
      `ffmpeg was not found at "${explicit}". Install ffmpeg or correct the ffmpeg path in the export settings.`,
    );
  }
  const names = process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg'];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  throw new StationError(
    'ffmpeg_missing',
    'ffmpeg was not found on PATH. Install ffmpeg (e.g. `apt install ffmpeg`) or set its path in the export settings.',
  );
}

const filterCache = new Map<string, Promise<Set<string>>>();

/** Names of the filters this ffmpeg build has (`ffmpeg -filters`), cached per binary. */
export function ffmpegFilters(ffmpegPath: string): Promise<Set<string>> {
  let cached = filterCache.get(ffmpegPath);
  if (!cached) {
    cached = runProgram(ffmpegPath, ['-hide_banner', '-filters'], { timeoutMs: 30_000 }).then((r) => {
      const names = new Set<string>();
      for (const line of r.stdout.toString('utf8').split('\n')) {
        const m = /^\s*[.A-Z|]{3}\s+(\S+)\s+\S+->\S+/.exec(line);
        if (m) names.add(m[1]!);
      }
      return names;
    });
    filterCache.set(ffmpegPath, cached);
  }
  return cached;
}

export interface FfmpegProgress {
  frame: number;
  fps: number;
  outTimeSeconds: number;
  /** true on the final block (`progress=end`). */
  end: boolean;
}

/** Incremental parser for `-progress pipe:1` key=value blocks. */
export class ProgressParser {
  private rest = '';
  private block = new Map<string, string>();

  /** Feed a chunk; returns one record per completed block. */
  push(chunk: string): FfmpegProgress[] {
    const out: FfmpegProgress[] = [];
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1);
      this.block.set(key, value);
      if (key === 'progress') {
        const num = (k: string): number => {
          const v = Number(this.block.get(k));
          return Number.isFinite(v) ? v : 0;
        };
        const us = num('out_time_us') || num('out_time_ms');
        out.push({ frame: num('frame'), fps: num('fps'), outTimeSeconds: us / 1e6, end: value === 'end' });
        this.block = new Map();
      }
    }
    return out;
  }
}

export interface RunFfmpegOptions {
  signal?: AbortSignal | undefined;
  cwd?: string;
  onProgress?: (p: FfmpegProgress) => void;
  /** Writes the input to ffmpeg's stdin (respecting backpressure) and resolves when done; ffmpeg's stdin is closed afterwards. */
  feed?: (stdin: Writable, signal: AbortSignal) => Promise<void>;
}

const STDERR_TAIL_LINES = 12;

/**
 * Run ffmpeg with an argument array. `-progress pipe:1 -nostats` are added.
 * Rejects with `export_cancelled` when the signal aborts, `ffmpeg_missing`
 * when the binary cannot be started, the feed's own error when the feed
 * fails, and `ffmpeg_failed` (with the last stderr lines) otherwise.
 */
export async function runFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  options: RunFfmpegOptions = {},
): Promise<void> {
  const { signal, feed, onProgress } = options;
  if (signal?.aborted) throw new StationError('export_cancelled', 'The export was cancelled.');
  const internal = new AbortController();
  const onAbort = (): void => internal.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const failure: { feed: Error | null } = { feed: null };

  const child = execa(ffmpegPath, ['-hide_banner', '-nostats', '-progress', 'pipe:1', ...args], {
    stdin: feed ? 'pipe' : 'ignore',
    buffer: false,
    cancelSignal: internal.signal,
    forceKillAfterDelay: 3000,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });

  const tail: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (l.trim() === '') continue;
      tail.push(l);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    }
  });
  const parser = new ProgressParser();
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    for (const p of parser.push(chunk)) onProgress?.(p);
  });

  let feeding: Promise<void> = Promise.resolve();
  if (feed && child.stdin) {
    const stdin = child.stdin;
    // ffmpeg may exit (error or cancel) while we write: EPIPE is expected then.
    stdin.on('error', () => undefined);
    feeding = feed(stdin, internal.signal).then(
      () => {
        stdin.end();
      },
      (err: unknown) => {
        if (!internal.signal.aborted) {
          failure.feed = err instanceof Error ? err : new Error(String(err));
          // ffmpeg closing its input means ffmpeg failed: let its exit report it.
          if (!(err instanceof StationError && err.code === 'ffmpeg_input_closed')) internal.abort();
        }
        stdin.destroy();
      },
    );
  }

  try {
    await child;
    await feeding;
  } catch (err) {
    await feeding;
    if (signal?.aborted) throw new StationError('export_cancelled', 'The export was cancelled.', { cause: err });
    const feedError = failure.feed;
    if (feedError !== null && !(feedError instanceof StationError && feedError.code === 'ffmpeg_input_closed'))
      throw feedError;
    const e = err as { code?: string; isCanceled?: boolean; exitCode?: number; signal?: string };
    if (e.code === 'ENOENT' || e.code === 'EACCES') {
      throw new StationError(
        'ffmpeg_missing',
        `ffmpeg could not be started at "${ffmpegPath}" (${e.code}). Install ffmpeg or correct its path.`,
        {
          cause: err,
        },
      );
    }
    if (partial.trim() !== '') tail.push(partial);
    const detail = tail.length ? tail.join('\n') : errorMessage(err);
    throw new StationError(
      'ffmpeg_failed',
      `ffmpeg failed (${e.exitCode !== undefined ? `exit code ${e.exitCode}` : (e.signal ?? 'error')}):\n${detail}`,
      { cause: err },
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Write one chunk to a stream, waiting for 'drain' when its buffer is full. */
export function writeChunk(stream: Writable, chunk: Uint8Array, signal: AbortSignal): Promise<void> {
  if (signal.aborted || stream.destroyed)
    return Promise.reject(new StationError('export_cancelled', 'The export was cancelled.'));
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void =>
      done(
        signal.aborted
          ? new StationError('export_cancelled', 'The export was cancelled.')
          : new StationError('ffmpeg_input_closed', 'ffmpeg stopped reading its input.'),
      );
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    signal.addEventListener('abort', onClose, { once: true });
  });
}
