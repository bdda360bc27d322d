import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSharp } from '../util/sharp.js';
import { TEMP_PREFIX } from '../util/fs-atomic.js';
import type { CameraCapabilities, CameraStateName, CaptureResult, PreviewFrame } from './driver.js';
import { abortedError, cameraError } from './failures.js';
import { MjpegSplitter, jpegSize } from './mjpeg.js';

/** A temp file inside the captures folder; the agent's reconcile step removes leftovers after a crash. */
export async function tempCapturePath(dir: string, label: string, ext: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return join(dir, `${TEMP_PREFIX}${label}-${randomBytes(6).toString('hex')}${ext}`);
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/** Mean brightness of a JPEG, 0..1. */
export async function meanLevel(jpeg: Buffer): Promise<number> {
  const stats = await (await loadSharp())(jpeg).stats();
  const means = stats.channels.slice(0, 3).map((c) => c.mean);
  return means.reduce((a, b) => a + b, 0) / (means.length * 255);
}

/** Capabilities every real driver starts from. */
export function baseCapabilities(model: string, width: number, height: number): CameraCapabilities {
  return {
    model,
    width,
    height,
    isoMin: 100,
    isoMax: 6400,
    shutterMinSeconds: 1 / 4000,
    shutterMaxSeconds: 30,
    longExposure: true,
    livePreview: true,
    bracketing: true,
    autofocus: false,
    temperature: false,
    whiteBalanceModes: ['auto', 'daylight'],
  };
}

/** Turns a stream of MJPEG chunks into preview frames until the signal aborts. */
export async function* framesFrom(
  chunks: AsyncIterable<Uint8Array>,
  fallback: { width: number; height: number; exposureUs: number },
  signal: AbortSignal,
): AsyncGenerator<PreviewFrame> {
  const splitter = new MjpegSplitter();
  for await (const chunk of chunks) {
    if (signal.aborted) return;
    for (const jpeg of splitter.push(Buffer.from(chunk))) {
      if (signal.aborted) return;
      const size = jpegSize(jpeg) ?? fallback;
      yield {
        jpeg,
        width: size.width,
        height: size.height,
        exposureUs: fallback.exposureUs,
        capturedAtMs: performance.now(),
      };
    }
  }
}

/** An AbortSignal that fires when `outer` does; `dispose` detaches the listener. */
export function linkedAbort(outer: AbortSignal | undefined): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  if (!outer) return { controller, dispose: () => undefined };
  if (outer.aborted) controller.abort(outer.reason);
  const onAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => outer.removeEventListener('abort', onAbort) };
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError();
}

/**
 * Refuses a capture a camera in `state` cannot start: closed (`closedError`), busy with another capture,
 * or already cancelled by the caller.
 */
export function refuseCapture(
  state: CameraStateName,
  signal: AbortSignal | undefined,
  closedError: () => Error = () => cameraError('camera_closed', 'The camera is not open.'),
): void {
  if (state === 'disconnected') throw closedError();
  if (state === 'busy')
    throw cameraError('camera_busy', 'The camera is busy with another capture; try again in a moment.');
  throwIfAborted(signal);
}

/** A capture's metadata: its light, when its exposure started, how long it took, its sensor temperature if known. */
export function captureMetadata(lux: number, started: number, temperature: number | null): CaptureResult['metadata'] {
  return {
    lux,
    exposure_started_at: new Date(started).toISOString(),
    duration_ms: Date.now() - started,
    ...(temperature === null ? {} : { temperature_c: temperature }),
  };
}

/**
 * The calls a driver has running, so close() can stop them all. Each call
 * gets two signals: `signal` (the caller's cancel, or close: the program gets
 * SIGTERM, then SIGKILL) and `kill` (close only: SIGKILL at once, because a
 * hung program may ignore SIGTERM and the agent may be about to exit).
 */
export class Inflight {
  private readonly calls = new Set<{ controller: AbortController; kill: AbortController }>();

  track(outer: AbortSignal | undefined): { signal: AbortSignal; kill: AbortSignal; done: () => void } {
    const { controller, dispose } = linkedAbort(outer);
    const call = { controller, kill: new AbortController() };
    this.calls.add(call);
    return {
      signal: controller.signal,
      kill: call.kill.signal,
      done: () => {
        dispose();
        this.calls.delete(call);
      },
    };
  }

  abortAll(): void {
    for (const c of this.calls) {
      c.kill.abort();
      c.controller.abort();
    }
    this.calls.clear();
  }
}
