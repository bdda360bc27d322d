import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SensorStats } from '../sensors/index.js';
import { AgentMetrics } from './metrics.js';

const stats = (malformed: number, connected = true): SensorStats => ({
  sensor: 'arduino-ttyACM0',
  kind: 'arduino',
  state: connected ? 'connected' : 'disconnected',
  connected,
  readings_total: 3,
  malformed_total: malformed,
  warnings_total: 0,
  reconnects_total: 0,
  failures_total: 0,
  last_reading_at: null,
  last_error: null,
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('AgentMetrics', () => {
  it('fills every gauge from its collector at scrape time, and lints clean with promtool', async () => {
    const m = new AgentMetrics();
    let malformed = 2;
    m.setCameraName('gphoto2');
    m.setCollectors({
      disk: () => Promise.resolve({ used_bytes: 500, used_percent: 50, total_bytes: 1000 }),
      unsynced: () => 7,
      cameraConnected: () => false,
      cameraTemperatureC: () => Promise.resolve(31.5),
      sensorStats: () => [stats(malformed)],
      system: () => Promise.resolve({ soc_temperature_c: 48.3, clock_synced: null, load1: 0.5, memory_used_bytes: 1 }),
      capturePaused: () => true,
    });
    m.setPreviewClients(3);
    m.recordSensorReading({ sensor: 'digitemp-ttyUSB0', probe: '28FF', time: 'x', temperature_c: -4.25 });
    m.recordSensorReading({ sensor: 'arduino-ttyACM0', time: 'x', humidity_percent: 80, lux: 0.5 });
    let text = await m.metrics();
    expect(value(text, 'skystation_disk_used_bytes')).toBe(500);
    expect(value(text, 'skystation_disk_used_percent')).toBe(50);
    expect(value(text, 'skystation_unsynced_captures')).toBe(7);
    expect(value(text, 'skystation_camera_connected')).toBe(0);
    expect(value(text, 'skystation_camera_temperature_celsius{camera="gphoto2"}')).toBe(31.5);
    expect(value(text, 'skystation_soc_temperature_celsius{zone="thermal_zone0"}')).toBe(48.3);
    expect(value(text, 'skystation_clock_synchronized')).toBe(-1);
    expect(value(text, 'skystation_capture_paused')).toBe(1);
    expect(value(text, 'skystation_preview_clients')).toBe(3);
    expect(value(text, 'skystation_sensor_temperature_celsius{sensor="digitemp-ttyUSB0/28FF"}')).toBe(-4.25);
    expect(value(text, 'skystation_sensor_humidity_percent{sensor="arduino-ttyACM0"}')).toBe(80);
    expect(value(text, 'skystation_sensor_illuminance_lux{sensor="arduino-ttyACM0"}')).toBe(0.5);
    expect(value(text, 'skystation_sensor_malformed_lines_total{sensor="arduino-ttyACM0"}')).toBe(2);
    malformed = 5;
    text = await m.metrics();
    expect(value(text, 'skystation_sensor_malformed_lines_total{sensor="arduino-ttyACM0"}')).toBe(5);
    if (existsSync('/usr/bin/promtool')) {
      const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    } else {
      console.warn('promtool is not installed (Debian package prometheus); the lint part of this spec did not run.');
    }
  });

  it('leaves temperatures absent when the camera or board reports none', async () => {
    const m = new AgentMetrics({ processMetrics: false });
    m.setCollectors({
      cameraTemperatureC: () => Promise.resolve(null),
      system: () => Promise.resolve({ soc_temperature_c: null, clock_synced: true, load1: 0, memory_used_bytes: 0 }),
    });
    const text = await m.metrics();
    expect(text).not.toMatch(/^skystation_camera_temperature_celsius/m);
    expect(text).not.toMatch(/^skystation_soc_temperature_celsius/m);
    expect(value(text, 'skystation_clock_synchronized')).toBe(1);
    expect(text).not.toContain('skystation_agent_');
  });
});
