import { EventEmitter } from 'node:events';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type {
  CameraCapabilities,
  CameraDriver,
  CameraStateName,
  CaptureResult,
  DriverSettings,
  MeterReading,
  PreviewFrame,
  PreviewOptions,
} from './driver.js';
import { abortedError, cameraError, failureKind, FAILURE_KINDS, needsReconnect, type FailureKind } from './failures.js';
import { exposureSeconds } from './settings-map.js';
import { Backoff } from '../util/backoff.js';

export interface ResilientOptions {
  log?: Logger | undefined;
  /** Time allowed on top of the exposure before a call counts as hung (ms). */
  marginMs?: number;
  /** First reconnect delay; doubles after each failed attempt up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface CameraStats {
  connected: boolean;
  reconnects: number;
  failures: Record<FailureKind, number>;
  lastFailure: { kind: FailureKind; code: string; message: string; at: string } | null;
}

export interface CameraFailureEvent {
  kind: FailureKind;
  code: string;
  message: string;
  operation: 'open' | 'capture' | 'meter' | 'preview' | 'temperature';
}

export const DEFAULT_MARGIN_MS = 30_000;

/** A driver that reports losing its camera by itself (optional; IndiCamera does). */
export interface ConnectionLossSource {
  onConnectionLost(listener: (err: Error) => void): () => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Watchdog and USB recovery around any camera driver (ObsCam). Every call has
 * a deadline of the exposure plus a margin; on a timeout, a disconnect or an
 * I/O error the camera is closed (which kills its programs) and reopened with
 * exponential backoff in the background, so capture resumes by itself when the
 * camera comes back. Failures are classified and counted for the metrics.
 *
 * Events: 'failure' (CameraFailureEvent), 'reconnected' ({ attempts }).
 */
export class ResilientCamera extends EventEmitter implements CameraDriver {
  readonly driver: string;
  private connected = false;
  private reconnects = 0;
  private readonly failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
  private lastFailure: CameraStats['lastFailure'] = null;
  private lastOpenError: unknown = null;
  private reopening: Promise<boolean> | null = null;
  private loop: Promise<void> | null = null;
  private readonly closing = new AbortController();
  private readonly marginMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    readonly inner: CameraDriver,
    private readonly options: ResilientOptions = {},
  ) {
    super();
    this.driver = inner.driver;
    this.marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    // A driver that can tell when its camera goes away on its own (INDI: the server connection closed) is
    // reconnected in the background at once, with backoff, so the next capture finds it ready again.
    const lost = (inner as Partial<ConnectionLossSource>).onConnectionLost;
    if (typeof lost === 'function') lost.call(inner, (err) => this.connectionLost(err));
  }

  /** The driver lost its camera while nothing was asking: record it and start reopening in the background. */
  private connectionLost(err: Error): void {
    if (!this.connected || this.closing.signal.aborted) return;
    this.connected = false;
    this.recordFailure('open', err);
    this.startReconnectLoop();
  }

  stats(): CameraStats {
    return {
      connected: this.connected,
      reconnects: this.reconnects,
      failures: { ...this.failures },
      lastFailure: this.lastFailure,
    };
  }

  /** Opens the camera; if it is absent the agent still starts and keeps trying in the background. */
  async open(): Promise<void> {
    if (await this.tryOpen()) return;
    this.startReconnectLoop();
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.connected = false;
    await this.loop?.catch(() => undefined);
    await this.inner.close();
  }

  capabilities(): CameraCapabilities {
    return this.inner.capabilities();
  }

  state(): CameraStateName {
    if (!this.connected) return 'disconnected';
    return this.inner.state();
  }

  async meter(): Promise<MeterReading> {
    await this.ensureOpen();
    return this.guard('meter', this.marginMs, (signal) => withSignal(this.inner.meter(), signal));
  }

  async temperatureC(): Promise<number | null> {
    if (!this.inner.temperatureC || !this.connected) return null;
    const read = this.inner.temperatureC.bind(this.inner);
    return this.guard('temperature', this.marginMs, (signal) => withSignal(read(), signal));
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    await this.ensureOpen();
    const deadline = exposureSeconds(settings) * 1000 + this.marginMs;
    return this.guard('capture', deadline, (inner) => withSignal(this.inner.capture(settings, inner), inner), signal);
  }

  get previewFrames(): CameraDriver['previewFrames'] {
    if (!this.inner.previewFrames) return undefined;
    return (options: PreviewOptions, signal: AbortSignal) => this.previewGuarded(options, signal);
  }

  /**
   * Live preview under the watchdog: a stream that delivers no frame within
   * the margin counts as hung, is stopped, and the camera is reopened.
   */
  private async *previewGuarded(options: PreviewOptions, signal: AbortSignal): AsyncGenerator<PreviewFrame> {
    await this.ensureOpen();
    const inner = new AbortController();
    const onAbort = (): void => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) inner.abort();
    const frames = this.inner.previewFrames!(options, inner.signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<'stalled'>((resolve) => {
          timer = setTimeout(() => resolve('stalled'), this.marginMs);
        });
        const next = await Promise.race([frames.next(), stalled]).finally(() => clearTimeout(timer));
        if (next === 'stalled') {
          throw cameraError(
            'camera_timeout',
            `The live preview delivered no frame for ${Math.round(this.marginMs / 1000)} s; the camera will be reopened.`,
          );
        }
        if (next.done) return;
        yield next.value;
      }
    } catch (err) {
      if (!signal.aborted) {
        const kind = this.recordFailure('preview', err);
        if (kind !== null && needsReconnect(kind)) {
          this.connected = false;
          await this.inner.close().catch(() => undefined);
          this.startReconnectLoop();
        }
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      inner.abort();
      // Not awaited: a hung source finishes only once its program is gone.
      frames.return?.(undefined).catch(() => undefined);
    }
  }

