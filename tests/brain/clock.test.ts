/**
 * Clock comparison at every connection: an agent whose clock is an hour
 * behind (a Pi that booted without a real-time clock or network time) raises
 * an alert on the station and a warning on the agent, and the operator can
 * let the station correct it, after which its captures carry the right time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationEvent } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

const HOUR = 3_600_000;

describe('clock comparison between the station and an agent', () => {
  let dir: string;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station;
  const events: StationEvent[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-clock-'));
    agent = await startAgentProcess(join(dir, 'agent'), [
      '--sim-time',
      new Date(Date.now() - HOUR).toISOString(),
      '--sensor',
      'simulated',
    ]);
    station = await startStation({
      dataDir: join(dir, 'station'),
      embeddedAgent: false,
      discovery: false,
      pollIntervalMs: 300,
    });
    station.onEvent((e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns on both sides when an agent connects with a clock an hour behind', async () => {
    const view = await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token });
    const agents = await until(
      () => station.call('listAgents'),
      (list) => typeof list.find((a) => a.id === view.id)?.clockOffsetMs === 'number',
    );
    const offset = agents.find((a) => a.id === view.id)!.clockOffsetMs!;
    // The per-camera status carries the sensor temperature too.
    const withTemp = await until(
      () => station.call('listAgents'),
      (list) => typeof list.find((a) => a.id === view.id)?.temperatureC === 'number',
    );
    expect(withTemp[0]!.temperatureC).toBeGreaterThan(-60);
    expect(offset).toBeLessThan(-HOUR + 5_000);
    // The agent's simulated clock started an hour back when its process started, a few seconds ago.

    expect(offset).toBeGreaterThan(-HOUR - 15_000);
    // The station's alert, from its own measurement, and the agent's warning event relayed as an alert.
    const messages = await until(
      () => events.flatMap((e) => (e.event === 'alert' && e.data.code === 'clock_offset' ? [e.data.message] : [])),
      (list) => list.length >= 2,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/60 min behind the station's/),
        expect.stringMatching(/The station's clock differs from this agent's/),
      ]),
    );
    // The agent's own warning (it was told the station's time, without a change).
    const logged = await until(
      () => agent.stdout.filter((l) => l.includes('"event":"clock.offset"')),
      (l) => l.length > 0,
    );
    expect(logged[0]).toMatch(/differs from this agent's by 36\d\d\.\d s/);
  });

  it('corrects the agent when the operator asks, and later captures carry the station time', async () => {
    const [view] = await station.call('listAgents');
    const r = await station.call('setAgentClock', { agentId: view!.id });
    expect(r.applied).toBe('offset');
    expect(Math.abs(r.offsetBeforeMs + HOUR)).toBeLessThan(15_000);
    expect(Math.abs(r.offsetAfterMs)).toBeLessThan(1_000);
    const capture = await station.call('captureNow', { agentId: view!.id });
    expect(Math.abs(Date.parse(capture.capturedAt) - Date.now())).toBeLessThan(10_000);
    const bad = await station.dispatch('setAgentClock', { agentId: 'nobody' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'agent_unknown' } });
  }, 60_000);
});
