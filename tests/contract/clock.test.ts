/**
 * The agent clock in a real agent process: POST /clock applies a persisted
 * offset (never the system clock in tests), which moves /health, capture
 * timestamps and plan timing, survives a restart, and a large difference
 * raises a `clock_offset` warning on /events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClockSetResponse, PlanSlotsResponse } from '../../agent/src/protocol/autonomy.js';
import { AgentEvent, CaptureResponse, HealthResponse } from '../../agent/src/protocol/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { agentHttp, agentToken, expectShape, type AgentHttp } from './client.js';

const HOUR = 3_600_000;

describe('agent clock offset set by the station', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-clock-'));
    agent = await startAgentProcess(dir, ['--sim-resolution', '64x48']);
    http = agentHttp(agent.port, dir);
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const agentTime = async (): Promise<number> =>
    Date.parse(expectShape(HealthResponse, (await http.get('/health')).body, 'GET /health').time);

  it('moves the agent time, capture timestamps and plan timing; warns; persists across a restart', async () => {
    const token = agentToken(dir);
    const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/events${token ? `?access_token=${token}` : ''}`);
    const events: AgentEvent[] = [];
    ws.on('message', (m: Buffer) => events.push(AgentEvent.parse(JSON.parse(m.toString('utf8')))));
    await until(
      () => events.length,
      (n) => n >= 1,
    );

    const r = await http.post('/clock', { time: new Date(Date.now() + HOUR).toISOString() });
    expect(r.status).toBe(200);
    expect(expectShape(ClockSetResponse, r.body, 'POST /clock').applied).toBe('offset');
    expect(Math.abs((await agentTime()) - Date.now() - HOUR)).toBeLessThan(2000);
    await until(
      () => events.filter((e) => e.type === 'warning' && e.code === 'clock_offset').length,
      (n) => n === 1,
    );
    ws.close();

    const shot = expectShape(CaptureResponse, (await http.post('/capture', { auto: true })).body, 'POST /capture');
    expect(Math.abs(Date.parse(shot.captured_at) - Date.now() - HOUR)).toBeLessThan(2000);

    await agent.stop();
    agent = await startAgentProcess(dir, ['--sim-resolution', '64x48']);
    http = agentHttp(agent.port, dir);
    const now = await agentTime();
    expect(Math.abs(now - Date.now() - HOUR)).toBeLessThan(2000);

    // A plan in agent time (an hour ahead of the system clock) runs on time.
    const start = Math.ceil(now / 1000) * 1000 + 2000;
    const deploy = await http.post('/profile/deploy', {
      profile_id: 'clock',
      version: '1.0.0',
      settings: { base: { iso: 100, shutter_speed: '1/1000' } },
      plan: {
        generated_at: new Date(now).toISOString(),
        horizon: new Date(start + 10_000).toISOString(),
        windows: [
          {
            start: new Date(start).toISOString(),
            end: new Date(start + 10_000).toISOString(),
            interval_seconds: 1,
            schedule: 'clock',
          },
        ],
      },
    });
    expect(deploy.status).toBe(200);
    const slots = await until(
      async () => expectShape(PlanSlotsResponse, (await http.get('/plan/slots')).body, 'GET /plan/slots').items,
      (items) => items.filter((s) => s.status === 'captured').length >= 2,
    );
    for (const s of slots.filter((x) => x.status === 'captured')) {
      expect(Math.abs(Date.parse(s.started_at!) - Date.parse(s.planned_at))).toBeLessThan(1000);
    }
  }, 60_000);
});
