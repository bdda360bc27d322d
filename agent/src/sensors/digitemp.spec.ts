import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIGITEMP_OUTPUT_FORMAT, DigitempSensor, parseDigitempLine } from './digitemp.js';
import { SensorManager } from './manager.js';
import type { SensorReading, SensorWarning } from './types.js';

/**
 * A stand-in `digitemp_DS9097` on PATH. It records its arguments (one per
 * line, so a path with a space proves no shell was involved) and behaves as
 * the file `mode` says:
 *   ok    readings in our -o format, one in digitemp's default format, a DS2438
 *         humidity line and a malformed line (exit 0)
 *   fail  digitemp's real message for a missing port (exit 7)
 *   hang  never finishes
 *   empty no probes (exit 0, no output), as the real program does with an empty config
 * `-i` writes the config file (the -c argument), like the real program.
 */
const STAND_IN = `#!/bin/sh
here="$(dirname "$0")"
for a in "$@"; do printf '%s\\n' "$a"; done >> "$here/calls.log"
echo "--" >> "$here/calls.log"
mode="$(cat "$here/mode")"
conf=""
init=0
while [ $# -gt 0 ]; do
  case "$1" in
    -c) conf="$2"; shift ;;
    -i) init=1 ;;
  esac
  shift
done
if [ "$mode" = fail ]; then
  echo "Error, serial port '/dev/ttyUSB9' does not exist!" >&2
  exit 7
fi
if [ "$mode" = hang ]; then exec sleep 30; fi
if [ $init = 1 ]; then
  echo "ROM #0 : 28FF4A1B63160312"
  printf 'SENSORS 2\\n' > "$conf"
  exit 0
fi
if [ "$mode" = ok ]; then
  echo "0 28FF4A1B63160312 1763683201 21.50"
  echo "1 28AA00112233445F 1763683202 -4.06"
  echo "Nov 21 00:00:03 Sensor 2 C: 27.53 F: 81.55 H: 23%"
  echo "Nov 21 00:00:04 Sensor 3 C: 21.5z F: 70.70"
fi
exit 0
`;

let binDir: string;
let work: string;
let savedPath: string | undefined;
let manager: SensorManager | null = null;

async function setMode(mode: 'ok' | 'fail' | 'hang' | 'empty'): Promise<void> {
  await writeFile(join(binDir, 'mode'), mode);
}

async function calls(): Promise<string[][]> {
  const text = existsSync(join(binDir, 'calls.log')) ? await readFile(join(binDir, 'calls.log'), 'utf8') : '';
  return text
    .split('--\n')
    .filter((c) => c !== '')
    .map((c) => c.split('\n').filter((a) => a !== ''));
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function setup(options: { command?: string; timeoutMs?: number } = {}) {
  const sensor = new DigitempSensor({
    name: 'dt',
    port: '/dev/tty USB0',
    configPath: join(work, 'conf dir', 'digitemp.conf'),
    intervalMs: 150,
    timeoutMs: options.timeoutMs ?? 5000,
    backoff: { initialMs: 100, maxMs: 300 },
    ...(options.command === undefined ? {} : { command: options.command }),
  });
  const mgr = new SensorManager([sensor]);
  manager = mgr;
  const readings: SensorReading[] = [];
  const warnings: SensorWarning[] = [];
  mgr.onReading((r) => readings.push(r));
  mgr.onWarning((w) => warnings.push(w));
  const stats = () => {
    const [s] = mgr.stats();
    if (s === undefined) throw new Error('no stats');
    return s;
  };
  return { sensor, mgr, readings, warnings, stats };
}

beforeAll(() => {
  savedPath = process.env['PATH'];
});

afterAll(() => {
  process.env['PATH'] = savedPath;
});

beforeEach(async () => {
  binDir = await mkdtemp(join(tmpdir(), 'skystation-digitemp-bin-'));
  work = await mkdtemp(join(tmpdir(), 'skystation-digitemp-'));
  const script = join(binDir, 'digitemp_DS9097');
  await writeFile(script, STAND_IN);
  await chmod(script, 0o755);
  process.env['PATH'] = `${binDir}${delimiter}${savedPath ?? ''}`;
});

afterEach(async () => {
  await manager?.stop();
  manager = null;
  process.env['PATH'] = savedPath;
  await rm(binDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe('parseDigitempLine', () => {
  it('reads the default format, with and without humidity', () => {
    expect(parseDigitempLine('Nov 21 00:00:01 Sensor 0 C: 21.50 F: 70.70')).toEqual({
      kind: 'reading',
      reading: { probe: '0', temperature_c: 21.5 },
    });
    expect(parseDigitempLine('Jan  1 08:33:48 Sensor 6 C: 27.53 F: 81.55 H: 23%')).toEqual({
      kind: 'reading',
      reading: { probe: '6', temperature_c: 27.53, humidity_percent: 23 },
    });
  });

  it(`reads our -o format "${DIGITEMP_OUTPUT_FORMAT}" with the ROM serial and epoch time`, () => {
    expect(parseDigitempLine('1 28AA00112233445F 1763683202 -4.06')).toEqual({
      kind: 'reading',
      reading: { probe: '28AA00112233445F', temperature_c: -4.06, time: '2025-11-21T00:00:02.000Z' },
    });
  });

  it('ignores banners and blank lines, rejects the rest with a reason', () => {
    expect(parseDigitempLine('DigiTemp v3.7.2 Copyright 1996-2018 by Brian C. Lane')).toEqual({ kind: 'ignored' });
    expect(parseDigitempLine('   ')).toEqual({ kind: 'ignored' });
    expect(parseDigitempLine('Nov 21 00:00:01 Sensor 0 C: 21.50 F: 99.00')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/disagree/) as unknown,
    });
    expect(parseDigitempLine('Nov 21 00:00:01 Sensor 0 C: 85.00 F: 185.00')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/power-on/) as unknown,
    });
    expect(parseDigitempLine('0 28FF4A1B63160312 1763683201 -85.00')).toMatchObject({ kind: 'malformed' });
    expect(parseDigitempLine('Error, serial port does not exist!')).toMatchObject({ kind: 'malformed' });
  });
});

