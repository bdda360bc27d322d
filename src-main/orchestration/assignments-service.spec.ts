import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../tests/helpers/processes.js';
import { agentView, DENVER, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';

let bed: OrchestrationBed;
afterEach(() => bed.close());

const daytime = {
  type: 'daytime',
  enabled: true,
  start_time: '07:30',
  end_time: '17:45',
  interval_seconds: 30,
} as const;

describe('AssignmentsService', () => {
  it('assigns known schedules to a camera under its name, refusing unknown schedules and profiles', async () => {
    bed = orchestrationBed();
    const { assignments, places } = bed;
    bed.views.push(agentView('a1', { name: 'roof' }));
    await places.handlers.createSchedule({ name: 'day', schedule: daytime });
    await expect(assignments.handlers.assignSchedules({ agentId: 'a1', schedules: ['night'] })).rejects.toMatchObject({
      code: 'SCHEDULE_UNKNOWN',
    });
    await expect(
      assignments.handlers.assignSchedules({ agentId: 'a1', schedules: ['day'], profileId: 'nope' }),
    ).rejects.toThrow();
    await expect(assignments.handlers.assignSchedules({ agentId: 'zz', schedules: [] })).rejects.toMatchObject({
      code: 'agent_unknown',
    });
    const v = await assignments.handlers.assignSchedules({ agentId: 'a1', schedules: ['day', 'day'] });
    expect(v).toMatchObject({ cameraId: 'roof', agentId: 'a1', schedules: ['day'], profileId: null });
    expect(assignments.assignmentFor('a1')?.cameraId).toBe('roof');
  });

  it('imports seed 002 config.json, matches cameras by address, and exports it back', async () => {
    bed = orchestrationBed();
    const { assignments } = bed;
    bed.views.push(agentView('a9', { host: '192.168.0.124', port: 8080 }));
    const text = readFileSync(join(ROOT, 'tests/schedule/fixtures/seed-002-config.json'), 'utf8');
    expect(await assignments.handlers.importConfig({ config: text })).toEqual({
      schedules: 3,
      cameras: 1,
      matched: ['mountain_view'],
      unmatched: [],
    });
    expect(bed.places.location()).toMatchObject(DENVER);
    expect(assignments.assignmentFor('a9')?.schedules).toEqual(['sunrise', 'daytime', 'sunset']);
    // An assignment stored without the agent's id still finds it by address.
    const [row] = bed.repo.assignments();
    expect(assignments.agentOf({ ...row!, agentId: null })?.id).toBe('a9');
    expect((await assignments.handlers.exportConfig({})).config).toEqual(JSON.parse(text));
  });
});
