import { afterEach, describe, expect, it } from 'vitest';
import { agentView, DENVER, NOON, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';
import { StatusService } from './status-service.js';

let bed: OrchestrationBed;
afterEach(() => bed.close());

const daytime = {
  type: 'daytime',
  enabled: true,
  start_time: '07:30',
  end_time: '17:45',
  interval_seconds: 30,
} as const;

function setup(): StatusService {
  bed = orchestrationBed();
  return new StatusService({
    ...bed,
    deployment: { deployedOn: (id) => (id === 'a1' ? { profileId: 'p', version: '1.0.0' } : undefined) },
  });
}

describe('StatusService', () => {
  it('lists every camera, assigned or not, with the schedule running now', async () => {
    const svc = setup();
    bed.views.push(agentView('a1', { name: 'roof' }), agentView('a2', { name: 'yard', state: 'offline' }));
    await bed.places.handlers.setLocation(DENVER);
    await bed.places.handlers.createSchedule({ name: 'day', schedule: daytime });
    await bed.assignments.handlers.assignSchedules({ agentId: 'a1', schedules: ['day'] });
    bed.repo.putAssignment(
      { cameraId: 'lost', agentId: null, host: '10.0.0.9', port: 8080, site: null, profileId: null, schedules: [] },
      NOON.toISOString(),
    );
    const s = await svc.handlers.stationStatus({});
    expect(s.location).toEqual(DENVER);
    expect(s.schedules).toEqual(['day']);
    expect(s.activeSchedules).toEqual([{ camera: 'roof', schedule: 'day', until: expect.any(String) as string }]);
    expect(s.cameras.map((c) => [c.cameraId, c.state, c.activeSchedule])).toEqual([
      ['roof', 'online', 'day'],
      ['a2', 'offline', null],
      ['lost', 'unknown', null],
    ]);
    expect((await svc.handlers.cameraStatus({ cameraId: 'roof' })).agentDeployedProfile).toEqual({
      profileId: 'p',
      version: '1.0.0',
    });
    expect((await svc.handlers.cameraStatus({ cameraId: 'yard' })).agentId).toBe('a2');
    expect(() => svc.handlers.cameraStatus({ cameraId: 'nowhere' })).toThrow(
      expect.objectContaining({ code: 'camera_unknown' }) as Error,
    );
  });

  it('lists alerts, acknowledges and resolves them, and names an unknown one', async () => {
    const svc = setup();
    const raised = bed.alerts.raise({ level: 'warning', code: 'disk', message: 'Disk 81 %', key: 'disk:a1' })!;
    expect(await svc.handlers.listAlerts({ limit: 10 })).toEqual([expect.objectContaining({ id: raised.id })]);
    expect((await svc.handlers.acknowledgeAlert({ id: raised.id })).acknowledgedAt).not.toBeNull();
    expect((await svc.handlers.resolveAlert({ id: raised.id })).resolvedAt).not.toBeNull();
    expect(() => svc.handlers.resolveAlert({ id: 999 })).toThrow(
      expect.objectContaining({ code: 'alert_unknown' }) as Error,
    );
  });
});
