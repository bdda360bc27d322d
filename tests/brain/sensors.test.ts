/**
 * Sensor time series: the station copies each agent's readings (the agent's
 * own journal is the source), including the ones taken while the station was
 * stopped, once each and in order, for charts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

describe('sensor time series on the station', () => {
  let dir: string;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station | null = null;
  const open = (): Promise<Station> =>
    startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false, pollIntervalMs: 300 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sensors-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sensor', 'simulated'], {
      SKYSTATION_SIM_SENSOR_INTERVAL_MS: '200',
    });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every reading once, with those taken while the station was away', async () => {
    station = await open();
    const { id } = await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token });
    const first = await until(
      () => station!.call('sensorSeries', { agentId: id }),
      (s) => s.length >= 3,
    );
    expect(first[0]?.sensor).toBe('simulated');
    expect(typeof first[0]?.temperatureC).toBe('number');

    await station.close();
    station = null;
    const awayFrom = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 2_000));
    const awayTo = new Date().toISOString();

    station = await open();
    const st = station;
    await st.call('syncAgent', { agentId: id });
    const all = await st.call('sensorSeries', { agentId: id });
    // Both ends inclusive, as the API's from/to are (a reading can fall on the very millisecond; CI saw one).
    const away = all.filter((p) => p.time >= awayFrom && p.time <= awayTo);
    expect(away.length, 'readings at 200 ms while the station was away for 2 s').toBeGreaterThanOrEqual(5);
    // In time order, each once.
    const times = all.map((p) => p.time);
    expect([...times].sort()).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    // The agent's own list matches the station's.
    const res = await fetch(`http://127.0.0.1:${agent.port}/sensors/readings?limit=5000`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    const onAgent = ((await res.json()) as { items: { time: string }[] }).items.map((r) => r.time);
    expect(times.slice(0, onAgent.length)).toEqual(onAgent.slice(0, times.length));
    // Filters and validation.
    const window = await st.call('sensorSeries', { agentId: id, from: awayFrom, to: awayTo });
    expect(window).toEqual(away);
    const bad = await st.dispatch('sensorSeries', { agentId: id, from: 'yesterday' });
    expect(bad).toMatchObject({ ok: false });
    const badQuery = await fetch(`http://127.0.0.1:${agent.port}/sensors/readings?after=-1`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(badQuery.status).toBe(400);
  }, 60_000);
});
