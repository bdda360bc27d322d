import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { metricNames, parseMetrics, promtoolCheck, scrape } from './helpers.js';

// A real agent process, scraped over HTTP; the text is linted by Prometheus' own promtool.

let dir: string;
let agent: RunningProcess & { port: number; auth: { authorization: string } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-metrics-'));
  agent = await startAgentProcess(dir, ['--sim-resolution', '160x120', '--sensor', 'simulated']);
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(`http://127.0.0.1:${agent.port}${path}`, {
    method: 'POST',
    headers: { ...agent.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('GET /metrics', () => {
  it('needs no token, uses the registry content type and passes promtool check metrics', async () => {
    const { status, contentType, text } = await scrape(agent.port);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const lint = promtoolCheck(text);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    const names = metricNames(text);
    for (const name of [
      'skystation_images_captured_total',
      'skystation_capture_errors_total',
      'skystation_capture_duration_seconds',
      'skystation_camera_temperature_celsius',
      'skystation_sensor_temperature_celsius',
      'skystation_sensor_humidity_percent',
      'skystation_sensor_illuminance_lux',
      'skystation_active_captures',
      'skystation_disk_used_bytes',
      'skystation_disk_used_percent',
      'skystation_unsynced_captures',
      'skystation_camera_connected',
      'skystation_preview_clients',
      'skystation_sensor_malformed_lines_total',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    for (const name of names) expect(name.startsWith('skystation_'), name).toBe(true);
    const values = parseMetrics(text);
    expect(values.get('skystation_camera_connected')).toBe(1);
    expect(values.get('skystation_disk_used_bytes')).toBeGreaterThan(0);
    expect(values.get('skystation_disk_used_percent')).toBeGreaterThan(0);
    // Known error types print a zero sample before the first error, so rate() has a series (issue #13).
    expect(values.get('skystation_capture_errors_total{error_type="camera_timeout"}')).toBe(0);
    expect(values.get('skystation_capture_errors_total{error_type="disk_full"}')).toBe(0);
  });

  it('counts a capture, its duration and the backlog; a failed capture counts by error type', async () => {
    const before = parseMetrics((await scrape(agent.port)).text);
    const ok = await post('/capture', { iso: 100, shutter_speed: '1/100' });
    expect(ok.status).toBe(200);
    const failed = await post('/capture', { use_deployed_profile: true });
    expect(failed.status).toBe(409);
    const after = parseMetrics((await scrape(agent.port)).text);
    const delta = (k: string): number => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    expect(delta('skystation_images_captured_total')).toBe(1);
    expect(delta('skystation_capture_duration_seconds_count')).toBe(1);
    expect(after.get('skystation_capture_duration_seconds_sum')).toBeGreaterThan(0);
    expect(delta('skystation_unsynced_captures')).toBe(1);
    expect(delta('skystation_capture_errors_total{error_type="no_profile_deployed"}')).toBe(1);
    expect(after.get('skystation_active_captures')).toBe(0);
    expect(promtoolCheck((await scrape(agent.port)).text).code).toBe(0);
  });

  it('the Grafana dashboard only queries metrics the agent exposes', async () => {
    const dashboard = JSON.parse(await readFile(join(ROOT, 'resources/grafana-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const names = metricNames((await scrape(agent.port)).text);
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    for (const { panel, expr } of exprs) {
      const used = expr.match(/\bskystation_[a-z0-9_]+/g) ?? [];
      expect(used.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const metric of used) expect(names.has(metric), `${panel}: ${metric}`).toBe(true);
    }
  });
});
