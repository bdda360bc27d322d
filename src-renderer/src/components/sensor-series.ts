/** Sensor readings turned into chart series (issue #17): per sensor/probe, with the dew point derived. */
import type { SensorPointView } from '@contract';
import { formatLux } from '../format';

/**
 * Dew point in °C from air temperature (°C) and relative humidity (%), by the
 * Magnus formula with Sonntag's constants (a = 17.62, b = 243.12 °C), good to
 * about 0.1 °C between −45 and +60 °C. Null when humidity is not above 0.
 */
export function dewPointC(temperatureC: number, humidityPercent: number): number | null {
  if (!(humidityPercent > 0) || !Number.isFinite(temperatureC)) return null;
  const a = 17.62;
  const b = 243.12;
  const g = Math.log(Math.min(humidityPercent, 100) / 100) + (a * temperatureC) / (b + temperatureC);
  return (b * g) / (a - g);
}

export type Quantity = 'temperature' | 'humidity' | 'dewPoint' | 'lux';

export const QUANTITIES: readonly { id: Quantity; label: string; unit: string }[] = [
  { id: 'temperature', label: 'Temperature', unit: '°C' },
  { id: 'humidity', label: 'Humidity', unit: '%' },
  { id: 'dewPoint', label: 'Dew point', unit: '°C' },
  { id: 'lux', label: 'Light', unit: 'lx' },
];

/** One reading with its unit: light by formatLux (a night's 0.002 lx is not "0.0 lx"), the others to 0.1. */
export function reading(quantity: { id: Quantity; unit: string }, value: number): string {
  return quantity.id === 'lux' ? formatLux(value) : `${value.toFixed(1)} ${quantity.unit}`;
}

/**
 * The label of a tick on the logarithmic light axis: 1, 2 and 5 of each decade
 * (without the unit), and every tick when the axis has only a few; null hides
 * the others, which chart.js otherwise crowds together near the top.
 */
export function logTickLabel(value: number, tickCount: number): string | null {
  if (!(value > 0)) return null;
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  const keep = tickCount <= 4 || [1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6);
  return keep ? formatLux(value).replace(/ lx$/, '') : null;
}

export interface Series {
  /** "sensor" or "sensor / probe". */
  key: string;
  points: { x: number; y: number }[];
}

/** One series per sensor (and probe) with the quantity's readings, in time order. */
export function seriesOf(readings: readonly SensorPointView[], quantity: Quantity): Series[] {
  const out = new Map<string, Series>();
  for (const r of readings) {
    let y: number | null;
    switch (quantity) {
      case 'temperature':
        y = r.temperatureC;
        break;
      case 'humidity':
        y = r.humidityPercent;
        break;
      case 'lux':
        y = r.lux;
        break;
      case 'dewPoint':
        y = r.temperatureC !== null && r.humidityPercent !== null ? dewPointC(r.temperatureC, r.humidityPercent) : null;
        break;
    }
    if (y === null || !Number.isFinite(y)) continue;
    const key = r.probe ? `${r.sensor} / ${r.probe}` : r.sensor;
    let s = out.get(key);
    if (!s) {
      s = { key, points: [] };
      out.set(key, s);
    }
    s.points.push({ x: Date.parse(r.time), y: quantity === 'dewPoint' ? Math.round(y * 100) / 100 : y });
  }
  return [...out.values()];
}
