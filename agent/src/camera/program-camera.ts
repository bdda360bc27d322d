import type { Logger } from '../util/log.js';
import { Inflight } from './common.js';
import type { CameraStateName, PreviewFrame, PreviewOptions } from './driver.js';
import { runProgram, streamMjpeg, type RunResult } from './exec.js';

/**
 * What the cameras driven through external programs (gphoto2, rpicam, ffmpeg)
 * share: their state, the programs in flight that close() kills, and live
 * preview as an MJPEG stream on a program's stdout.
 */
export abstract class ProgramCamera {
  protected current: CameraStateName = 'disconnected';
  protected readonly inflight = new Inflight();

  close(): Promise<void> {
    this.inflight.abortAll();
    this.current = 'disconnected';
    return Promise.resolve();
  }

  state(): CameraStateName {
    return this.current;
  }

  /** Runs `program args` as a call close() stops; `signal` cancels it (see exec.ts runProgram). */
  protected async runTracked(
    program: string,
    args: readonly string[],
    options: { timeoutMs: number; log: Logger | undefined; signal?: AbortSignal | undefined },
  ): Promise<RunResult> {
    const call = this.inflight.track(options.signal);
    try {
      return await runProgram(program, args, {
        timeoutMs: options.timeoutMs,
        signal: call.signal,
        kill: call.kill,
        log: options.log,
      });
    } finally {
      call.done();
    }
  }

  /** Preview frames from `program args` (MJPEG on stdout) until `signal` aborts or the camera closes. */
  protected async *mjpegPreview(
    program: string,
    args: readonly string[],
    signal: AbortSignal,
    options: PreviewOptions,
    exposureUs: number,
    classify: (stderr: string) => Error,
  ): AsyncIterable<PreviewFrame> {
    const call = this.inflight.track(signal);
    try {
      yield* streamMjpeg(
        program,
        args,
        call.signal,
        { width: options.width, height: options.height, exposureUs },
        classify,
        call.kill,
      );
    } finally {
      call.done();
    }
  }
}