describe('DigitempSensor with a stand-in digitemp_DS9097 on PATH', () => {
  it('initialises its config once, polls, parses readings and counts the malformed line', async () => {
    await setMode('ok');
    const { mgr, readings, stats } = setup();
    await mgr.start();
    await waitFor(() => readings.length >= 6, 5000, 'two polls');

    const first = readings.slice(0, 3);
    expect(first).toEqual([
      { sensor: 'dt', time: '2025-11-21T00:00:01.000Z', probe: '28FF4A1B63160312', temperature_c: 21.5 },
      { sensor: 'dt', time: '2025-11-21T00:00:02.000Z', probe: '28AA00112233445F', temperature_c: -4.06 },
      { sensor: 'dt', time: expect.any(String) as unknown, probe: '2', temperature_c: 27.53, humidity_percent: 23 },
    ]);
    // One malformed line per poll of three readings, however many polls ran by now.
    expect(stats()).toMatchObject({ state: 'connected', failures_total: 0 });
    expect(stats().malformed_total).toBeGreaterThanOrEqual(2);
    expect(stats().malformed_total * 3).toBe(stats().readings_total);
    expect(mgr.latest().map((r) => r.probe)).toEqual(['28FF4A1B63160312', '28AA00112233445F', '2']);

    const [init, read] = await calls();
    expect(init).toEqual(['-q', '-i', '-s', '/dev/tty USB0', '-c', join(work, 'conf dir', 'digitemp.conf')]);
    expect(read).toEqual([
      '-q',
      '-a',
      '-s',
      '/dev/tty USB0',
      '-c',
      join(work, 'conf dir', 'digitemp.conf'),
      '-o',
      DIGITEMP_OUTPUT_FORMAT,
    ]);
    expect((await calls()).filter((c) => c.includes('-i'))).toHaveLength(1);
  });

  it('turns a non-zero exit into a coded warning, retries with backoff, and recovers', async () => {
    await setMode('fail');
    const { mgr, readings, warnings, stats } = setup();
    await mgr.start();
    await waitFor(() => stats().failures_total >= 3, 5000, 'three failed runs');
    expect(stats().state).toBe('disconnected');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ sensor: 'dt', code: 'serial_port_not_found' });
    expect(warnings[0]?.message).toContain('does not exist');
    expect(readings).toHaveLength(0);

    await setMode('ok');
    await waitFor(() => readings.length >= 3, 5000, 'readings after recovery');
    expect(stats().state).toBe('connected');
    expect(stats().reconnects_total).toBe(0);
  });

  it('reports a missing program with its own code', async () => {
    const { mgr, warnings, stats } = setup({ command: 'digitemp_not_installed_here' });
    await mgr.start();
    await waitFor(() => warnings.length === 1, 5000, 'warning');
    expect(warnings[0]?.code).toBe('digitemp_not_found');
    expect(warnings[0]?.message).toMatch(/apt install digitemp/);
    await waitFor(() => stats().failures_total >= 2, 5000, 'a retry');
    expect(warnings).toHaveLength(1);
  });

  it('kills a hung run at the timeout', async () => {
    await setMode('hang');
    const { mgr, warnings, stats } = setup({ timeoutMs: 300 });
    await mgr.start();
    await waitFor(() => warnings.length === 1, 5000, 'timeout warning');
    expect(warnings[0]?.code).toBe('digitemp_timeout');
    expect(stats().state).toBe('disconnected');
  });

  it('warns when the bus has no probes and searches it again', async () => {
    await setMode('empty');
    const { mgr, warnings, stats } = setup();
    await mgr.start();
    await waitFor(() => stats().failures_total >= 2, 5000, 'two empty polls');
    expect(warnings[0]?.code).toBe('digitemp_no_probes');
    expect((await calls()).filter((c) => c.includes('-i')).length).toBeGreaterThanOrEqual(2);
  });

  it('stop() cancels a running command promptly', async () => {
    await setMode('hang');
    const { sensor, mgr } = setup({ timeoutMs: 20_000 });
    await mgr.start();
    await waitFor(() => existsSync(join(binDir, 'calls.log')), 5000, 'the run to start');
    const started = Date.now();
    await mgr.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sensor.health().state).toBe('stopped');
  });
});
