/**
 * The sensor driver contract. A sensor owns one device (a serial port, a
 * digitemp 1-wire bus, or a simulation), turns it into readings, and never
 * throws for device trouble: it reports problems as warnings, keeps its
 * connection state in `health()`, and retries by itself.
 */

export const SENSOR_KINDS = ['arduino', 'digitemp', 'simulated'] as const;
export type SensorKind = (typeof SENSOR_KINDS)[number];

/** One measurement. Absent fields were not measured by this device. */
export interface SensorReading {
  /** The sensor's name (unique per agent), e.g. `arduino-ttyACM0`. */
  sensor: string;
  /** ISO 8601 time of the measurement. */
  time: string;
  temperature_c?: number;
  humidity_percent?: number;
  lux?: number;
  /** Which probe on a multi-probe bus (digitemp: the ROM serial, or the sensor index). */
  probe?: string;
}

/**
 * - `stopped`: not started, or stopped.
 * - `connecting`: the first attempt is in progress.
 * - `connected`: the device answers (port open, or the last digitemp run succeeded).
 * - `disconnected`: the device is gone or failing; the sensor is retrying with backoff.
 */
export type SensorState = 'stopped' | 'connecting' | 'connected' | 'disconnected';

export interface SensorProblem {
  code: string;
  message: string;
  time: string;
}

/** Something a person should know about. Emitted once per episode, not once per retry. */
export interface SensorWarning extends SensorProblem {
  sensor: string;
}

/** A line (or digitemp output line) that did not make a valid reading. Counted, never fatal. */
export interface MalformedLine {
  sensor: string;
  /** The offending text, cut to 200 characters. */
  line: string;
  reason: string;
  time: string;
}

export interface SensorStateChange {
  sensor: string;
  state: SensorState;
  previous: SensorState;
  time: string;
  /** For `disconnected`: why, and when the next attempt is due. */
  code?: string;
  retry_in_ms?: number;
}

/** Connection lifecycle as the sensor itself sees it. */
export interface SensorHealth {
  state: SensorState;
  /** Successful connects (port opens, or transitions to a working digitemp); reconnects = connects - 1. */
  connects_total: number;
  /** Failed attempts: open failures, disconnects, failing digitemp runs. */
  failures_total: number;
  last_error: SensorProblem | null;
}

export interface SensorEvents {
  reading: SensorReading;
  malformed: MalformedLine;
  warning: SensorWarning;
  state: SensorStateChange;
}

export type Unsubscribe = () => void;

export interface Sensor {
  readonly name: string;
  readonly kind: SensorKind;
  /**
   * Starts reading. Resolves promptly (a serial sensor after its first open
   * attempt, digitemp before its first run). Never rejects for device
   * problems: those become warnings and retries.
   */
  start(): Promise<void>;
  /** Stops reading, cancels retries and running commands, releases the device. Idempotent. */
  stop(): Promise<void>;
  health(): SensorHealth;
  on<E extends keyof SensorEvents>(event: E, listener: (payload: SensorEvents[E]) => void): Unsubscribe;
}
