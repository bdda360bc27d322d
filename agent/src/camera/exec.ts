import { loadExeca } from '../util/execa.js';
import type { Logger } from '../util/log.js';
import { framesFrom } from './common.js';
import type { PreviewFrame } from './driver.js';
import { abortedError, cameraError } from './failures.js';

export interface RunOptions {
  /** Hard limit; the program gets SIGTERM, then SIGKILL two seconds later. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Aborting this SIGKILLs the program at once (a driver's close()). */
  kill?: AbortSignal | undefined;
  log?: Logger | undefined;
  env?: Record<string, string> | undefined;
  /** Cap on stdout (bytes); large JPEGs on stdout need room. */
  maxBuffer?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

/** Milliseconds between SIGTERM and SIGKILL for a program that does not stop. */
export const KILL_GRACE_MS = 2_000;

/** SIGKILL the program when `kill` aborts; returns the detach function. */
export function killOnClose(subprocess: { kill(signal: NodeJS.Signals): boolean }, kill?: AbortSignal): () => void {
  if (!kill) return () => undefined;
  const onAbort = (): void => {
    subprocess.kill('SIGKILL');
  };
  if (kill.aborted) onAbort();
  kill.addEventListener('abort', onAbort, { once: true });
  return () => kill.removeEventListener('abort', onAbort);
}

/**
 * Starts a program that streams MJPEG on stdout and yields its frames until
 * `signal` aborts; then stops the program. A non-zero exit before that is
 * turned into an error by `classify`.
 */
export async function* streamMjpeg(
  file: string,
  args: readonly string[],
  signal: AbortSignal,
  fallback: { width: number; height: number; exposureUs: number },
  classify: (stderr: string) => Error,
  kill?: AbortSignal,
): AsyncGenerator<PreviewFrame> {
  const execa = await loadExeca();
  const child = execa(file, args, {
    buffer: false,
    stdin: 'ignore',
    stderr: 'pipe',
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: KILL_GRACE_MS,
  });
  const release = killOnClose(child, kill);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  try {
    yield* framesFrom(child.stdout, fallback, signal);
    const result = await child;
    if (!signal.aborted && (result as { code?: string }).code === 'ENOENT') {
      throw cameraError('camera_program_missing', `The program ${file} is not installed or not on PATH.`);
    }
    if (!signal.aborted && result.exitCode !== 0) throw classify(stderr);
  } finally {
    release();
    if (child.exitCode === null) child.kill('SIGTERM');
    await child.catch(() => undefined);
  }
}

/**
 * Runs one external program (argument array, never a shell) with a timeout
 * and cancellation. A missing program, a timeout and a cancellation become
 * CameraErrors; any other exit returns the code and stderr for the driver to
 * classify. Stderr is logged at debug level.
 */
export async function runProgram(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const execa = await loadExeca();
  const subprocess = execa(file, args, {
    reject: false,
    encoding: 'buffer',
    stdin: 'ignore',
    timeout: options.timeoutMs,
    forceKillAfterDelay: KILL_GRACE_MS,
    maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const release = killOnClose(subprocess, options.kill);
  const result = await subprocess.finally(release);
  const stderr = Buffer.from(result.stderr).toString('utf8');
  options.log?.debug(
    { event: 'camera.exec', file, args, exit_code: result.exitCode ?? null, ms: Date.now() - started, stderr },
    'camera program finished',
  );
  if (result.isCanceled) throw abortedError();
  if (result.timedOut) {
    throw cameraError(
      'camera_timeout',
      `${file} did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped; check the camera connection.`,
    );
  }
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT') {
    throw cameraError(
      'camera_program_missing',
      `The program ${file} is not installed or not on PATH; install it to use this camera.`,
    );
  }
  if (result.exitCode === undefined) {
    throw cameraError(
      'camera_failed',
      `${file} stopped unexpectedly (${result.signal ?? 'no exit code'}); see the agent log.`,
      result,
    );
  }
  return { exitCode: result.exitCode, stdout: Buffer.from(result.stdout), stderr };
}
