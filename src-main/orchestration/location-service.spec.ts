import { afterEach, describe, expect, it } from 'vitest';
import { DENVER, NOON, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';

let bed: OrchestrationBed;
afterEach(() => bed.close());

const daytime = {
  type: 'daytime',
  enabled: true,
  start_time: '07:30',
  end_time: '17:45',
  interval_seconds: 30,
} as const;

describe('LocationService', () => {
  it('has no location until one is set, then keeps it in the database', async () => {
    bed = orchestrationBed();
    const { places } = bed;
    expect(await places.handlers.getLocation({})).toBeNull();
    expect(() => places.requireLocation()).toThrow(expect.objectContaining({ code: 'LOCATION_NOT_SET' }) as Error);
    await places.handlers.setLocation(DENVER);
    expect(places.location()).toEqual(DENVER);
    expect(bed.repo.getSetting('location')).toEqual(DENVER);
  });

  it('creates, updates and deletes schedules, refusing duplicates, unknown names and ones in use', async () => {
    bed = orchestrationBed();
    const { places, repo } = bed;
    expect(await places.handlers.createSchedule({ name: 'day', schedule: daytime })).toEqual({
      name: 'day',
      schedule: daytime,
      usedBy: [],
    });
    expect(() => places.handlers.createSchedule({ name: 'day', schedule: daytime })).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_EXISTS' }) as Error,
    );
    expect(() => places.handlers.updateSchedule({ name: 'night', schedule: daytime })).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_NOT_FOUND' }) as Error,
    );
    const later = { ...daytime, interval_seconds: 60 };
    expect((await places.handlers.updateSchedule({ name: 'day', schedule: later })).schedule).toEqual(later);

    const cam = {
      cameraId: 'roof',
      agentId: 'a1',
      host: 'h',
      port: 1,
      site: null,
      profileId: null,
      schedules: ['day'],
    };
    repo.putAssignment(cam, NOON.toISOString());
    expect((await places.handlers.listSchedules({}))[0]?.usedBy).toEqual(['roof']);
    expect(() => places.handlers.deleteSchedule({ name: 'day', force: false })).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_IN_USE' }) as Error,
    );
    expect(await places.handlers.deleteSchedule({ name: 'day', force: true })).toEqual({ deleted: true });
    expect(repo.assignments()[0]?.schedules).toEqual([]);
    expect(places.schedules()).toEqual({});
  });

  it('skips a stored schedule that no longer parses', () => {
    bed = orchestrationBed();
    bed.repo.putSchedule('broken', { type: 'daytime', interval_seconds: -1 }, NOON.toISOString());
    expect(bed.places.schedules()).toEqual({});
  });
});
