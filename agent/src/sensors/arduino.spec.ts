import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArduinoSensor, classifySerialError, MAX_LINE_BYTES } from './arduino.js';
import { SensorManager } from './manager.js';
import type { SensorReading, SensorStateChange, SensorWarning } from './types.js';

// Real pseudo-terminal pairs: the sensor opens dev-a, the test writes to dev-b.

let dir: string;
let socat: ChildProcess | null = null;
let writer: WriteStream | null = null;
let manager: SensorManager | null = null;

async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function plug(): Promise<void> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${dir}/dev-a`, `pty,raw,echo=0,link=${dir}/dev-b`], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  socat = child;
  await waitFor(() => existsSync(join(dir, 'dev-a')) && existsSync(join(dir, 'dev-b')), 5000, 'socat links');
}

async function unplug(): Promise<void> {
  closeWriter();
  const child = socat;
  socat = null;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await waitFor(() => !existsSync(join(dir, 'dev-a')), 2000, 'links removed');
}

function openWriter(): WriteStream {
  const stream = createWriteStream(join(dir, 'dev-b'));
  stream.on('error', () => {
    /* EIO after unplug is expected */
  });
  writer = stream;
  return stream;
}

function closeWriter(): void {
  writer?.destroy();
  writer = null;
}

function send(text: string): void {
  (writer ?? openWriter()).write(text);
}

function makeSensor(): {
  sensor: ArduinoSensor;
  mgr: SensorManager;
  readings: SensorReading[];
  warnings: SensorWarning[];
  states: SensorStateChange[];
} {
  const sensor = new ArduinoSensor({ name: 'ard', path: join(dir, 'dev-a'), backoff: { initialMs: 100, maxMs: 400 } });
  const mgr = new SensorManager([sensor]);
  manager = mgr;
  const readings: SensorReading[] = [];
  const warnings: SensorWarning[] = [];
  const states: SensorStateChange[] = [];
  mgr.onReading((r) => readings.push(r));
  mgr.onWarning((w) => warnings.push(w));
  mgr.onState((s) => states.push(s));
  return { sensor, mgr, readings, warnings, states };
}

const statsOf = (mgr: SensorManager) => {
  const [stats] = mgr.stats();
  if (stats === undefined) throw new Error('no stats');
  return stats;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skystation-pty-'));
});

afterEach(async () => {
  await manager?.stop();
  manager = null;
  closeWriter();
  if (socat !== null && socat.exitCode === null && socat.signalCode === null) {
    const child = socat;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  socat = null;
  await rm(dir, { recursive: true, force: true });
});

describe('ArduinoSensor on a real pty', () => {
  it('parses key=value and JSON lines into readings', async () => {
    await plug();
    const { mgr, readings } = makeSensor();
    await mgr.start();
    expect(statsOf(mgr).state).toBe('connected');

    send('T=21.5 H=45.2 L=1234.5\r\n');
    send('temp=-3.25,hum=80,lux=0.02\n');
    send('{"temperature_c":19.0,"humidity_percent":50.5,"lux":88000}\r\n');
    await waitFor(() => readings.length === 3, 5000, 'three readings');

    expect(
      readings.map(({ temperature_c, humidity_percent, lux, sensor }) => ({
        sensor,
        temperature_c,
        humidity_percent,
        lux,
      })),
    ).toEqual([
      { sensor: 'ard', temperature_c: 21.5, humidity_percent: 45.2, lux: 1234.5 },
      { sensor: 'ard', temperature_c: -3.25, humidity_percent: 80, lux: 0.02 },
      { sensor: 'ard', temperature_c: 19, humidity_percent: 50.5, lux: 88000 },
    ]);
    expect(Number.isNaN(Date.parse(readings[0]?.time ?? ''))).toBe(false);
    expect(statsOf(mgr).readings_total).toBe(3);
    expect(mgr.latest()).toEqual([readings[2]]);
  });

  it('counts malformed and out-of-range lines without stopping, and later lines still parse', async () => {
    await plug();
    const { mgr, readings } = makeSensor();
    await mgr.start();

    send('T=nan H=40\n'); // a DHT22 read failure
    send('T=120\n'); // out of range
    send('{"temperature_c": 20, "lux": -5}\n'); // out of range
    send('garbage \x01\x02 here\n');
    send('{"temperature_c": 20\n'); // cut JSON
    send('# boot banner, ignored\n');
    send('\n');
    send('T=22.0\n');
    await waitFor(() => readings.length === 1, 5000, 'the good line');

    const stats = statsOf(mgr);
    expect(stats.malformed_total).toBe(5);
    expect(stats.readings_total).toBe(1);
    expect(stats.state).toBe('connected');
    expect(readings[0]?.temperature_c).toBe(22);
  });

  it('drops a run of bytes without a newline (wrong baud rate) and recovers', async () => {
    await plug();
    const { mgr, readings } = makeSensor();
    await mgr.start();

    send('x'.repeat(MAX_LINE_BYTES + 200));
    await waitFor(() => statsOf(mgr).malformed_total === 1, 5000, 'overflow counted');
    send('\nL=500\n');
    await waitFor(() => readings.length === 1, 5000, 'reading after overflow');
    expect(readings[0]?.lux).toBe(500);
  });

  it('reports an unplugged port, keeps retrying, and reconnects by itself when it comes back', async () => {
    await plug();
    const { mgr, readings, warnings, states } = makeSensor();
    await mgr.start();
    send('T=10\n');
    await waitFor(() => readings.length === 1, 5000, 'first reading');

    await unplug();
    await waitFor(() => statsOf(mgr).state === 'disconnected', 5000, 'disconnected');
    expect(warnings.map((w) => w.code)).toContain('serial_disconnected');
    const failuresAfterUnplug = statsOf(mgr).failures_total;
    // Backoff 100, 200, 400 ms: several more attempts within ~1.5 s, all failing.
    await waitFor(() => statsOf(mgr).failures_total >= failuresAfterUnplug + 2, 5000, 'retries');
    expect(statsOf(mgr).state).toBe('disconnected');
    expect(statsOf(mgr).last_error?.code).toBe('serial_port_not_found');
    // One warning per cause, not one per retry.
    expect(warnings.filter((w) => w.code === 'serial_port_not_found')).toHaveLength(1);

    await plug();
    await waitFor(() => statsOf(mgr).state === 'connected', 5000, 'reconnected');
    expect(statsOf(mgr).reconnects_total).toBe(1);
    send('T=11.5 H=60\n');
    await waitFor(() => readings.length === 2, 5000, 'reading after replug');
    expect(readings[1]?.temperature_c).toBe(11.5);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected', 'disconnected', 'connected']);
  });

  it('starts with the port missing and connects when it appears', async () => {
    const { mgr, readings, warnings } = makeSensor();
    await mgr.start();
    expect(statsOf(mgr).state).toBe('disconnected');
    expect(warnings[0]?.code).toBe('serial_port_not_found');

    await plug();
    await waitFor(() => statsOf(mgr).state === 'connected', 5000, 'connected');
    expect(statsOf(mgr).reconnects_total).toBe(0);
    send('L=42\n');
    await waitFor(() => readings.length === 1, 5000, 'reading');
    expect(readings[0]?.lux).toBe(42);
  });

  it('stop() releases the port and cancels retries', async () => {
    const { sensor, mgr } = makeSensor();
    await mgr.start();
    await mgr.stop();
    const failures = sensor.health().failures_total;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sensor.health()).toMatchObject({ state: 'stopped', failures_total: failures });
  });
});

describe('classifySerialError', () => {
  it('names the usual failures', () => {
    expect(classifySerialError('/dev/x', new Error('Error: No such file or directory, cannot open /dev/x')).code).toBe(
      'serial_port_not_found',
    );
    expect(classifySerialError('/dev/x', new Error('Error: Permission denied, cannot open /dev/x')).code).toBe(
      'serial_permission_denied',
    );
    expect(
      classifySerialError('/dev/x', new Error('Error Resource temporarily unavailable Cannot lock port')).code,
    ).toBe('serial_port_busy');
    expect(classifySerialError('/dev/x', new Error('weird')).code).toBe('serial_open_failed');
  });
});
