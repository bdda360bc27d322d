import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileSnapshot } from '../agents/protocol.js';
import { StationError } from '../util/errors.js';
import {
  applyStrategy,
  chooseStrategy,
  compileProfile,
  DEFAULT_SETTINGS,
  JsonFileProfileStore,
  MemoryProfileStore,
  PRESETS,
  ProfileLibrary,
  resolveProfile,
} from './index.js';
import type { WeatherObservation } from '../weather/index.js';

const clock = () => new Date('2025-03-01T12:00:00Z');
const lib = async (): Promise<ProfileLibrary> => {
  const l = new ProfileLibrary(new MemoryProfileStore(), clock);
  await l.installPresets();
  return l;
};

describe('presets A–F', () => {
  it('all compile to snapshots that parse with the agent ProfileSnapshot schema', async () => {
    const l = await lib();
    expect(PRESETS.map((p) => p.profile_id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const p of PRESETS) {
      const snap = await l.compile(p.profile_id);
      expect(ProfileSnapshot.parse(snap)).toEqual(snap);
      expect(snap.version).toBe('1.0.0');
    }
    const f = await l.compile('f');
    expect(f.settings.base).toMatchObject({ metering_mode: 1, ev_compensation: 0.7, awb_mode: 1 });
    expect(f.settings.adaptive_wb).toBeUndefined();
    expect((await l.compile('c')).settings.adaptive_wb?.lux_table.length).toBeGreaterThan(5);
  });
});

describe('versions, inheritance, diff, rollback', () => {
  it('a child extends its parent: own fields win, overrides merge per field', async () => {
    const l = await lib();
    await l.save({
      profile_id: 'winter',
      extends: { profile_id: 'f' },
      settings: { iso_max: 800, schedule_overrides: { sunrise: { ev_compensation: 0.9 } } },
    });
    const r = await l.resolve('winter');
    expect(r.settings).toMatchObject({
      metering_mode: 1,
      ev_compensation: 0.7,
      awb_mode: 1,
      iso_max: 800,
      iso_min: DEFAULT_SETTINGS.iso_min,
    });
    expect(r.lineage).toEqual(['f@1.0.0']);
    await l.save({ profile_id: 'f', settings: { ...PRESETS[5]!.settings, ev_compensation: 1 } }); // f 1.1.0
    expect((await l.resolve('winter')).settings.ev_compensation).toBe(1); // unpinned parent: latest
    await l.save({ profile_id: 'pinned', extends: { profile_id: 'f', version: '1.0.0' }, settings: {} });
    expect((await l.resolve('pinned')).settings.ev_compensation).toBe(0.7);
  });

  it('saves create versions; diff lists changed fields; rollback creates a new version equal to the old one', async () => {
    const l = await lib();
    const v1 = await l.save({ profile_id: 'm', extends: { profile_id: 'e' }, settings: { ev_compensation: 0.3 } });
    const v2 = await l.save({
      profile_id: 'm',
      extends: { profile_id: 'e' },
      settings: { ev_compensation: 0.5, adaptive_wb_curve: 'warm' },
    });
    const v3 = await l.save(
      { profile_id: 'm', extends: { profile_id: 'e' }, settings: { ev_compensation: 0.5 } },
      { bump: 'major' },
    );
    expect([v1.version, v2.version, v3.version]).toEqual(['1.0.0', '1.1.0', '2.0.0']);
    expect(await l.diff('m', '1.0.0', '1.1.0')).toEqual([
      { field: 'settings.adaptive_wb_curve', from: 'balanced', to: 'warm' },
      { field: 'settings.ev_compensation', from: 0.3, to: 0.5 },
    ]);
    expect(await l.diff('m', '1.1.0', '1.1.0')).toEqual([]);
    const back = await l.rollback('m', '1.0.0');
    expect(back.version).toBe('2.0.1');
    expect(back.note).toBe('rollback to 1.0.0');
    expect((await l.history('m')).map((v) => v.version)).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.0.1']);
    expect(await l.diff('m', '1.0.0', '2.0.1')).toEqual([]);
    expect((await l.compile('m')).settings.base.ev_compensation).toBe(0.3);
  });

  it('refuses a lower version, a missing parent and a cycle, with StationError codes', async () => {
    const l = await lib();
    await expect(l.save({ profile_id: 'a', settings: {} }, { version: '0.9.0' })).rejects.toMatchObject({
      code: 'PROFILE_VERSION_EXISTS',
    });
    await expect(l.save({ profile_id: 'x', extends: { profile_id: 'nope' }, settings: {} })).rejects.toMatchObject({
      code: 'PROFILE_PARENT_MISSING',
    });
    await expect(l.get('zzz')).rejects.toBeInstanceOf(StationError);
    const lookup = (id: string) =>
      id === 'p'
        ? {
            profile_id: 'p',
            version: '1.0.0',
            created_at: '2025-01-01T00:00:00Z',
            extends: { profile_id: 'q' },
            settings: {},
          }
        : {
            profile_id: 'q',
            version: '1.0.0',
            created_at: '2025-01-01T00:00:00Z',
            extends: { profile_id: 'p' },
            settings: {},
          };
    expect(() => resolveProfile(lookup('p'), lookup)).toThrow(/inherits from itself/);
  });

  it('persists through the JSON file store and reloads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'profiles-'));
    try {
      const path = join(dir, 'profiles.json');
      const a = new ProfileLibrary(new JsonFileProfileStore(path), clock);
      await a.installPresets();
      await a.save({ profile_id: 'w', extends: { profile_id: 'f' }, settings: { iso_max: 400 } });
      const b = new ProfileLibrary(new JsonFileProfileStore(path), clock);
      expect((await b.resolve('w')).settings.iso_max).toBe(400);
      expect(await b.list()).toContain('w');
      await writeFile(path, '{"format":1,"profiles":', 'utf8');
      await expect(new ProfileLibrary(new JsonFileProfileStore(path)).list()).rejects.toMatchObject({
        code: 'PROFILE_STORE_CORRUPT',
      });
      expect(await readFile(path, 'utf8')).toBe('{"format":1,"profiles":'); // never overwritten on failure
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('adaptive strategies (seed 001)', () => {
  const weather = (over: Partial<WeatherObservation>): WeatherObservation => ({
    observed_at: '2025-06-21T01:00:00Z',
    condition: 'clear',
    cloud_cover_percent: 10,
    precipitation_mm_h: 0,
    wind_speed_m_s: 2,
    visibility_m: 20000,
    source: 'test',
    ...over,
  });

  it('chooses from the sun alone when there is no weather', () => {
    expect(chooseStrategy({ sunAltitudeDeg: 3 })).toBe('golden_hour');
    expect(chooseStrategy({ sunAltitudeDeg: -5 })).toBe('blue_hour');
    expect(chooseStrategy({ sunAltitudeDeg: 30, weather: null })).toBeNull();
    expect(chooseStrategy({ sunAltitudeDeg: 3 }, { blue_hour: true })).toBeNull();
  });

  it('weather: stormy beats everything, full overcast beats golden hour', () => {
    expect(chooseStrategy({ sunAltitudeDeg: 3, weather: weather({ condition: 'thunderstorm' }) })).toBe('stormy');
    expect(chooseStrategy({ sunAltitudeDeg: 40, weather: weather({ wind_speed_m_s: 15 }) })).toBe('stormy');
    expect(
      chooseStrategy({ sunAltitudeDeg: 3, weather: weather({ condition: 'cloudy', cloud_cover_percent: 95 }) }),
    ).toBe('overcast');
    expect(chooseStrategy({ sunAltitudeDeg: 40, weather: weather({ cloud_cover_percent: 82 }) })).toBe('overcast');
    expect(chooseStrategy({ sunAltitudeDeg: 40, weather: weather({}) })).toBeNull();
  });

  it('adjusts base settings and compiles golden/blue hour schedule overrides when the rule is on', () => {
    const base = {
      metering_mode: 1,
      ev_compensation: 0.7,
      awb_mode: 0,
      iso_min: 100,
      iso_max: 3200,
      shutter_min: '1/8000',
      shutter_max: '2',
    };
    expect(applyStrategy(base, 'stormy')).toMatchObject({ ev_compensation: 0, metering_mode: 2, shutter_max: '1/125' });
    expect(applyStrategy(base, 'blue_hour')).toMatchObject({ ev_compensation: 1, iso_max: 800, shutter_max: '4' });
    const resolved = {
      profile_id: 'g',
      version: '1.0.0',
      name: 'g',
      lineage: [],
      settings: { ...DEFAULT_SETTINGS, strategies: { golden_hour: true } },
    };
    const snap = compileProfile(resolved, {
      schedules: {
        golden: { type: 'golden_hour', interval_seconds: 10 },
        blue: { type: 'blue_hour', interval_seconds: 10 },
      },
    });
    expect(ProfileSnapshot.safeParse(snap).success).toBe(true);
    expect(snap.settings.schedule_overrides).toEqual({ golden: { ev_compensation: -0.3, awb_mode: 1 } });
  });
});

describe('exposure ramp setting (max_step_ev)', () => {
  it('defaults to 1/3 stop, is inherited and overridden, and travels in the compiled snapshot', async () => {
    const l = await lib();
    expect((await l.compile('a')).settings.ramp).toEqual({ max_step_ev: 1 / 3 });
    await l.save({ profile_id: 'smooth', extends: { profile_id: 'a' }, settings: { max_step_ev: 0.1 } });
    await l.save({ profile_id: 'child', extends: { profile_id: 'smooth' }, settings: { iso_max: 800 } });
    const snap = await l.compile('child');
    expect(snap.settings.ramp).toEqual({ max_step_ev: 0.1 });
    expect(ProfileSnapshot.parse(snap)).toEqual(snap);
  });

  it('rejects a step outside 0.05–2 stops, naming the field', async () => {
    const l = await lib();
    for (const bad of [0, 0.01, 2.5, -1]) {
      await expect(l.save({ profile_id: 'bad', settings: { max_step_ev: bad } })).rejects.toThrow(/max_step_ev/);
    }
    expect(
      ProfileSnapshot.safeParse({ profile_id: 'x', version: '1.0.0', settings: { base: {}, ramp: { max_step_ev: 3 } } })
        .success,
    ).toBe(false);
    expect(
      ProfileSnapshot.safeParse({ profile_id: 'x', version: '1.0.0', settings: { base: {}, ramp: { max: 1 } } })
        .success,
    ).toBe(false);
  });
});