  /** Before a call while disconnected: one immediate attempt, so a returned camera works at once. */
  private async ensureOpen(): Promise<void> {
    if (this.connected) return;
    if (await this.tryOpen()) return;
    if (this.lastOpenError instanceof Error) throw this.lastOpenError;
    throw cameraError('camera_disconnected', 'The camera is not connected; the agent keeps trying to reconnect.');
  }

  /** One open attempt with a deadline; concurrent callers share it. */
  private tryOpen(): Promise<boolean> {
    this.reopening ??= (async () => {
      try {
        await this.inner.close().catch(() => undefined);
        await this.guardRaw(this.marginMs, (signal) => withSignal(this.inner.open(), signal));
        const wasDown = this.lastOpenError !== null || this.lastFailure !== null;
        this.connected = true;
        this.lastOpenError = null;
        if (wasDown) {
          this.reconnects += 1;
          this.options.log?.info(
            { event: 'camera.reconnected', driver: this.driver, reconnects: this.reconnects },
            'camera reconnected',
          );
          this.emit('reconnected', { reconnects: this.reconnects });
        }
        return true;
      } catch (err) {
        this.connected = false;
        this.lastOpenError = err;
        this.recordFailure('open', err);
        return false;
      } finally {
        this.reopening = null;
      }
    })();
    return this.reopening;
  }

  private startReconnectLoop(): void {
    if (this.loop || this.closing.signal.aborted) return;
    this.loop = (async () => {
      const backoff = new Backoff(this.initialBackoffMs, this.maxBackoffMs);
      while (!this.connected && !this.closing.signal.aborted) {
        const delay = backoff.next();
        this.options.log?.info(
          { event: 'camera.reconnect_wait', driver: this.driver, delay_ms: delay },
          'camera disconnected; will try to reopen',
        );
        await sleep(delay, this.closing.signal);
        if (this.closing.signal.aborted || this.connected) break;
        if (await this.tryOpen()) break;
      }
    })().finally(() => {
      this.loop = null;
    });
  }

  /** Runs a camera call under the watchdog, classifies a failure and starts recovery when needed. */
  private async guard<T>(
    operation: CameraFailureEvent['operation'],
    deadlineMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
    outer?: AbortSignal,
  ): Promise<T> {
    try {
      return await this.guardRaw(deadlineMs, fn, outer);
    } catch (err) {
      const kind = this.recordFailure(operation, err);
      if (kind !== null && needsReconnect(kind)) {
        this.connected = false;
        // Closing kills whatever the driver still runs (a hung rpicam-still, a stuck socket).
        await this.inner.close().catch(() => undefined);
        this.startReconnectLoop();
      }
      throw err;
    }
  }

  private async guardRaw<T>(
    deadlineMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
    outer?: AbortSignal,
  ): Promise<T> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, deadlineMs);
    const onOuter = (): void => controller.abort();
    outer?.addEventListener('abort', onOuter, { once: true });
    if (outer?.aborted) controller.abort();
    try {
      return await fn(controller.signal);
    } catch (err) {
      if (timedOut) {
        throw cameraError(
          'camera_timeout',
          `The camera did not answer within ${Math.round(deadlineMs / 1000)} s; it was stopped and will be reopened.`,
          err,
        );
      }
      if (outer?.aborted) throw abortedError();
      throw err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
  }

  private recordFailure(operation: CameraFailureEvent['operation'], err: unknown): FailureKind | null {
    const kind = failureKind(err);
    if (kind === null) return null;
    const code = (err as { code?: unknown }).code;
    const event: CameraFailureEvent = {
      kind,
      code: typeof code === 'string' ? code : 'camera_failed',
      message: err instanceof Error ? err.message : String(err),
      operation,
    };
    this.failures[kind] += 1;
    this.lastFailure = { kind, code: event.code, message: event.message, at: new Date().toISOString() };
    this.options.log?.warn({ event: 'camera.failure', driver: this.driver, ...event }, 'camera call failed');
    this.emit('failure', event);
    return kind;
  }
}

/** Rejects when the signal aborts, even if the wrapped promise never settles (a driver that ignores signals). */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortedError());
    const onAbort = (): void => reject(abortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Watchdog timing from the environment: SKYSTATION_CAMERA_MARGIN_MS (time on
 * top of the exposure, default 30 s) and SKYSTATION_CAMERA_BACKOFF_MS (first
 * reconnect delay, default 1 s). Tests shorten both.
 */
export function watchdogFromEnv(env: NodeJS.ProcessEnv = process.env): { marginMs: number; initialBackoffMs: number } {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 100 || n > 3_600_000) {
      throw new UsageError(`${name} must be a number of milliseconds between 100 and 3600000, not "${raw}".`);
    }
    return n;
  };
  return {
    marginMs: read('SKYSTATION_CAMERA_MARGIN_MS', DEFAULT_MARGIN_MS),
    initialBackoffMs: read('SKYSTATION_CAMERA_BACKOFF_MS', 1_000),
  };
}
