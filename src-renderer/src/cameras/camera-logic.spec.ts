import { describe, expect, it } from 'vitest';
import type { SensorPointView } from '@contract';
import { filterAgentLog, intervalProblem, latestBySensor, shutterSeconds, stillProgress } from './camera-logic';

describe('intervalProblem', () => {
  it('accepts 1 to 3600 whole seconds and explains anything else', () => {
    expect(intervalProblem('1')).toBeNull();
    expect(intervalProblem('3600')).toBeNull();
    expect(intervalProblem('0')).toMatch(/1 to 3600/);
    expect(intervalProblem('3601')).toMatch(/1 to 3600/);
    expect(intervalProblem('')).toMatch(/whole seconds/);
    expect(intervalProblem('2.5')).toMatch(/whole seconds/);
  });
});

describe('latestBySensor', () => {
  const p = (sensor: string, probe: string | null, time: string, t: number): SensorPointView => ({
    sensor,
    probe,
    time,
    temperatureC: t,
    humidityPercent: null,
    lux: null,
  });

  it('keeps the newest reading of each sensor and probe, whatever the input order', () => {
    const out = latestBySensor([
      p('ds18b20', 'a', '2026-12-07T01:00:00Z', 1),
      p('bme280', null, '2026-12-07T02:00:00Z', 5),
      p('ds18b20', 'a', '2026-12-07T03:00:00Z', 3),
      p('ds18b20', 'b', '2026-12-07T00:30:00Z', 7),
      p('bme280', null, '2026-12-07T01:00:00Z', 4),
    ]);
    expect(out.map((x) => [x.sensor, x.probe, x.temperatureC])).toEqual([
      ['bme280', null, 5],
      ['ds18b20', 'a', 3],
      ['ds18b20', 'b', 7],
    ]);
    expect(latestBySensor([])).toEqual([]);
  });
});

describe('filterAgentLog', () => {
  const line = (time: string, level: 'debug' | 'info' | 'warning' | 'error', message: string, module = 'agent') => ({
    time,
    level,
    message,
    module,
  });
  const lines = [
    line('2026-12-07T01:00:00Z', 'info', 'capture done'),
    line('2026-12-07T03:00:00Z', 'error', 'camera hung, reopened', 'camera'),
    line('2026-12-07T02:00:00Z', 'warning', 'disk 85 % full'),
    line('2026-12-07T04:00:00Z', 'debug', 'tick'),
  ];

  it('keeps the level and above, newest first', () => {
    expect(filterAgentLog(lines, 'info', '').map((l) => l.message)).toEqual([
      'camera hung, reopened',
      'disk 85 % full',
      'capture done',
    ]);
    expect(filterAgentLog(lines, 'warning', '').map((l) => l.level)).toEqual(['error', 'warning']);
    expect(filterAgentLog(lines, 'debug', '')).toHaveLength(4);
  });

  it('matches words in the message or the module, any case', () => {
    expect(filterAgentLog(lines, 'debug', 'DISK').map((l) => l.message)).toEqual(['disk 85 % full']);
    expect(filterAgentLog(lines, 'debug', 'camera').map((l) => l.message)).toEqual(['camera hung, reopened']);
    expect(filterAgentLog(lines, 'info', 'nothing like this')).toEqual([]);
  });
});

describe('still capture progress', () => {
  it('reads shutter speeds as the gallery writes them', () => {
    expect(shutterSeconds('30')).toBe(30);
    expect(shutterSeconds('1/50')).toBeCloseTo(0.02);
    expect(shutterSeconds('2.5s')).toBe(2.5);
    expect(shutterSeconds('')).toBeNull();
    expect(shutterSeconds('auto')).toBeNull();
    expect(shutterSeconds('1/0')).toBeNull();
    expect(shutterSeconds(null)).toBeNull();
  });

  it('counts the exposure down from the last one, then says it is copying', () => {
    expect(stillProgress(0, 30)).toEqual({ phase: 'exposing', leftS: 30 });
    expect(stillProgress(12_300, 30)).toEqual({ phase: 'exposing', leftS: 18 });
    expect(stillProgress(31_000, 30)).toEqual({ phase: 'copying', leftS: null });
    expect(stillProgress(500, 0.02)).toEqual({ phase: 'working', leftS: null });
    expect(stillProgress(500, null)).toEqual({ phase: 'working', leftS: null });
  });

  it('counts down exactly from the exposure the camera said it started, whatever the last one was', () => {
    const started = (exposureSeconds: number, sinceMs: number) => ({ exposureSeconds, sinceMs });
    expect(stillProgress(2_000, 1, started(120, 1_500))).toEqual({ phase: 'exposing', leftS: 119, exact: true });
    expect(stillProgress(200_000, 1, started(120, 121_000))).toEqual({ phase: 'copying', leftS: null, exact: true });
    expect(stillProgress(500, 30, started(0.01, 100))).toEqual({ phase: 'copying', leftS: null, exact: true });
  });
});
