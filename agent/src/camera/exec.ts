/**
 * The camera drivers' use of the one program runner (util/run.ts): the same
 * runs, with a missing program, a timeout and a cancellation turned into
 * CameraErrors a driver and the HTTP layer understand.
 */
import {
  KILL_GRACE_MS,
  killOnClose,
  runProgram as run,
  spawnProgram,
  stopProgram,
  type RunOptions,
} from '../util/run.js';
import { framesFrom } from './common.js';
import type { PreviewFrame } from './driver.js';
import { abortedError, cameraError } from './failures.js';

export { KILL_GRACE_MS, killOnClose, type RunOptions };

export interface RunResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
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
  const { child } = await spawnProgram(file, args, { cancelSignal: signal, forceKillAfterDelay: KILL_GRACE_MS });
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
    if (child.exitCode === null) stopProgram(child, 'SIGTERM');
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
  const result = await run(file, args, options);
  if (result.canceled) throw abortedError();
  if (result.timedOut) {
    throw cameraError(
      'camera_timeout',
      `${file} did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped; check the camera connection.`,
    );
  }
  if (result.spawnError === 'ENOENT') {
    throw cameraError(
      'camera_program_missing',
      `The program ${file} is not installed or not on PATH; install it to use this camera.`,
    );
  }
  if (result.exitCode === null) {
    throw cameraError(
      'camera_failed',
      `${file} stopped unexpectedly (${result.signal ?? 'no exit code'}); see the agent log.`,
      result,
    );
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
