import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Clock } from '../sky/clock.js';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ArduinoSensor, DEFAULT_BAUD_RATE } from './arduino.js';
import type { BackoffOptions } from './base.js';
import type { CommandRunner } from './digitemp.js';
import { DigitempSensor } from './digitemp.js';
import { SimulatedSensor } from './simulated.js';
import type { Sensor } from './types.js';
import { SENSOR_KINDS } from './types.js';

/** How each kind is written on the command line or in the config file. */
export const SENSOR_SPEC_FORMS = ['arduino:PATH[@BAUD]', 'digitemp:PATH', 'simulated'] as const;

export const STANDARD_BAUD_RATES = [
  1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
] as const;

export type SensorSpec =
  | { kind: 'arduino'; name: string; path: string; baudRate: number }
  | { kind: 'digitemp'; name: string; path: string }
  | { kind: 'simulated'; name: string };

const validForms = (): string => SENSOR_SPEC_FORMS.join(', ');

function nameFor(kind: string, path: string): string {
  const base = basename(path).replace(/[^A-Za-z0-9_.-]/g, '_');
  return base === '' ? kind : `${kind}-${base}`;
}

/**
 * Parses one `--sensor` value: `arduino:/dev/ttyACM0`, `arduino:/dev/ttyUSB0@115200`,
 * `digitemp:/dev/ttyUSB1`, `simulated`. An unknown kind lists the valid ones.
 */
export function parseSensorSpec(spec: string): SensorSpec {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).toLowerCase();
  const rest = colon === -1 ? '' : text.slice(colon + 1);
  switch (kind) {
    case 'simulated':
      if (rest !== '') throw new UsageError(`Sensor "${spec}": simulated takes no path; write just "simulated".`);
      return { kind: 'simulated', name: 'simulated' };
    case 'arduino': {
      const match = /^(.*?)(?:@(\d+))?$/.exec(rest);
      const path = match?.[1] ?? '';
      if (path === '')
        throw new UsageError(
          `Sensor "${spec}" needs a serial port path, e.g. arduino:/dev/ttyACM0 or arduino:/dev/ttyUSB0@115200.`,
        );
      const baudText = match?.[2];
      const baudRate = baudText === undefined ? DEFAULT_BAUD_RATE : Number(baudText);
      if (!(STANDARD_BAUD_RATES as readonly number[]).includes(baudRate)) {
        throw new UsageError(
          `Sensor "${spec}": baud rate ${baudText ?? ''} is not one of ${STANDARD_BAUD_RATES.join(', ')}.`,
        );
      }
      return { kind: 'arduino', name: nameFor('arduino', path), path, baudRate };
    }
    case 'digitemp':
      if (rest === '')
        throw new UsageError(`Sensor "${spec}" needs the 1-wire adapter's serial port, e.g. digitemp:/dev/ttyUSB0.`);
      return { kind: 'digitemp', name: nameFor('digitemp', rest), path: rest };
    default:
      throw new UsageError(
        `Unknown sensor kind "${kind}" in "${spec}"; use --sensor with one of: ${validForms()} (kinds: ${SENSOR_KINDS.join(', ')}).`,
      );
  }
}

/** Parses every `--sensor` value and makes names unique (`simulated`, `simulated-2`, ...). */
export function parseSensorSpecs(specs: readonly string[]): SensorSpec[] {
  const seen = new Map<string, number>();
  return specs.map((text) => {
    const spec = parseSensorSpec(text);
    const count = (seen.get(spec.name) ?? 0) + 1;
    seen.set(spec.name, count);
    return count === 1 ? spec : { ...spec, name: `${spec.name}-${count}` };
  });
}

export interface SensorFactoryOptions {
  clock?: Clock;
  logger?: Logger;
  /** Where digitemp config files live (the agent's state folder). Default: the OS temp folder. */
  stateDir?: string;
  digitempCommand?: string;
  digitempIntervalMs?: number;
  digitempTimeoutMs?: number;
  digitempRunner?: CommandRunner;
  simulatedIntervalMs?: number;
  /** The sky model's illuminance, for simulated sensors. */
  simulatedLux?: (time: Date) => number;
  longitude?: number;
  backoff?: BackoffOptions;
}

/** Builds the driver for a parsed spec. */
export function createSensor(spec: SensorSpec, options: SensorFactoryOptions = {}): Sensor {
  const base = {
    name: spec.name,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger.child({ sensor: spec.name }) }),
  };
  switch (spec.kind) {
    case 'arduino':
      return new ArduinoSensor({
        ...base,
        path: spec.path,
        baudRate: spec.baudRate,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      });
    case 'digitemp':
      return new DigitempSensor({
        ...base,
        port: spec.path,
        configPath: join(options.stateDir ?? tmpdir(), `digitemp-${spec.name}.conf`),
        ...(options.digitempCommand === undefined ? {} : { command: options.digitempCommand }),
        ...(options.digitempIntervalMs === undefined ? {} : { intervalMs: options.digitempIntervalMs }),
        ...(options.digitempTimeoutMs === undefined ? {} : { timeoutMs: options.digitempTimeoutMs }),
        ...(options.digitempRunner === undefined ? {} : { runner: options.digitempRunner }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      });
    case 'simulated':
      return new SimulatedSensor({
        ...base,
        ...(options.simulatedIntervalMs === undefined ? {} : { intervalMs: options.simulatedIntervalMs }),
        ...(options.simulatedLux === undefined ? {} : { lux: options.simulatedLux }),
        ...(options.longitude === undefined ? {} : { longitude: options.longitude }),
      });
  }
}
