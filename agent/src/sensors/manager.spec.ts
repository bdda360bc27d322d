import { afterEach, describe, expect, it } from 'vitest';
import { simulatedClock } from '../sky/clock.js';
import { SensorBase } from './base.js';
import { SensorManager } from './manager.js';
import { SimulatedSensor } from './simulated.js';
import { toSensorEvent, toWarningEvent } from './events.js';
import { AgentEvent } from '../protocol/index.js';
import type { SensorReading, SensorWarning } from './types.js';

/** A sensor the test drives by hand. */
class FakeSensor extends SensorBase {
  readonly kind = 'arduino' as const;
  startError: Error | null = null;
  stopError: Error | null = null;
  async start(): Promise<void> {
    await Promise.resolve();
    if (this.startError !== null) throw this.startError;
    this.markConnected();
  }
  async stop(): Promise<void> {
    await Promise.resolve();
    if (this.stopError !== null) throw this.stopError;
    this.markStopped();
  }
  read(values: Omit<SensorReading, 'sensor' | 'time'>, time?: string): void {
    this.emitReading(values, time);
  }
  garbage(line: string): void {
    this.emitMalformed(line, 'test');
  }
  drop(): void {
    this.markFailed('serial_disconnected', 'gone', 100);
  }
  back(): void {
    this.markConnected();
  }
}

let manager: SensorManager | null = null;
afterEach(async () => {
  await manager?.stop();
  manager = null;
});

describe('SensorManager', () => {
  it('isolates a sensor that fails to start, fails to stop, or has a throwing listener', async () => {
    const broken = new FakeSensor({ name: 'broken' });
    broken.startError = new Error('port exploded');
    broken.stopError = new Error('still exploded');
    const good = new FakeSensor({ name: 'good' });
    const sim = new SimulatedSensor({ name: 'sim', intervalMs: 30 });
    manager = new SensorManager([broken, good, sim]);
    const warnings: SensorWarning[] = [];
    const readings: SensorReading[] = [];
    manager.onReading(() => {
      throw new Error('a consumer bug');
    });
    manager.onReading((r) => readings.push(r));
    manager.onWarning((w) => warnings.push(w));

    await expect(manager.start()).resolves.toBeUndefined();
    good.read({ temperature_c: 5 });
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(warnings).toEqual([expect.objectContaining({ sensor: 'broken', code: 'sensor_start_failed' })]);
    expect(warnings[0]?.message).toContain('port exploded');
    const stats = Object.fromEntries(manager.stats().map((s) => [s.sensor, s]));
    expect(stats['broken']).toMatchObject({
      state: 'failed',
      connected: false,
      warnings_total: 1,
      last_error: { code: 'sensor_start_failed' },
    });
    expect(stats['good']).toMatchObject({ state: 'connected', readings_total: 1 });
    expect(stats['sim']?.readings_total).toBeGreaterThanOrEqual(2);
    expect(readings.filter((r) => r.sensor === 'sim').length).toBeGreaterThanOrEqual(2);
    await expect(manager.stop()).resolves.toBeUndefined();
    expect(sim.health().state).toBe('stopped');
  });

  it('counts readings, malformed lines and reconnects, and keeps the latest per sensor and probe', async () => {
    const a = new FakeSensor({ name: 'a' });
    const b = new FakeSensor({ name: 'b' });
    manager = new SensorManager([a, b]);
    await manager.start();
    a.read({ temperature_c: 1 }, '2025-01-01T00:00:00.000Z');
    a.read({ temperature_c: 2 }, '2025-01-01T00:01:00.000Z');
    b.read({ temperature_c: 3, probe: 'p1' }, '2025-01-01T00:00:00.000Z');
    b.read({ temperature_c: 4, probe: 'p2' }, '2025-01-01T00:00:00.000Z');
    a.garbage('x');
    a.garbage('y');
    a.drop();
    a.back();
    a.drop();
    a.back();

    expect(manager.latest()).toEqual([
      { sensor: 'a', time: '2025-01-01T00:01:00.000Z', temperature_c: 2 },
      { sensor: 'b', time: '2025-01-01T00:00:00.000Z', temperature_c: 3, probe: 'p1' },
      { sensor: 'b', time: '2025-01-01T00:00:00.000Z', temperature_c: 4, probe: 'p2' },
    ]);
    const [sa, sb] = manager.stats();
    expect(sa).toMatchObject({
      sensor: 'a',
      state: 'connected',
      readings_total: 2,
      malformed_total: 2,
      reconnects_total: 2,
      failures_total: 2,
      // the same cause twice in separate episodes warns twice
      warnings_total: 2,
      last_reading_at: '2025-01-01T00:01:00.000Z',
    });
    expect(sb).toMatchObject({ readings_total: 2, malformed_total: 0, reconnects_total: 0 });
  });

  it('current() gives the freshest value of each quantity and forgets stale ones', async () => {
    const clock = simulatedClock(new Date('2025-01-01T00:10:00.000Z'));
    const a = new FakeSensor({ name: 'a' });
    const b = new FakeSensor({ name: 'b' });
    manager = new SensorManager([a, b], { clock });
    await manager.start();
    a.read({ temperature_c: 1, lux: 10 }, '2025-01-01T00:09:00.000Z');
    b.read({ temperature_c: 2 }, '2025-01-01T00:09:30.000Z');
    b.read({ humidity_percent: 50 }, '2024-12-31T00:00:00.000Z');
    expect(manager.current()).toEqual({ temperature_c: 2, humidity_percent: null, lux: 10 });
    expect(manager.current(1000)).toEqual({ temperature_c: null, humidity_percent: null, lux: null });
  });

  it('rejects duplicate names', () => {
    manager = new SensorManager([new FakeSensor({ name: 'x' })]);
    expect(() => manager?.add(new FakeSensor({ name: 'x' }))).toThrow(/already exists/);
  });

  it('maps readings and warnings onto the wire events', () => {
    const event = toSensorEvent({
      sensor: 'dt',
      probe: '28FF4A1B63160312',
      time: '2025-01-01T00:00:00.000Z',
      temperature_c: 3,
    });
    expect(AgentEvent.parse(event)).toEqual({
      type: 'sensor',
      sensor: 'dt/28FF4A1B63160312',
      time: '2025-01-01T00:00:00.000Z',
      temperature_c: 3,
    });
    const warning = toWarningEvent({
      sensor: 'dt',
      code: 'digitemp_timeout',
      message: 'slow',
      time: '2025-01-01T00:00:00.000Z',
    });
    expect(AgentEvent.parse(warning)).toEqual({
      type: 'warning',
      code: 'digitemp_timeout',
      message: 'dt: slow',
      time: '2025-01-01T00:00:00.000Z',
    });
  });
});
