import { access, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runProgram } from '../util/run.js';
import type { BackoffOptions, SensorBaseOptions } from './base.js';
import { Backoff, SensorBase } from './base.js';
import { SensorValues } from './line-protocol.js';

/**
 * DS18B20 (and DS18S20/DS1822, DS2438 humidity) probes on a 1-wire bus read
 * through DigiTemp (Debian package `digitemp`, program `digitemp_DS9097` for
 * the passive DS9097 adapter or `digitemp_DS9097U` for DS2480B ones).
 *
 * Each poll runs
 *   digitemp_DS9097 -q -a -s PORT -c CONFIG -o "%s %R %N %.2C"
 * digitemp only reads probes listed in its config file, so when CONFIG does
 * not exist yet (or the last run found no probes) the poll first runs
 *   digitemp_DS9097 -q -i -s PORT -c CONFIG
 * which searches the bus and writes the file. Probes are named by their ROM
 * serial, which stays the same when probes are added (the index does not).
 */

export const DEFAULT_DIGITEMP_COMMAND = 'digitemp_DS9097';
/** Our `-o` format: sensor index, ROM serial, epoch seconds, °C. */
export const DIGITEMP_OUTPUT_FORMAT = '%s %R %N %.2C';
export const DEFAULT_DIGITEMP_INTERVAL_MS = 30_000;
/** digitemp waits ~1 s per probe (read delay); -i can hang on a port without an adapter. */
export const DEFAULT_DIGITEMP_TIMEOUT_MS = 20_000;
/** A DS18B20 returns exactly 85 °C when it was read before its conversion finished (power-on value). */
const POWER_ON_RESET_C = 85;
const STOPPED = 'digitemp_stopped';

export interface CommandResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  canceled: boolean;
  /** Set when the program could not be started (e.g. `ENOENT`: not on PATH). */
  spawnErrorCode: string | undefined;
}

/** Runs a program with an argument array (never a shell string). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; signal: AbortSignal },
) => Promise<CommandResult>;

export const execaRunner: CommandRunner = async (command, args, { timeoutMs, signal }) => {
  const result = await runProgram(command, args, { timeoutMs, signal, maxBuffer: 1024 * 1024 });
  return {
    exitCode: result.exitCode ?? undefined,
    stdout: result.stdout.toString('utf8'),
    stderr: result.stderr,
    timedOut: result.timedOut,
    canceled: result.canceled,
    spawnErrorCode: result.spawnError ?? undefined,
  };
};

export interface DigitempProbeReading {
  probe: string;
  temperature_c: number;
  humidity_percent?: number;
  /** From `%N` when the output carries it. */
  time?: string;
}

export type DigitempLine =
  { kind: 'reading'; reading: DigitempProbeReading } | { kind: 'ignored' } | { kind: 'malformed'; reason: string };

// "Nov 21 00:00:01 Sensor 0 C: 21.50 F: 70.70" and the DS2438 form "... F: 81.56 H: 23%"
const DEFAULT_LINE =
  /^[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} Sensor (\d+) C: (-?\d+(?:\.\d+)?) F: (-?\d+(?:\.\d+)?)(?: H: (\d+(?:\.\d+)?)%)?$/;
// "0 28FF4A1B63160312 1763683201 21.50" (DIGITEMP_OUTPUT_FORMAT)
const CUSTOM_LINE = /^(\d+) ([0-9A-F]{16}) (\d+) (-?\d+(?:\.\d+)?)$/;
// Banner lines when -q is not honoured.
const BANNER = /^(DigiTemp v|GNU General Public License|Compiled for )/;

