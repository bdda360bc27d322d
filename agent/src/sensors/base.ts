import type { Clock } from '../sky/clock.js';
import { systemClock } from '../sky/clock.js';
import type { Logger } from '../util/log.js';
import type {
  MalformedLine,
  Sensor,
  SensorEvents,
  SensorHealth,
  SensorKind,
  SensorProblem,
  SensorReading,
  SensorState,
  Unsubscribe,
} from './types.js';

type Listener<T> = (payload: T) => void;

/**
 * A tiny typed emitter. A listener that throws is reported through `onError`
 * and never reaches the emitter: one bad consumer cannot stop a sensor.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onError: (err: unknown, event: keyof Events) => void) {}

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): Unsubscribe {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const stored = listener as Listener<never>;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[E]>)(payload);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}

/** Exponential backoff: 0.5 s, 1 s, 2 s ... capped (30 s by default). */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly initialMs = 500,
    readonly maxMs = 30_000,
    readonly factor = 2,
  ) {}

  /** The delay before the next attempt; each call doubles the following one. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    if (delay < this.maxMs) this.attempt += 1;
    return delay;
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export interface SensorBaseOptions {
  name: string;
  clock?: Clock;
  logger?: Logger;
}

const MAX_LINE_ECHO = 200;

/** State, events and warning de-duplication shared by every sensor. */
export abstract class SensorBase implements Sensor {
  abstract readonly kind: SensorKind;
  readonly name: string;
  protected readonly clock: Clock;
  protected readonly logger: Logger | undefined;
  private readonly events: Emitter<SensorEvents>;
  private currentState: SensorState = 'stopped';
  private connects = 0;
  private failures = 0;
  private lastError: SensorProblem | null = null;
  /** The code of the warning already emitted in the current failure episode. */
  private warnedCode: string | null = null;

  constructor(options: SensorBaseOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.events = new Emitter<SensorEvents>((err, event) => {
      this.logger?.error({ err, sensor: this.name, event }, 'sensor listener threw; ignored');
    });
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  on<E extends keyof SensorEvents>(event: E, listener: (payload: SensorEvents[E]) => void): Unsubscribe {
    return this.events.on(event, listener);
  }

  health(): SensorHealth {
    return {
      state: this.currentState,
      connects_total: this.connects,
      failures_total: this.failures,
      last_error: this.lastError,
    };
  }

  protected get state(): SensorState {
    return this.currentState;
  }

  protected nowIso(): string {
    return this.clock.now().toISOString();
  }

  protected setState(state: SensorState, extra: { code?: string; retry_in_ms?: number } = {}): void {
    const previous = this.currentState;
    if (previous === state) return;
    this.currentState = state;
    this.events.emit('state', { sensor: this.name, state, previous, time: this.nowIso(), ...extra });
  }

  /** The device works: count a connect and close the failure episode. */
  protected markConnected(): void {
    if (this.currentState === 'connected') return;
    this.connects += 1;
    this.warnedCode = null;
    this.setState('connected');
  }

  /**
   * An attempt failed. Counts it, remembers it, and emits a warning only when
   * the episode starts or its cause changes, so a device that stays unplugged
   * for a night produces one warning, not one per retry.
   */
  protected markFailed(code: string, message: string, retryInMs: number | undefined): void {
    this.failures += 1;
    const time = this.nowIso();
    this.lastError = { code, message, time };
    if (this.warnedCode !== code) {
      this.warnedCode = code;
      this.events.emit('warning', { sensor: this.name, code, message, time });
    } else {
      this.logger?.debug({ sensor: this.name, code, retry_in_ms: retryInMs }, 'sensor still failing');
    }
    this.setState('disconnected', retryInMs === undefined ? { code } : { code, retry_in_ms: retryInMs });
  }

  /** A one-off warning that is not a connection failure (e.g. no probes found). */
  protected warn(code: string, message: string): void {
    this.events.emit('warning', { sensor: this.name, code, message, time: this.nowIso() });
  }

  protected emitReading(values: Omit<SensorReading, 'sensor' | 'time'>, time?: string): void {
    this.events.emit('reading', { sensor: this.name, time: time ?? this.nowIso(), ...values });
  }

  protected emitMalformed(line: string, reason: string): void {
    const cut: MalformedLine = {
      sensor: this.name,
      line: line.length > MAX_LINE_ECHO ? `${line.slice(0, MAX_LINE_ECHO)}…` : line,
      reason,
      time: this.nowIso(),
    };
    this.events.emit('malformed', cut);
  }

  protected markStopped(): void {
    this.warnedCode = null;
    this.setState('stopped');
  }
}
