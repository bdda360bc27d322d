import { describe, expect, it } from 'vitest';
import { UsageError } from '../util/errors.js';
import { ArduinoSensor } from './arduino.js';
import { DigitempSensor } from './digitemp.js';
import { SimulatedSensor } from './simulated.js';
import { createSensor, parseSensorSpec, parseSensorSpecs } from './spec.js';

describe('parseSensorSpec', () => {
  it('reads each form', () => {
    expect(parseSensorSpec('arduino:/dev/ttyACM0')).toEqual({
      kind: 'arduino',
      name: 'arduino-ttyACM0',
      path: '/dev/ttyACM0',
      baudRate: 9600,
    });
    expect(parseSensorSpec('arduino:/dev/serial/by-id/usb-Arduino@115200')).toEqual({
      kind: 'arduino',
      name: 'arduino-usb-Arduino',
      path: '/dev/serial/by-id/usb-Arduino',
      baudRate: 115200,
    });
    expect(parseSensorSpec('digitemp:/dev/ttyUSB0')).toEqual({
      kind: 'digitemp',
      name: 'digitemp-ttyUSB0',
      path: '/dev/ttyUSB0',
    });
    expect(parseSensorSpec(' Simulated ')).toEqual({ kind: 'simulated', name: 'simulated' });
  });

  it('lists the valid kinds for an unknown one', () => {
    let caught: unknown;
    try {
      parseSensorSpec('dht22:/dev/gpio4');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const message = (caught as UsageError).message;
    expect(message).toContain('Unknown sensor kind "dht22"');
    for (const form of ['arduino:PATH[@BAUD]', 'digitemp:PATH', 'simulated']) expect(message).toContain(form);
    expect((caught as UsageError).code).toBe('usage');
  });

  it('rejects a missing path, a bad baud rate, and a path on simulated', () => {
    expect(() => parseSensorSpec('arduino:')).toThrow(/needs a serial port path/);
    expect(() => parseSensorSpec('arduino:/dev/ttyACM0@12345')).toThrow(/baud rate 12345/);
    expect(() => parseSensorSpec('digitemp')).toThrow(/needs the 1-wire adapter/);
    expect(() => parseSensorSpec('simulated:/dev/x')).toThrow(/takes no path/);
    expect(() => parseSensorSpec('')).toThrow(/Unknown sensor kind/);
  });

  it('makes repeated names unique', () => {
    expect(
      parseSensorSpecs(['simulated', 'simulated', 'arduino:/dev/ttyACM0', 'simulated']).map((s) => s.name),
    ).toEqual(['simulated', 'simulated-2', 'arduino-ttyACM0', 'simulated-3']);
  });
});

describe('createSensor', () => {
  it('builds the driver for each kind', () => {
    const [arduino, digitemp, simulated] = parseSensorSpecs([
      'arduino:/dev/ttyACM0@57600',
      'digitemp:/dev/ttyUSB0',
      'simulated',
    ]).map((spec) => createSensor(spec, { stateDir: '/var/lib/skystation' }));
    expect(arduino).toBeInstanceOf(ArduinoSensor);
    expect((arduino as ArduinoSensor).baudRate).toBe(57600);
    expect(digitemp).toBeInstanceOf(DigitempSensor);
    expect((digitemp as DigitempSensor).configPath).toBe('/var/lib/skystation/digitemp-digitemp-ttyUSB0.conf');
    expect((digitemp as DigitempSensor).command).toBe('digitemp_DS9097');
    expect(simulated).toBeInstanceOf(SimulatedSensor);
    expect(simulated?.name).toBe('simulated');
  });
});
