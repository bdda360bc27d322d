/** Sensor readings turned into chart series (issue #17): per sensor/probe, with the dew point derived. */
import type { SensorPointView } from '@contract';

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
