import type * as SerialportModule from 'serialport';
import type { ReadlineParser as ReadlineParserType, SerialPort } from 'serialport';

/** serialport's native binding is loaded only by an agent that has a serial sensor. */
let serialModule: Promise<typeof SerialportModule> | null = null;
const loadSerialport = (): Promise<typeof SerialportModule> => (serialModule ??= import('serialport'));
import type { BackoffOptions, SensorBaseOptions } from './base.js';
import { Backoff, SensorBase } from './base.js';
import { parseSensorLine } from './line-protocol.js';

export const DEFAULT_BAUD_RATE = 9600;
/** Bytes without a newline after which the buffer is dropped (wrong baud rate, noise). */
export const MAX_LINE_BYTES = 1024;

export interface ArduinoSensorOptions extends SensorBaseOptions {
  path: string;
  baudRate?: number;
  backoff?: BackoffOptions;
}

/** Maps an open/close failure to a stable code and a sentence a person can act on. */
export function classifySerialError(path: string, err: unknown): { code: string; message: string } {
  const text = err instanceof Error ? err.message : String(err);
  if (/no such file|ENOENT|cannot find/i.test(text)) {
    return {
      code: 'serial_port_not_found',
      message: `Serial port ${path} is not there (unplugged?); retrying until it comes back.`,
    };
  }
  if (/permission denied|EACCES/i.test(text)) {
    return {
      code: 'serial_permission_denied',
      message: `No permission to open ${path}; add the agent's user to the dialout group. Retrying.`,
    };
  }
  if (/lock|EBUSY|resource temporarily unavailable/i.test(text)) {
    return {
      code: 'serial_port_busy',
      message: `Serial port ${path} is in use by another program; retrying. (${text})`,
    };
  }
  return { code: 'serial_open_failed', message: `Could not open serial port ${path}: ${text}. Retrying.` };
}

/**
 * An Arduino-style sensor on a serial port: one reading per line (see
 * PROTOCOL.md). Reopens the port with backoff when it disappears.
 */
export class ArduinoSensor extends SensorBase {
  readonly kind = 'arduino' as const;
  readonly path: string;
  readonly baudRate: number;
  private readonly backoff: Backoff;
  private port: SerialPort | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private running = false;
  /** Bumped for every port; events from an older port are ignored. */
  private generation = 0;

  constructor(options: ArduinoSensorOptions) {
    super(options);
    this.path = options.path;
    this.baudRate = options.baudRate ?? DEFAULT_BAUD_RATE;
    this.backoff = new Backoff(options.backoff?.initialMs, options.backoff?.maxMs);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.backoff.reset();
    this.setState('connecting');
    await this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const port = this.port;
    this.port = null;
    if (port !== null) await closeQuietly(port);
    this.markStopped();
  }

  private async connect(): Promise<void> {
    this.retryTimer = null;
    const generation = ++this.generation;
    const { ReadlineParser, SerialPort } = await loadSerialport();
    return new Promise<void>((resolve) => {
      let port: SerialPort;
      try {
        port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
      } catch (err) {
        this.failed(generation, err);
        resolve();
        return;
      }
      // Attached before open so that no error is ever unhandled.
      port.on('error', (err: Error) => {
        if (generation !== this.generation) return;
        this.logger?.debug({ sensor: this.name, err: err.message }, 'serial port error');
        if (!port.isOpen) this.failed(generation, err);
      });
      port.on('close', (err: Error | null) => {
        if (generation !== this.generation || !this.running) return;
        this.port = null;
        this.failed(generation, err ?? new Error('port closed'), true);
      });
      port.open((err) => {
        if (generation !== this.generation || !this.running) {
          if (err === null) void closeQuietly(port);
          resolve();
          return;
        }
        if (err !== null) {
          this.failed(generation, err);
        } else {
          this.port = port;
          this.attachParser(port, generation, ReadlineParser);
          this.backoff.reset();
          this.logger?.info({ sensor: this.name, path: this.path, baud: this.baudRate }, 'serial sensor connected');
          this.markConnected();
        }
        resolve();
      });
    });
  }

  private attachParser(
    port: SerialPort,
    generation: number,
    ReadlineParser: new (options: { delimiter: string; encoding: 'utf8' }) => ReadlineParserType,
  ): void {
    let parser = new ReadlineParser({ delimiter: '\n', encoding: 'utf8' });
    let pending = 0;
    const onLine = (line: string): void => {
      pending = 0;
      if (generation !== this.generation) return;
      this.handleLine(line);
    };
    parser.on('data', onLine);
    port.pipe(parser);
    // ReadlineParser buffers until a newline; a wrong baud rate produces
    // garbage that may never contain one, so bound the buffer ourselves.
    port.on('data', (chunk: Buffer) => {
      const newline = chunk.lastIndexOf(0x0a);
      pending = newline === -1 ? pending + chunk.length : chunk.length - newline - 1;
      if (pending > MAX_LINE_BYTES && generation === this.generation) {
        port.unpipe(parser);
        parser.destroy();
        parser = new ReadlineParser({ delimiter: '\n', encoding: 'utf8' });
        parser.on('data', onLine);
        port.pipe(parser);
        pending = 0;
        this.emitMalformed('', `more than ${MAX_LINE_BYTES} bytes without a newline (wrong baud rate?)`);
      }
    });
  }

  private handleLine(line: string): void {
    const result = parseSensorLine(line);
    if (result.kind === 'reading') {
      const { probe, temperature_c, humidity_percent, lux } = result.values;
      this.emitReading({
        ...(temperature_c === undefined ? {} : { temperature_c }),
        ...(humidity_percent === undefined ? {} : { humidity_percent }),
        ...(lux === undefined ? {} : { lux }),
        ...(probe === undefined ? {} : { probe }),
      });
    } else if (result.kind === 'malformed') {
      this.emitMalformed(line.replace(/\r$/, ''), result.reason);
    }
  }

  private failed(generation: number, err: unknown, disconnected = false): void {
    if (generation !== this.generation || !this.running) return;
    if (this.retryTimer !== null) return; // already scheduled for this port
    const delay = this.backoff.next();
    const problem = disconnected
      ? {
          code: 'serial_disconnected',
          message: `Serial port ${this.path} went away (unplugged?); reopening when it comes back.`,
        }
      : classifySerialError(this.path, err);
    this.markFailed(problem.code, problem.message, delay);
    this.retryTimer = setTimeout(() => {
      if (this.running) void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}

function closeQuietly(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    port.close(() => {
      resolve();
    });
  });
}
