/**
 * Issue 16: the agent's clock jumps by hours during a deployed plan (an NTP or
 * station correction after a Pi booted without a real-time clock). Forwards:
 * the slots jumped over are journalled as missed, saying the clock did it, and
 * none is captured late in a catch-up burst. Back again: no slot is taken a
 * second time (slots already handled or missed stay so), and nothing is
 * captured until the plan's time comes again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanSlotsResponse, PlanStatusResponse, type PlanSlot } from '../../agent/src/protocol/autonomy.js';
import { HealthResponse } from '../../agent/src/protocol/index.js';
import { agentHttp, expectShape, type AgentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

const HOUR = 3600_000;
let dir: string;
let agent: (RunningProcess & { port: number }) | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-clock-jump-'));
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function slots(http: AgentHttp): Promise<PlanSlot[]> {
  return expectShape(PlanSlotsResponse, (await http.get('/plan/slots?limit=5000')).body, 'GET /plan/slots').items;
}

async function agentNow(http: AgentHttp): Promise<number> {
  return Date.parse(expectShape(HealthResponse, (await http.get('/health')).body, 'GET /health').time);
}

const captured = (list: PlanSlot[]): PlanSlot[] => list.filter((s) => s.status === 'captured');

describe('the agent clock jumps by hours during a deployed plan', () => {
  it('journals the jumped-over slots as missed, never bursts, and never takes a slot twice', async () => {
    agent = await startAgentProcess(dir, ['--sim-resolution', '64x48', '--sim-time', '2025-06-21T20:00:00Z']);
    const http = agentHttp(agent.port, dir);
    const now = await agentNow(http);
    const a = Math.ceil(now / 1000) * 1000 + 2000;
    const b = a + 2 * HOUR;
    const windows = [
      { start: a, end: a + 600_000 },
      { start: b, end: b + 600_000 },
    ].map((w) => ({
      start: new Date(w.start).toISOString(),
      end: new Date(w.end).toISOString(),
      interval_seconds: 1,
      schedule: 'night',
    }));
    const deploy = await http.post('/profile/deploy', {
      profile_id: 'clock',
      version: '1.0.0',
      settings: { base: { iso: 800, shutter_speed: '1/100' } },
      plan: { generated_at: new Date(now).toISOString(), horizon: new Date(b + 600_000).toISOString(), windows },
    });
    expect(deploy.status).toBe(200);
    await until(
      () => slots(http),
      (s) => captured(s).length >= 3,
      20_000,
    );

    // Forwards by two hours and five seconds: into the second window.
    const before = await agentNow(http);
    expect((await http.post('/clock', { time: new Date(before + 2 * HOUR + 5000).toISOString() })).status).toBe(200);
    const afterJump = await until(
      () => slots(http),
      (s) => captured(s).filter((x) => Date.parse(x.planned_at) >= b).length >= 3,
      20_000,
    );
    const jumped = afterJump.filter(
      (s) => Date.parse(s.planned_at) > before + 1000 && Date.parse(s.planned_at) < b + 4000,
    );
    expect(jumped.length).toBeGreaterThan(590);
    for (const s of jumped) {
      expect(s.status).toBe('missed');
      expect(s.error ?? '').toMatch(/clock was corrected forward/);
    }
    // No catch-up burst: every captured slot started near its instant, none hours late (a generous bound: CI is busy).
    for (const s of captured(afterJump)) expect(Math.abs(s.start_error_ms ?? 0)).toBeLessThan(2000);

    // Back by two hours: into the first window again, whose remaining slots were already missed.
    const count = captured(afterJump).length;
    const late = await agentNow(http);
    expect((await http.post('/clock', { time: new Date(late - 2 * HOUR).toISOString() })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 4000));
    const back = await slots(http);
    // Nothing captured meanwhile (at most the one slot that was already under way at the jump)...
    expect(captured(back).length).toBeLessThanOrEqual(count + 1);
    // ...no slot twice: one row per instant, one capture per captured slot...
    const ids = captured(back).map((s) => s.capture_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(back.map((s) => s.planned_at)).size).toBe(back.length);
    // ...and the runner waits for the second window's next slot, not the first window's.
    const status = expectShape(PlanStatusResponse, (await http.get('/plan')).body, 'GET /plan');
    expect(Date.parse(status.next_slot!.planned_at)).toBeGreaterThanOrEqual(b);
  }, 120_000);
});
