import { describe, expect, it } from 'vitest';
import { parseSensorLine } from './line-protocol.js';

describe('parseSensorLine', () => {
  it.each([
    ['T=21.5 H=45.2 L=1234.5', { temperature_c: 21.5, humidity_percent: 45.2, lux: 1234.5 }],
    ['T=21.5 H=45.2 L=1234.5\r', { temperature_c: 21.5, humidity_percent: 45.2, lux: 1234.5 }],
    ['temp=-3,hum=80, lux=0.5', { temperature_c: -3, humidity_percent: 80, lux: 0.5 }],
    ['t=1e1', { temperature_c: 10 }],
    ['L=200000 P=roof', { lux: 200000, probe: 'roof' }],
    ['T=20 V=5.01 RSSI=-70', { temperature_c: 20 }],
    [
      '{"temperature_c":21.5,"humidity_percent":45.2,"lux":1234.5}',
      { temperature_c: 21.5, humidity_percent: 45.2, lux: 1234.5 },
    ],
    ['  {"lux": 0, "firmware": "1.2"}\r', { lux: 0 }],
  ])('reads %j', (line, values) => {
    expect(parseSensorLine(line)).toEqual({ kind: 'reading', values });
  });

  it.each([
    ['T=nan', /not a number/],
    ['T=85.1', /temperature_c/],
    ['T=-60.5', /temperature_c/],
    ['H=100.1', /humidity_percent/],
    ['H=-1', /humidity_percent/],
    ['L=200001', /lux/],
    ['{"lux":-1}', /lux/],
    ['{"temperature_c":"21"}', /temperature_c/],
    ['{"temperature_c":21', /invalid JSON/],
    ['[1,2]', /not key=value/],
    ['{}', /no measurement/],
    ['V=5.0', /no measurement/],
    ['T=1 T=2', /twice/],
    ['hello world', /not key=value/],
    ['T=21.5 H', /not key=value/],
  ])('rejects %j with a reason', (line, reason) => {
    const result = parseSensorLine(line);
    expect(result.kind).toBe('malformed');
    expect(result.kind === 'malformed' ? result.reason : '').toMatch(reason);
  });

  it('accepts the range limits themselves', () => {
    expect(parseSensorLine('T=-60 H=0 L=0').kind).toBe('reading');
    expect(parseSensorLine('T=85 H=100 L=200000').kind).toBe('reading');
  });

  it('ignores blank and # comment lines', () => {
    expect(parseSensorLine('')).toEqual({ kind: 'ignored' });
    expect(parseSensorLine('\r')).toEqual({ kind: 'ignored' });
    expect(parseSensorLine('# DHT22 sketch v3 ready')).toEqual({ kind: 'ignored' });
  });
});
