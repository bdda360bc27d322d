/**
 * The profile editor's methods on a real profile library (presets A–F):
 * checks in an operator's words, a save that clears an override, a custom
 * white-balance curve reaching the agent's lux_table, a readable diff, and
 * the ramp over a simulated sunset from the agent's own engine.
 */
import { Body, Observer, SearchRiseSet } from 'astronomy-engine';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Location } from '../schedule/location.js';
import { profileHandlers, type ProfileHandlers } from './api-handlers.js';
import { profileMethods } from './api-types.js';
import { MemoryProfileStore, ProfileLibrary } from './store.js';

const DENVER: Location = { latitude: 39.61, longitude: -105.31, timezone: 'America/Denver' };
const TROMSO: Location = { latitude: 69.65, longitude: 18.96, timezone: 'Europe/Oslo' };

let profiles: ProfileLibrary;
let h: ProfileHandlers;
let place: Location | null;

/** Params as the API boundary hands them over (defaults applied). */
const ramp = (p: Record<string, unknown>) => h.simulateProfileRamp(profileMethods.simulateProfileRamp.params.parse(p));

beforeEach(async () => {
  profiles = new ProfileLibrary(new MemoryProfileStore(), () => new Date('2025-03-20T12:00:00Z'));
  await profiles.installPresets();
  await profiles.save({ profile_id: 'ridge', extends: { profile_id: 'a' }, settings: { ev_compensation: 1 } });
  place = DENVER;
  h = profileHandlers({
    profiles,
    location: () => Promise.resolve(place),
    now: () => new Date('2025-03-20T12:00:00Z'),
  });
});

describe('profile editor', () => {
  it('shows own, inherited (the parent) and effective values', async () => {
    const e = await h.profileEditor({ profileId: 'ridge' });
    expect(e.own).toEqual({ ev_compensation: 1 });
    expect(e.inherited).toMatchObject({ ev_compensation: 0.3, iso_max: 1600 });
    expect(e.effective).toMatchObject({ ev_compensation: 1, iso_max: 1600 });
    expect(e.inheritedFrom).toBe('A: Center-weighted auto 1.0.0');
    expect(e.curves['balanced']?.[0]).toEqual([10000, 5500]);
    const preset = await h.profileEditor({ profileId: 'b' });
    expect(preset.inheritedFrom).toBe('station defaults');
  });

  it('explains bad settings field by field and saves nothing', async () => {
    const r = await h.checkProfileSettings({
      profileId: 'ridge',
      settings: { iso_max: 'lots', shutter_max: '20 minutes', ev_compensation: 12, colour: 1 },
    });
    expect(r.ok).toBe(false);
    const by = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
    expect(by['iso_max']).toBe('ISO max: must be a number.');
    expect(by['shutter_max']).toBe('Shutter max: write a shutter time like 1/500 or 2.5 (seconds, at most 3600).');
    expect(by['ev_compensation']).toBe('Exposure compensation: must be at most 8 EV.');
    expect(by['colour']).toBe('colour is not a profile setting.');
    // One message per field, though a shutter's pattern and its range both fail.
    expect(r.errors.length).toBe(4);

    // Against the inherited ISO max of 1600.
    const range = await h.checkProfileSettings({ profileId: 'ridge', settings: { iso_min: 3200 } });
    expect(range.errors).toEqual([
      { field: 'iso_min', message: 'ISO min (3200) is above ISO max (1600); lower ISO min or raise ISO max.' },
    ]);
    const curve = await h.checkProfileSettings({
      profileId: 'ridge',
      settings: {
        adaptive_wb_curve: [
          [1000, 5000],
          [10, 99999],
        ],
      },
    });
    expect(curve.errors.map((e) => e.message)).toEqual(['White balance curve: point 2: kelvin is 1500 to 15000.']);

    const before = (await profiles.history('ridge')).length;
    const refused = h.saveProfileSettings({ profileId: 'ridge', settings: { iso_min: 3200 } });
    await expect(refused).rejects.toMatchObject({ code: 'PROFILE_SETTINGS_INVALID' });
    await expect(refused).rejects.toThrow(/ISO min \(3200\) is above ISO max/);
    expect((await profiles.history('ridge')).length).toBe(before);
  });

  it('saves exactly the own settings: a field left out inherits again; the diff reads in words', async () => {
    const saved = await h.saveProfileSettings({
      profileId: 'ridge',
      settings: { shutter_max: '30', strategies: { golden_hour: true } },
      baseVersion: '1.0.0',
    });
    expect(saved.version).toBe('1.1.0');
    const e = await h.profileEditor({ profileId: 'ridge' });
    expect(e.own).toEqual({ shutter_max: '30', strategies: { golden_hour: true } });
    expect(e.effective).toMatchObject({ ev_compensation: 0.3, shutter_max: '30' });
    const diff = await h.describeProfileDiff({ profileId: 'ridge', from: '1.0.0', to: '1.1.0' });
    expect(diff.map((d) => d.text)).toEqual([
      'Exposure compensation +1 EV → +0.3 EV',
      'Shutter max 20 s → 30 s',
      'Golden hour not set → On',
    ]);
    // A save on top of a version someone else replaced is refused.
    await expect(
      h.saveProfileSettings({ profileId: 'ridge', settings: {}, baseVersion: '1.0.0' }),
    ).rejects.toMatchObject({ code: 'PROFILE_CHANGED' });
  });

  it("compiles an operator's own white-balance curve into the agent's lux_table", async () => {
    const points: Array<[number, number]> = [
      [5, 3600],
      [20000, 5600],
      [800, 4300],
    ];
    await h.saveProfileSettings({ profileId: 'ridge', settings: { adaptive_wb_curve: points } });
    const snapshot = await profiles.compile('ridge');
    expect(snapshot.settings.adaptive_wb?.lux_table).toEqual([
      [20000, 5600],
      [800, 4300],
      [5, 3600],
    ]);
    const diff = await h.describeProfileDiff({ profileId: 'ridge', from: '1.0.0', to: '1.1.0' });
    expect(diff.map((d) => d.text)).toContain('Light → white balance curve None → Custom curve (3 points)');
  });
});

