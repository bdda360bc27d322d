import { afterEach, describe, expect, it } from 'vitest';
import { simulatedClock } from '../sky/clock.js';
import { diurnalTemperatureC, relativeHumidityPercent, SimulatedSensor, simpleDayLux, solarHour } from './simulated.js';
import type { SensorReading, SensorWarning } from './types.js';

let sensor: SimulatedSensor | null = null;
afterEach(async () => {
  await sensor?.stop();
  sensor = null;
});

const noNoise = () => 0.5;

describe('simulated curves', () => {
  it('is coldest before dawn, warmest mid-afternoon, and more humid when cold', () => {
    const dawn = diurnalTemperatureC(5, 10, 6);
    const afternoon = diurnalTemperatureC(15, 10, 6);
    expect(afternoon).toBeCloseTo(16);
    expect(dawn).toBeLessThan(5);
    expect(relativeHumidityPercent(dawn, 2)).toBeGreaterThan(relativeHumidityPercent(afternoon, 2));
    expect(relativeHumidityPercent(2, 2)).toBeCloseTo(100);
  });

  it('has bright days, dim twilight and dark nights', () => {
    expect(simpleDayLux(12)).toBeCloseTo(100_000, -2);
    expect(simpleDayLux(18)).toBeCloseTo(400, 0);
    expect(simpleDayLux(18.5)).toBeGreaterThan(1);
    expect(simpleDayLux(0)).toBe(0.001);
  });

  it('uses local solar time from the longitude', () => {
    expect(solarHour(new Date('2025-06-21T12:00:00Z'), -105)).toBeCloseTo(5);
  });
});

describe('SimulatedSensor', () => {
  it('emits a reading at start and then every interval, in range', async () => {
    sensor = new SimulatedSensor({
      name: 'sim',
      intervalMs: 40,
      random: noNoise,
      clock: simulatedClock(new Date('2025-06-21T15:00:00Z')),
    });
    const readings: SensorReading[] = [];
    sensor.on('reading', (r) => readings.push(r));
    await sensor.start();
    expect(readings).toHaveLength(1);
    expect(sensor.health().state).toBe('connected');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(readings.length).toBeGreaterThanOrEqual(3);
    const [first] = readings;
    expect(first).toMatchObject({ sensor: 'sim', temperature_c: 16, lux: expect.any(Number) as unknown });
    expect(first?.humidity_percent).toBeGreaterThan(0);
    expect(first?.humidity_percent).toBeLessThan(100);
    expect(first?.time.startsWith('2025-06-21T15:00')).toBe(true);
  });

  it('takes lux from a supplied function (the sky model)', async () => {
    sensor = new SimulatedSensor({ name: 'sim', random: noNoise, lux: () => 1234.5 });
    const readings: SensorReading[] = [];
    sensor.on('reading', (r) => readings.push(r));
    await sensor.start();
    expect(readings[0]?.lux).toBe(1234.5);
  });

  it('turns a throwing lux function into a warning instead of an exception', async () => {
    sensor = new SimulatedSensor({
      name: 'sim',
      lux: () => {
        throw new Error('sky model broke');
      },
    });
    const warnings: SensorWarning[] = [];
    sensor.on('warning', (w) => warnings.push(w));
    await sensor.start();
    expect(warnings[0]).toMatchObject({
      code: 'simulated_sample_failed',
      message: expect.stringContaining('sky model broke') as unknown,
    });
    expect(sensor.health().state).toBe('disconnected');
  });
});
