import { describe, expect, it } from 'vitest';
import { Schedule } from '../../../src-main/schedule/schedules';
import { buildSchedule, describeSchedule, emptyFields, fieldsOf, KINDS, type ScheduleFields } from './schedule-form';

const form = (over: Partial<ScheduleFields>): ScheduleFields => ({
  ...emptyFields(over.kind),
  name: 'evening',
  ...over,
});

describe('schedule form', () => {
  it('builds a schedule the station accepts for every kind, and reads it back unchanged', () => {
    for (const { kind } of KINDS) {
      const r = buildSchedule(
        form({ kind, maxMoon: kind === 'night' ? '40' : '', minMoon: kind === 'moon' ? '25' : '' }),
      );
      if (!r.ok) throw new Error(`${kind}: ${JSON.stringify(r.errors)}`);
      expect(Schedule.safeParse(r.schedule).success, kind).toBe(true);
      const again = buildSchedule(fieldsOf(r.name, r.schedule));
      expect(again).toEqual(r);
    }
  });

  it("refuses bad input in an operator's words, one message per field", () => {
    const r = buildSchedule(form({ name: 'my evening', interval: '0.5', offset: 'soon', duration: '2000' }), []);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.name).toMatch(/no spaces/);
    expect(r.errors.interval).toMatch(/whole seconds/);
    expect(r.errors.offset).toMatch(/minutes from sunset/);
    expect(r.errors.duration).toMatch(/1 minute to 24 hours/);
    const clash = buildSchedule(form({ name: 'evening' }), ['evening']);
    expect(clash.ok === false && clash.errors.name).toMatch(/already a schedule called "evening"/);
    const clock = buildSchedule(form({ kind: 'daytime', start: '7:30', end: '25:00' }));
    expect(clock.ok === false && clock.errors.start).toMatch(/24-hour time, like 07:30/);
    expect(clock.ok === false && clock.errors.end).toMatch(/24-hour time/);
    const moon = buildSchedule(form({ kind: 'night', maxMoon: '150' }));
    expect(moon.ok === false && moon.errors.maxMoon).toMatch(/percentage from 0 to 100/);
  });

  it('keeps the explicit windows of a custom schedule it cannot edit', () => {
    const windows = [{ start: '2025-06-21T20:00:00-06:00', end: '2025-06-21T22:00:00-06:00' }];
    const r = buildSchedule(form({ kind: 'custom', interval: '10' }), [], windows);
    expect(r).toEqual({ ok: true, name: 'evening', schedule: { type: 'custom', windows, interval_seconds: 10 } });
  });

  it('describes schedules in a sentence', () => {
    expect(describeSchedule({ type: 'sunset', offset_minutes: -30, duration_minutes: 60, interval_seconds: 15 })).toBe(
      'From 30 min before sunset for 60 min, every 15 s.',
    );
    expect(describeSchedule({ type: 'night', moon_down_only: true, interval_seconds: 300, enabled: false })).toBe(
      'Dusk to dawn (astronomical twilight), only while the moon is down, every 5 min (paused).',
    );
  });
});