describe('exposure ramp over a simulated sunset', () => {
  it('centres on the sunset astronomy-engine gives and never steps more than max_step_ev', async () => {
    const r = await ramp({ profileId: 'ridge', date: '2025-03-20', minutes: 120, intervalSeconds: 30 });
    const sunset = SearchRiseSet(
      Body.Sun,
      new Observer(DENVER.latitude, DENVER.longitude, 0),
      -1,
      new Date('2025-03-20T06:00:00Z'),
      1,
    )!;
    expect(Math.abs(Date.parse(r.eventTime) - sunset.date.getTime())).toBeLessThan(1000);
    expect(r.locationSource).toBe('station');
    expect(r.frames.length).toBe(241);
    expect(r.maxStepEv).toBeCloseTo(1 / 3, 6);
    expect(r.largestStepEv).toBeLessThanOrEqual(1 / 3 + 1e-9);
    const first = r.frames[0]!;
    const last = r.frames[r.frames.length - 1]!;
    // Daylight at a fast shutter, dusk at a long one; the light falls all along.
    expect(first.sunDeg).toBeGreaterThan(0);
    expect(last.sunDeg).toBeLessThan(-6);
    expect(last.targetEv).toBeLessThan(first.targetEv - 8);
    expect(last.shutterSeconds).toBeGreaterThan(first.shutterSeconds * 100);
    // A 30 s interval leaves room for at most the profile's 20 s shutter.
    expect(Math.max(...r.frames.map((f) => f.shutterSeconds))).toBeLessThanOrEqual(20);
    expect(r.frames.every((f) => f.kelvin === null)).toBe(true);
  });

  it('previews unsaved settings: a smaller step lags the light, a curve gives kelvin per frame', async () => {
    const fast = await ramp({ profileId: 'ridge', date: '2025-03-20', settings: { max_step_ev: 2 } });
    const slow = await ramp({
      profileId: 'ridge',
      date: '2025-03-20',
      settings: { max_step_ev: 0.05, adaptive_wb_curve: 'warm' },
    });
    expect(slow.largestStepEv).toBeLessThanOrEqual(0.05 + 1e-9);
    const lag = (r: typeof fast) => Math.max(...r.frames.map((f) => Math.abs(f.ev - f.targetEv)));
    expect(lag(slow)).toBeGreaterThan(lag(fast));
    expect(slow.frames.every((f) => f.kelvin !== null && f.kelvin >= 5600 && f.kelvin <= 6500)).toBe(true);
    // Nothing was saved by previewing.
    expect((await profiles.history('ridge')).length).toBe(1);
    // A schedule's own limits: the night window may go to ISO 6400, the profile stays at 1600.
    const night = { schedule_overrides: { night: { iso_max: 6400 } } };
    const base = await ramp({ profileId: 'ridge', date: '2025-03-20', settings: night });
    const inNight = await ramp({ profileId: 'ridge', date: '2025-03-20', settings: night, schedule: 'night' });
    expect(Math.max(...base.frames.map((f) => f.iso))).toBe(1600);
    expect(Math.max(...inNight.frames.map((f) => f.iso))).toBeGreaterThan(1600);
    expect(inNight.schedule).toBe('night');
    await expect(ramp({ profileId: 'ridge', settings: { iso_max: -1 } })).rejects.toMatchObject({
      code: 'PROFILE_SETTINGS_INVALID',
    });
  });

  it("uses seed 002's site without a station location, and says when the sun does not set", async () => {
    place = null;
    const r = await ramp({ profileId: 'a', date: '2025-03-20' });
    expect(r.locationSource).toBe('default');
    expect(r.timezone).toBe('America/Denver');
    place = TROMSO;
    const polar = ramp({ profileId: 'a', date: '2025-06-21' });
    await expect(polar).rejects.toMatchObject({ code: 'NO_SUN_EVENT' });
    await expect(polar).rejects.toThrow(/does not set .* on 2025-06-21 \(polar day or night\)/);
  });
});
