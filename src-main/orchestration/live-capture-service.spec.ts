import { afterEach, describe, expect, it } from 'vitest';
import { agentView, DENVER, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';
import type { AgentClient } from '../agents/agent-client.js';
import type { CaptureRequest } from '../agents/protocol.js';
import { LiveCaptureService } from './live-capture-service.js';

let bed: OrchestrationBed;
afterEach(() => bed.close());

/** A camera whose meter suggests ISO 6400 at 1/100 s and that records the settings it was told to use. */
function camera(): { client: AgentClient; sent: CaptureRequest[] } {
  const sent: CaptureRequest[] = [];
  const client = {
    meter: () => Promise.resolve({ suggested_iso: 6400, suggested_shutter: '1/100', lux: 5 }),
    capture: (r: CaptureRequest) => {
      sent.push(r);
      return Promise.resolve({ capture_id: `c${sent.length}` });
    },
  } as unknown as AgentClient;
  return { client, sent };
}

describe('LiveCaptureService', () => {
  it('meters, keeps the assigned profile’s limits, captures, copies, and reports each camera', async () => {
    bed = orchestrationBed();
    const synced: string[] = [];
    const svc = new LiveCaptureService({ ...bed, syncAgent: (id) => (synced.push(id), Promise.resolve(1)) });
    const cam = camera();
    bed.views.push(agentView('a1', { name: 'roof' }), agentView('gone'));
    bed.clients.set('a1', cam.client);
    await bed.places.handlers.setLocation(DENVER);
    await bed.profiles.save({ profile_id: 'p', settings: { iso_max: 1600, max_step_ev: 2 } });
    await bed.assignments.handlers.assignSchedules({ agentId: 'a1', schedules: [], profileId: 'p' });

    const [ok, failed] = await svc.handlers.captureFleet({ agentIds: ['a1', 'gone', 'a1'], schedule: 'night' });
    // ISO capped at the profile's 1600; the exposure kept by a 4× longer shutter.
    expect(cam.sent).toEqual([{ iso: 1600, shutter_speed: '1/25', schedule: 'night', profile: 'p' }]);
    expect(ok).toMatchObject({
      agentId: 'a1',
      agentName: 'roof',
      ok: true,
      captureId: 'c1',
      galleryId: 'a1/c1',
      settings: { iso: 1600, shutter_speed: '1/25', lux: 5 },
    });
    expect(synced).toEqual(['a1']);
    expect(failed).toMatchObject({ agentId: 'gone', ok: false, error: { code: 'agent_unknown' } });
    expect(bed.alerts.list(10)).toEqual([expect.objectContaining({ code: 'capture_failed', agentId: 'gone' })]);
  });
});
