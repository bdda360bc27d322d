import { describe, expect, it } from 'vitest';
import { dewPointC, logTickLabel, reading, seriesOf } from './sensor-series';

describe('sensor series', () => {
  it('dew point by the Magnus formula matches reference values', () => {
    // Saturated air: the dew point is the temperature.
    expect(dewPointC(20, 100)).toBeCloseTo(20, 6);
    // 20 °C at 50 %: 9.3 °C; 30 °C at 70 %: 23.9 °C; -10 °C at 80 %: -12.8 °C (NOAA calculator, ±0.1).
    expect(dewPointC(20, 50)!).toBeCloseTo(9.26, 1);
    expect(dewPointC(30, 70)!).toBeCloseTo(23.93, 1);
    expect(dewPointC(-10, 80)!).toBeCloseTo(-12.8, 1);
    expect(dewPointC(20, 0)).toBeNull();
  });

  it('splits readings by sensor and probe and derives the dew point only where both are known', () => {
    const r = (sensor: string, probe: string | null, t: number | null, h: number | null, lux: number | null) => ({
      sensor,
      probe,
      time: '2025-06-21T20:00:00Z',
      temperatureC: t,
      humidityPercent: h,
      lux,
    });
    const readings = [r('arduino', null, 10, 80, 5), r('digitemp', 'p1', 4, null, null), r('arduino', null, 9, 85, 3)];
    expect(seriesOf(readings, 'temperature').map((s) => [s.key, s.points.length])).toEqual([
      ['arduino', 2],
      ['digitemp / p1', 1],
    ]);
    expect(seriesOf(readings, 'dewPoint').map((s) => s.key)).toEqual(['arduino']);
    expect(seriesOf(readings, 'lux')[0]!.points.map((p) => p.y)).toEqual([5, 3]);
  });
});

describe('sensor readings as text', () => {
  it('writes a dark night in lux without rounding it to zero, and the rest to 0.1', () => {
    expect(reading({ id: 'lux', unit: 'lx' }, 0.0021)).toBe('0.0021 lx');
    expect(reading({ id: 'temperature', unit: '°C' }, 5.75)).toBe('5.8 °C');
  });
  it('labels 1, 2 and 5 of each decade on the light axis and hides the crowded rest', () => {
    expect(logTickLabel(0.01, 12)).toBe('0.01');
    expect(logTickLabel(0.002, 12)).toBe('0.002');
    expect(logTickLabel(0.005, 12)).toBe('0.005');
    expect(logTickLabel(0.008, 12)).toBeNull();
    expect(logTickLabel(30_000, 12)).toBeNull();
    expect(logTickLabel(100_000, 12)).toBe('100,000');
    // A short axis (less than a decade) keeps every label.
    expect(logTickLabel(30_000, 3)).toBe('30,000');
    expect(logTickLabel(0, 3)).toBeNull();
  });
});
