/**
 * Where the station is and its named schedules (seed 002's location and
 * schedule definitions), kept in the gallery database.
 */
import type { ScheduleView } from '../api/orchestration.js';
import type { OrchestrationRepo } from '../db/orchestration-repo.js';
import { Location } from '../schedule/location.js';
import { Schedule } from '../schedule/schedules.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { clock, type OrchHandlers } from './common.js';

type LocationMethods =
  'getLocation' | 'setLocation' | 'listSchedules' | 'createSchedule' | 'updateSchedule' | 'deleteSchedule';

export class LocationService {
  readonly name = 'location';
  private readonly now: () => Date;

  constructor(private readonly deps: { repo: OrchestrationRepo; log: Logger; now?: (() => Date) | undefined }) {
    this.now = clock(deps.now);
  }

  location(): Location | null {
    const r = Location.safeParse(this.deps.repo.getSetting('location'));
    return r.success ? r.data : null;
  }

  requireLocation(): Location {
    const loc = this.location();
    if (!loc) {
      throw new StationError(
        'LOCATION_NOT_SET',
        'The station has no location yet; set latitude, longitude and time zone first (skystation location set LAT LON ZONE).',
      );
    }
    return loc;
  }

  schedules(): Record<string, Schedule> {
    const out: Record<string, Schedule> = {};
    for (const { name, definition } of this.deps.repo.schedules()) {
      const r = Schedule.safeParse(definition);
      if (r.success) out[name] = r.data;
      else this.deps.log.error({ schedule: name }, 'stored schedule is invalid; ignoring it');
    }
    return out;
  }

  private scheduleViews(): ScheduleView[] {
    const assignments = this.deps.repo.assignments();
    return Object.entries(this.schedules()).map(([name, schedule]) => ({
      name,
      schedule,
      usedBy: assignments.filter((a) => a.schedules.includes(name)).map((a) => a.cameraId),
    }));
  }

  readonly handlers: OrchHandlers<LocationMethods> = {
    getLocation: () => Promise.resolve(this.location()),
    setLocation: (p) => {
      this.deps.repo.setSetting('location', p);
      return Promise.resolve(p);
    },
    listSchedules: () => Promise.resolve(this.scheduleViews()),
    createSchedule: (p) => {
      if (p.name in this.schedules()) {
        throw new StationError('SCHEDULE_EXISTS', `A schedule named "${p.name}" exists already; update it instead.`);
      }
      this.deps.repo.putSchedule(p.name, p.schedule, this.now().toISOString());
      return Promise.resolve(this.scheduleViews().find((s) => s.name === p.name)!);
    },
    updateSchedule: (p) => {
      if (!(p.name in this.schedules())) {
        throw new StationError('SCHEDULE_NOT_FOUND', `There is no schedule named "${p.name}".`);
      }
      this.deps.repo.putSchedule(p.name, p.schedule, this.now().toISOString());
      return Promise.resolve(this.scheduleViews().find((s) => s.name === p.name)!);
    },
    deleteSchedule: (p) => {
      const users = this.deps.repo.assignments().filter((a) => a.schedules.includes(p.name));
      if (users.length > 0 && !p.force) {
        throw new StationError(
          'SCHEDULE_IN_USE',
          `Schedule "${p.name}" is used by ${users.map((u) => u.cameraId).join(', ')}; remove it from those cameras first or delete with force.`,
        );
      }
      const now = this.now().toISOString();
      for (const u of users)
        this.deps.repo.putAssignment({ ...u, schedules: u.schedules.filter((s) => s !== p.name) }, now);
      return Promise.resolve({ deleted: this.deps.repo.deleteSchedule(p.name) });
    },
  };
}
