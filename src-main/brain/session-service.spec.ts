import { describe, expect, it } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import { SessionService } from './session-service.js';

/** A camera with a timelapse session the fake keeps in memory, and a control channel with two viewers. */
function camera() {
  const calls: string[] = [];
  let active = false;
  const status = () => ({
    status: active ? ('active' as const) : ('inactive' as const),
    session: {
      interval: 10,
      start_time: '2026-01-10T20:00:00Z',
      captures: 3,
      failed: 0,
      missed: 1,
      last_capture_at: '2026-01-10T20:00:30Z',
      next_capture_at: active ? '2026-01-10T20:00:40Z' : null,
      stopped_at: active ? null : '2026-01-10T20:00:35Z',
      stop_reason: active ? null : 'operator',
    },
  });
  const control = (master: string) => ({
    session_id: 's1',
    role: 'master' as const,
    master_session_id: master,
    forced: master !== 's1',
    sessions: 2,
    connections: 3,
    max_connections: 5,
  });
  const client = {
    startTimelapse: (interval: number) => {
      calls.push(`start ${interval}`);
      active = true;
      return Promise.resolve({});
    },
    stopTimelapse: () => {
      calls.push('stop');
      active = false;
      return Promise.resolve({ success: true, message: 'stopped' });
    },
    timelapseStatus: () => Promise.resolve(status()),
    logs: (limit: number, level?: string) => {
      calls.push(`logs ${limit} ${level}`);
      return Promise.resolve({
        success: true,
        logs: [{ timestamp: '2026-01-10T20:00:00Z', level: 'warning', message: 'disk 81 %', module: 'storage' }],
      });
    },
    control: () => Promise.resolve(control('s1')),
    forceMaster: (id: string) => Promise.resolve(control(id)),
  } as unknown as AgentClient;
  return { client, calls };
}

describe('SessionService', () => {
  it('starts and stops a camera’s own timelapse and reports its session', async () => {
    const cam = camera();
    const svc = new SessionService({ client: (id) => (id === 'cam-1' ? cam.client : undefined) });
    const started = await svc.handlers.startSession({ agentId: 'cam-1', intervalSeconds: 10 });
    expect(started).toMatchObject({ agentId: 'cam-1', active: true, intervalSeconds: 10, captures: 3, missed: 1 });
    const stopped = await svc.handlers.stopSession({ agentId: 'cam-1' });
    expect(stopped).toMatchObject({ active: false, stopReason: 'operator', stoppedAt: '2026-01-10T20:00:35Z' });
    expect((await svc.handlers.sessionStatus({ agentId: 'cam-1' })).active).toBe(false);
    expect(cam.calls).toEqual(['start 10', 'stop']);
  });

  it('reads the camera’s log and its master role, and forces it over', async () => {
    const cam = camera();
    const svc = new SessionService({ client: () => cam.client });
    expect(await svc.handlers.agentLog({ agentId: 'cam-1', limit: 20, level: 'warning' })).toEqual([
      { time: '2026-01-10T20:00:00Z', level: 'warning', message: 'disk 81 %', module: 'storage' },
    ]);
    expect(cam.calls).toEqual(['logs 20 warning']);
    expect(await svc.handlers.agentControl({ agentId: 'cam-1' })).toEqual({
      agentId: 'cam-1',
      masterSessionId: 's1',
      forced: false,
      sessions: 2,
      connections: 3,
      maxConnections: 5,
    });
    expect(await svc.handlers.forceMaster({ agentId: 'cam-1', sessionId: 's2' })).toMatchObject({
      masterSessionId: 's2',
      forced: true,
    });
  });

  it('names an unknown camera instead of calling anything', async () => {
    const svc = new SessionService({ client: () => undefined });
    await expect(svc.handlers.sessionStatus({ agentId: 'ghost' })).rejects.toMatchObject({
      code: 'agent_unknown',
      message: 'No agent with id ghost is configured.',
    });
  });
});
