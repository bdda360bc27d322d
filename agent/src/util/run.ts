/**
 * The one way the agent (and the station, which imports it) runs an external
 * program: an argument array (never a shell string), a timeout with SIGTERM
 * and then SIGKILL, cancellation, and the program's stderr in the log. execa
 * is loaded on first use, so an agent that runs no program never pays for it.
 *
 * - runProgram: run to the end and return what happened (never throws for the
 *   program's own failure; callers classify exit codes and stderr).
 * - runChecked: run to the end and throw a ProgramError unless it exits 0.
 * - spawnProgram: a long-running program (a stream, a responder) whose
 *   lifecycle the caller owns.
 *
 * Only this file and util/execa.ts may import execa or node:child_process
 * (eslint no-restricted-imports); the clock probe in ops/system-info.ts is the
 * one documented exception.
 */
import type { ResultPromise } from 'execa';
import { AgentError } from './errors.js';
import { loadExeca } from './execa.js';
import type { Logger } from './log.js';

/** Milliseconds between SIGTERM and SIGKILL for a program that does not stop. */
export const KILL_GRACE_MS = 2_000;

export interface RunOptions {
  /** Hard limit; the program gets SIGTERM, then SIGKILL KILL_GRACE_MS later. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Aborting this SIGKILLs the program at once (a driver's close()). */
  kill?: AbortSignal | undefined;
  log?: Pick<Logger, 'debug' | 'warn'> | undefined;
  env?: Record<string, string> | undefined;
  /** Cap on stdout (bytes); large JPEGs on stdout need room. Default 256 MiB. */
  maxBuffer?: number;
}

export interface RunResult {
  /** null when the program did not exit by itself (timed out, cancelled, killed by a signal, or never started). */
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
  /** The signal that ended it, if one did. */
  signal: string | null;
  /** The spawn error's code (ENOENT: not installed or not on PATH; EACCES), when it never started. */
  spawnError: string | null;
  ms: number;
}

/**
 * Signals a program that is running. One that never started (not installed: ENOENT) has no pid, and
 * Node's kill() on it reaches kill(0, signal), which signals our own process group (the agent, or a
 * test runner and everything it started): so there is nothing to signal then.
 */
export function stopProgram(
  subprocess: { pid?: number | undefined; exitCode?: number | null; kill(signal: NodeJS.Signals): boolean },
  signal: NodeJS.Signals,
): void {
  if (subprocess.pid === undefined || subprocess.pid <= 0) return;
  subprocess.kill(signal);
}

/** SIGKILL the program when `kill` aborts; returns the detach function. */
export function killOnClose(
  subprocess: { pid?: number | undefined; kill(signal: NodeJS.Signals): boolean },
  kill?: AbortSignal,
): () => void {
  if (!kill) return () => undefined;
  const onAbort = (): void => {
    stopProgram(subprocess, 'SIGKILL');
  };
  if (kill.aborted) onAbort();
  kill.addEventListener('abort', onAbort, { once: true });
  return () => kill.removeEventListener('abort', onAbort);
}

/** Runs a program to its end; its stderr goes to the log (debug, or warn when it failed). */
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
  const code: unknown = 'code' in result ? result.code : undefined;
  const out: RunResult = {
    exitCode: result.exitCode ?? null,
    stdout: Buffer.from(result.stdout ?? new Uint8Array()),
    stderr: Buffer.from(result.stderr ?? new Uint8Array()).toString('utf8'),
    timedOut: result.timedOut,
    canceled: result.isCanceled,
    signal: result.signal ?? null,
    spawnError: result.exitCode === undefined && typeof code === 'string' ? code : null,
    ms: Date.now() - started,
  };
  const failed = out.exitCode !== 0 && !out.canceled;
  (failed ? options.log?.warn : options.log?.debug)?.call(
    options.log,
    {
      event: 'program.exit',
      file,
      args,
      exit_code: out.exitCode,
      signal: out.signal,
      timed_out: out.timedOut,
      spawn_error: out.spawnError,
      ms: out.ms,
      stderr: out.stderr.slice(-4000),
    },
    `${file} finished`,
  );
  return out;
}

/** A program that did not do its job: not installed, too slow, or a non-zero exit. */
export class ProgramError extends AgentError {
  constructor(
    code: 'program_missing' | 'program_timeout' | 'program_failed',
    message: string,
    readonly result: RunResult,
  ) {
    super(code, message, { status: 500 });
    this.name = 'ProgramError';
  }
}

/** The last non-empty line of a program's stderr, trimmed, for an error message. */
export function lastStderrLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return (lines.at(-1) ?? '').slice(0, 200);
}

/** runProgram, throwing a ProgramError (with the last stderr line) unless the program exits 0. */
export async function runChecked(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const r = await runProgram(file, args, options);
  if (r.exitCode === 0) return r;
  if (r.spawnError === 'ENOENT')
    throw new ProgramError('program_missing', `The program ${file} is not installed or not on PATH.`, r);
  if (r.timedOut)
    throw new ProgramError(
      'program_timeout',
      `${file} did not finish within ${Math.round(options.timeoutMs / 1000)} s and was stopped.`,
      r,
    );
  const why = lastStderrLine(r.stderr) || (r.signal ? `stopped by ${r.signal}` : `exit code ${String(r.exitCode)}`);
  throw new ProgramError('program_failed', `${file} failed: ${why}`, r);
}

type StreamingOptions = { buffer: false; reject: false; stdin: 'ignore'; stdout: 'pipe'; stderr: 'pipe' };
/** A running program whose stdout and stderr are streams; awaiting it waits for its end (it never rejects). */
export type StreamingProgram = ResultPromise<StreamingOptions>;

/**
 * Starts a long-running program (a stream, a responder) whose output and end
 * the caller handles: no shell, stdin ignored, never rejects. Wrapped in an
 * object because the program itself is a promise of its end.
 */
export async function spawnProgram(
  file: string,
  args: readonly string[],
  options: { cancelSignal?: AbortSignal; forceKillAfterDelay?: number } = {},
): Promise<{ child: StreamingProgram }> {
  const execa = await loadExeca();
  const streaming: StreamingOptions = { buffer: false, reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' };
  return { child: execa(file, args, { ...options, ...streaming }) };
}
