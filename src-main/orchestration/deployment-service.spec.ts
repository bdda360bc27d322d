import { afterEach, describe, expect, it } from 'vitest';
import { agentView, DENVER, NOON, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';
import type { AgentClient } from '../agents/agent-client.js';
import type { DeploymentBundle } from '../agents/protocol.js';
import { DAY_MS } from './common.js';
import { DeploymentService } from './deployment-service.js';

let bed: OrchestrationBed;
let svc: DeploymentService;
afterEach(async () => {
  await svc.stop();
  bed.close();
});

const daytime = {
  type: 'daytime',
  enabled: true,
  start_time: '07:30',
  end_time: '17:45',
  interval_seconds: 30,
} as const;

/** A camera that keeps the bundles it was sent and reports the last one as deployed. */
function camera(): { client: AgentClient; bundles: DeploymentBundle[] } {
  const bundles: DeploymentBundle[] = [];
  const client = {
    deploy: (b: DeploymentBundle) => {
      bundles.push(b);
      return Promise.resolve({ status: 'ok' });
    },
    health: () => Promise.resolve({ version: '0.1.0', features: ['exposure_ramp'] }),
    status: () => {
      const b = bundles.at(-1);
      return Promise.resolve({
        deployed_profile: b ? { profile_id: b.profile_id, version: b.version } : null,
      });
    },
  } as unknown as AgentClient;
  return { client, bundles };
}

async function setup(o: { redeployWithinMs?: number } = {}): Promise<ReturnType<typeof camera>> {
  bed = orchestrationBed();
  svc = new DeploymentService({
    ...bed,
    planDays: 3,
    horizonCheckMs: 3_600_000,
    redeployWithinMs: o.redeployWithinMs ?? DAY_MS,
  });
  const cam = camera();
  bed.views.push(agentView('a1', { name: 'roof' }));
  bed.clients.set('a1', cam.client);
  await bed.places.handlers.setLocation(DENVER);
  await bed.places.handlers.createSchedule({ name: 'day', schedule: daytime });
  await bed.profiles.save({ profile_id: 'p', settings: { iso_max: 1600 } });
  await bed.assignments.handlers.assignSchedules({ agentId: 'a1', schedules: ['day'] });
  return cam;
}

describe('DeploymentService', () => {
  it('deploys a profile with its plan, records it, and decorates the agent view', async () => {
    const cam = await setup();
    const [r] = await svc.handlers.deployProfile({ profileId: 'p', agentIds: ['a1', 'a1'] });
    expect(r).toMatchObject({ agentId: 'a1', agentName: 'roof', ok: true, profileId: 'p', version: '1.0.0' });
    expect(r!.windows).toBe(3);
    expect(Date.parse(r!.horizon!)).toBeGreaterThan(NOON.getTime());
    expect(cam.bundles).toHaveLength(1);
    expect(svc.deploymentViews()).toEqual([expect.objectContaining({ agentId: 'a1', status: 'deployed', windows: 3 })]);
    expect(bed.assignments.assignmentFor('a1')?.profileId).toBe('p');
    expect(svc.decorate(bed.views[0]!)).toMatchObject({ deployedProfile: { profileId: 'p', version: '1.0.0' } });
    const preview = await svc.handlers.planPreview({ days: 1 });
    expect(preview[0]).toMatchObject({ agentId: 'a1', cameraId: 'roof', schedules: ['day'] });
    expect(preview[0]!.captures).toBeGreaterThan(0);
  });

  it('records a failed deployment with its error, and needs a location first', async () => {
    await setup();
    bed.clients.delete('a1');
    const [r] = await svc.handlers.deployProfile({ profileId: 'p', agentIds: ['a1'] });
    expect(r).toMatchObject({ ok: false, error: { code: 'agent_unknown' } });
    expect(svc.deploymentViews()[0]).toMatchObject({ status: 'failed' });
    bed.repo.setSetting('location', null);
    await expect(svc.handlers.deployProfile({ profileId: 'p', agentIds: ['a1'] })).rejects.toMatchObject({
      code: 'LOCATION_NOT_SET',
    });
  });

  it('redeploys a plan near its horizon, and alerts when the camera is offline', async () => {
    const cam = await setup({ redeployWithinMs: 10 * DAY_MS });
    await svc.handlers.deployProfile({ profileId: 'p', agentIds: ['a1'] });
    await svc.checkHorizons();
    expect(cam.bundles).toHaveLength(2);
    expect(svc.deploymentViews()[0]?.redeploys).toBe(1);
    const health = await svc.handlers.schedulerHealth({});
    expect(health.scheduler.lastCheckAt).toBe(NOON.toISOString());
    expect(health.scheduler.expiringSoon).toBe(1);
    bed.views[0] = { ...bed.views[0]!, state: 'offline' };
    await svc.checkHorizons();
    expect(cam.bundles).toHaveLength(2);
    expect(bed.alerts.list(10)).toEqual([expect.objectContaining({ code: 'plan_expiring', agentId: 'a1' })]);
  });

  it('runs its horizon timer between start and stop', async () => {
    await setup();
    svc.start();
    expect((await svc.handlers.schedulerHealth({})).scheduler.running).toBe(true);
    await svc.stop();
    expect((await svc.handlers.schedulerHealth({})).scheduler.running).toBe(false);
  });
});
