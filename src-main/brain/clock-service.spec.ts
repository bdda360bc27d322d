import { describe, expect, it } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import { ClockService, type ClockAlert } from './clock-service.js';

/** A camera whose clock runs `offsetMs` ahead until the station sets it. */
function camera(offsetMs: number, now: () => number) {
  const sets: { apply: boolean }[] = [];
  let offset = offsetMs;
  const client = {
    clock: () =>
      Promise.resolve({
        time: new Date(now() + offset).toISOString(),
        offset_ms: 0,
        offset_set_at: null,
        system_clock_settable: false,
      }),
    setClock: (_time: Date, apply: boolean) => {
      sets.push({ apply });
      if (apply) offset = 0;
      return Promise.resolve({
        status: 'ok',
        time: new Date(now()).toISOString(),
        delta_ms: 0,
        offset_ms: 0,
        applied: apply ? 'offset' : 'none',
      });
    },
  } as unknown as AgentClient;
  return { client, sets };
}

describe('ClockService', () => {
  const now = (): number => Date.parse('2026-01-10T20:00:00Z');

  it('remembers each camera’s offset and raises one alert per drifted check, naming the camera', async () => {
    const alerts: ClockAlert[] = [];
    const cams = { ok: camera(300, now), late: camera(-90_000, now) };
    const svc = new ClockService({
      client: (id) => cams[id as keyof typeof cams]?.client,
      agentName: (id) => (id === 'late' ? 'Roof' : id),
      raise: (a) => alerts.push(a),
      now,
    });
    expect(svc.offsetMs('ok')).toBeNull();
    expect((await svc.check('ok'))?.drifted).toBe(false);
    expect(svc.offsetMs('ok')).toBe(300);
    expect((await svc.check('late'))?.drifted).toBe(true);
    expect(svc.offsetMs('late')).toBe(-90_000);
    expect(alerts).toEqual([
      {
        level: 'warning',
        code: 'clock_offset',
        agentId: 'late',
        message: expect.stringContaining("Roof's clock is 2 min behind the station's") as string,
      },
    ]);
    expect(await svc.check('unknown')).toBeNull();
  });

  it('sets a camera’s clock and reports the offset before and after', async () => {
    const cam = camera(5_000, now);
    const svc = new ClockService({ client: () => cam.client, agentName: (id) => id, raise: () => undefined, now });
    const r = await svc.handlers.setAgentClock({ agentId: 'cam-1' });
    expect(r).toEqual({ agentId: 'cam-1', offsetBeforeMs: 5_000, offsetAfterMs: 0, applied: 'offset' });
    // The drifted check tells the agent the station's time (apply false), then the operator's set applies it.
    expect(cam.sets).toEqual([{ apply: false }, { apply: true }]);
    expect(svc.offsetMs('cam-1')).toBe(0);
  });

  it('refuses an unknown camera', async () => {
    const svc = new ClockService({ client: () => undefined, agentName: (id) => id, raise: () => undefined, now });
    await expect(svc.handlers.setAgentClock({ agentId: 'ghost' })).rejects.toMatchObject({ code: 'agent_unknown' });
  });
});