function checkValues(reading: DigitempProbeReading): DigitempLine {
  if (reading.temperature_c === POWER_ON_RESET_C) {
    return {
      kind: 'malformed',
      reason: '85 °C is the DS18B20 power-on value: check wiring/parasite power or raise the read delay (-r)',
    };
  }
  const parsed = SensorValues.safeParse({
    temperature_c: reading.temperature_c,
    ...(reading.humidity_percent === undefined ? {} : { humidity_percent: reading.humidity_percent }),
  });
  if (!parsed.success)
    return {
      kind: 'malformed',
      reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  return { kind: 'reading', reading };
}

/** Parses one line of digitemp output (the default format or ours). */
export function parseDigitempLine(line: string): DigitempLine {
  const text = line.trim();
  if (text === '' || BANNER.test(text)) return { kind: 'ignored' };
  const custom = CUSTOM_LINE.exec(text);
  if (custom !== null) {
    const epoch = Number(custom[3]);
    return checkValues({
      probe: custom[2] ?? '',
      temperature_c: Number(custom[4]),
      time: new Date(epoch * 1000).toISOString(),
    });
  }
  const dflt = DEFAULT_LINE.exec(text);
  if (dflt !== null) {
    const celsius = Number(dflt[2]);
    const fahrenheit = Number(dflt[3]);
    // The two columns must agree: a line that was cut or corrupted rarely keeps them consistent.
    if (Math.abs(celsius * 1.8 + 32 - fahrenheit) > 0.1)
      return { kind: 'malformed', reason: `C ${celsius} and F ${fahrenheit} disagree` };
    const humidity = dflt[4];
    return checkValues({
      probe: dflt[1] ?? '',
      temperature_c: celsius,
      ...(humidity === undefined ? {} : { humidity_percent: Number(humidity) }),
    });
  }
  return { kind: 'malformed', reason: 'not a digitemp reading line' };
}

export interface DigitempSensorOptions extends SensorBaseOptions {
  /** Serial port of the 1-wire adapter, e.g. /dev/ttyUSB0. */
  port: string;
  /** digitemp's config file (probe list). Created with -i when missing. */
  configPath: string;
  command?: string;
  intervalMs?: number;
  timeoutMs?: number;
  backoff?: BackoffOptions;
  runner?: CommandRunner;
}

interface RunProblem {
  code: string;
  message: string;
}

export class DigitempSensor extends SensorBase {
  readonly kind = 'digitemp' as const;
  readonly port: string;
  readonly configPath: string;
  readonly command: string;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly backoff: Backoff;
  private readonly runner: CommandRunner;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private abort: AbortController | null = null;
  private inFlight: Promise<void> | null = null;
  private needsInit = false;

  constructor(options: DigitempSensorOptions) {
    super(options);
    this.port = options.port;
    this.configPath = options.configPath;
    this.command = options.command ?? DEFAULT_DIGITEMP_COMMAND;
    this.intervalMs = options.intervalMs ?? DEFAULT_DIGITEMP_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DIGITEMP_TIMEOUT_MS;
    this.backoff = new Backoff(options.backoff?.initialMs, options.backoff?.maxMs);
    this.runner = options.runner ?? execaRunner;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.backoff.reset();
    this.setState('connecting');
    this.schedule(0);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.abort?.abort();
    if (this.inFlight !== null) await this.inFlight;
    this.markStopped();
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.poll().finally(() => {
        this.inFlight = null;
      });
    }, delayMs);
  }

  /** One poll; never rejects. Schedules the next one. */
  private async poll(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let problem: RunProblem | null;
    try {
      problem = await this.readOnce(abort.signal);
    } catch (err) {
      problem = {
        code: 'digitemp_failed',
        message: `digitemp poll failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      this.abort = null;
    }
    if (!this.running) return;
    if (problem === null) {
      this.backoff.reset();
      this.schedule(this.intervalMs);
      return;
    }
    const delay = this.backoff.next();
    this.markFailed(problem.code, problem.message, delay);
    this.schedule(delay);
  }

  private async readOnce(signal: AbortSignal): Promise<RunProblem | null> {
    if (this.needsInit || !(await exists(this.configPath))) {
      await mkdir(dirname(this.configPath), { recursive: true });
      const init = await this.run(['-q', '-i', '-s', this.port, '-c', this.configPath], signal);
      if (init.problem !== null) return init.problem.code === STOPPED ? null : init.problem;
      this.needsInit = false;
    }
    const args = ['-q', '-a', '-s', this.port, '-c', this.configPath, '-o', DIGITEMP_OUTPUT_FORMAT];
    const { stdout, problem } = await this.run(args, signal);
    if (problem?.code === STOPPED) return null;
    // Lines printed before a failure are still good readings.
    let readings = 0;
    const fallbackTime = this.nowIso();
    for (const line of stdout.split('\n')) {
      const parsed = parseDigitempLine(line);
      if (parsed.kind === 'reading') {
        readings += 1;
        const { probe, temperature_c, humidity_percent, time } = parsed.reading;
        this.emitReading(
          { probe, temperature_c, ...(humidity_percent === undefined ? {} : { humidity_percent }) },
          time ?? fallbackTime,
        );
      } else if (parsed.kind === 'malformed') {
        this.emitMalformed(line, parsed.reason);
      }
    }
    if (problem !== null) return problem;
    if (readings === 0) {
      this.needsInit = true; // search the bus again next time
      return {
        code: 'digitemp_no_probes',
        message: `digitemp found no temperature probes on ${this.port}; check the 1-wire wiring. Searching the bus again.`,
      };
    }
    this.markConnected();
    return null;
  }

  /** Runs digitemp with an argument array and classifies the outcome. */
  private async run(args: string[], signal: AbortSignal): Promise<{ stdout: string; problem: RunProblem | null }> {
    this.logger?.debug({ sensor: this.name, command: this.command, args }, 'running digitemp');
    const result = await this.runner(this.command, args, { timeoutMs: this.timeoutMs, signal });
    const stderr = result.stderr.trim();
    if (stderr !== '') this.logger?.debug({ sensor: this.name, stderr }, 'digitemp stderr');
    return { stdout: result.stdout, problem: this.classify(result, stderr) };
  }

  private classify(result: CommandResult, stderr: string): RunProblem | null {
    if (result.canceled) return { code: STOPPED, message: 'stopped' };
    if (result.spawnErrorCode === 'ENOENT') {
      return {
        code: 'digitemp_not_found',
        message: `${this.command} was not found on PATH; install the digitemp package (apt install digitemp) or configure the command. Retrying.`,
      };
    }
    if (result.spawnErrorCode !== undefined) {
      return { code: 'digitemp_failed', message: `Could not run ${this.command}: ${result.spawnErrorCode}. Retrying.` };
    }
    if (result.timedOut) {
      return {
        code: 'digitemp_timeout',
        message: `${this.command} did not finish within ${Math.round(this.timeoutMs / 1000)} s on ${this.port} (no 1-wire adapter there?). Retrying.`,
      };
    }
    if (result.exitCode !== 0) {
      const firstLine = stderr.split('\n')[0] ?? '';
      if (/does not exist/i.test(firstLine)) {
        return {
          code: 'serial_port_not_found',
          message: `1-wire adapter port ${this.port} is not there (unplugged?); retrying. (${firstLine})`,
        };
      }
      return {
        code: 'digitemp_failed',
        message: `${this.command} exited with code ${String(result.exitCode)}${firstLine === '' ? '' : `: ${firstLine}`}. Retrying.`,
      };
    }
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
