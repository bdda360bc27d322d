import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { metricNames, parseMetrics, promtoolCheck, scrape } from './helpers.js';

// The headless station's /metrics, linted by Prometheus' own promtool (issue #13).

let dir: string;
let station: Station;
let server: StationServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-station-metrics-'));
  station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
  server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
});

afterAll(async () => {
  await server?.close();
  await station?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('station GET /metrics', () => {
  it('passes promtool check metrics (no gauge named _total)', async () => {
    const { status, text } = await scrape(server.port);
    expect(status).toBe(200);
    const lint = promtoolCheck(text);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    const names = metricNames(text);
    expect(names.has('skystation_station_nodejs_active_handles')).toBe(true);
    for (const name of names) expect(name.startsWith('skystation_station_'), name).toBe(true);
  });

  it('prints a zero sample for known API error codes before the first error', async () => {
    const values = parseMetrics((await scrape(server.port)).text);
    expect(values.get('skystation_station_api_errors_total{code="agent_unknown"}')).toBe(0);
    expect(values.get('skystation_station_api_errors_total{code="internal"}')).toBe(0);
  });
});
