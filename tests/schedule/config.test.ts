import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeploymentBundle, ProfileSnapshot } from '../../src-main/agents/protocol.js';
import { MemoryProfileStore, ProfileLibrary } from '../../src-main/profiles/index.js';
import {
  buildDeploymentBundle,
  compilePlan,
  exportConfig,
  exportConfigJson,
  importConfig,
} from '../../src-main/schedule/index.js';
import { StationError } from '../../src-main/util/errors.js';

const seedText = readFileSync(new URL('./fixtures/seed-002-config.json', import.meta.url), 'utf8');
const seed = JSON.parse(seedText) as Record<string, unknown>;

function errorOf(input: unknown): StationError {
  try {
    importConfig(input);
  } catch (err) {
    if (err instanceof StationError) return err;
    throw err;
  }
  throw new Error('expected importConfig to throw');
}

const clone = (): {
  location: Record<string, unknown>;
  schedules: Record<string, Record<string, unknown>>;
  cameras: Record<string, Record<string, unknown>>;
} => JSON.parse(seedText) as ReturnType<typeof clone>;

describe('seed 002 config.json', () => {
  it('imports as-is and exports back unchanged (deep and textually)', () => {
    const config = importConfig(seed);
    expect(config.schedules['sunrise']?.type).toBe('sunrise');
    expect(config.schedules['daytime']?.type).toBe('daytime');
    expect(exportConfig(config)).toEqual(seed);
    expect(JSON.stringify(exportConfig(config))).toBe(JSON.stringify(seed));
    expect(importConfig(exportConfigJson(config))).toEqual(config);
  });

  it('keeps an explicit type when the name is not a kind', () => {
    const c = clone();
    c.schedules['dark_sky'] = { type: 'night', moon_down_only: true, interval_seconds: 30 };
    expect(exportConfig(importConfig(c))).toEqual(c);
  });

  it.each([
    [
      'schedules.sunrise.offset_minutes',
      (c: ReturnType<typeof clone>) => {
        c.schedules['sunrise']!['offset_minutes'] = 'soon';
      },
    ],
    [
      'schedules.daytime.start_time',
      (c: ReturnType<typeof clone>) => {
        c.schedules['daytime']!['start_time'] = '7.30';
      },
    ],
    [
      'location.latitude',
      (c: ReturnType<typeof clone>) => {
        c.location['latitude'] = 123;
      },
    ],
    [
      'location.timezone',
      (c: ReturnType<typeof clone>) => {
        c.location['timezone'] = 'Mars/Olympus';
      },
    ],
    [
      'cameras.mountain_view.port',
      (c: ReturnType<typeof clone>) => {
        c.cameras['mountain_view']!['port'] = 70000;
      },
    ],
    [
      'schedules.sunrise',
      (c: ReturnType<typeof clone>) => {
        c.schedules['sunrise']!['offset_minute'] = 5;
      },
    ],
    [
      'schedules.timelapse.type',
      (c: ReturnType<typeof clone>) => {
        c.schedules['timelapse'] = { interval_seconds: 5 };
      },
    ],
    [
      'cameras.mountain_view.schedules[1]',
      (c: ReturnType<typeof clone>) => {
        c.cameras['mountain_view']!['schedules'] = ['sunrise', 'moonlight'];
      },
    ],
  ])('an invalid config names the field %s', (field, mutate) => {
    const c = clone();
    mutate(c);
    const err = errorOf(c);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(`${field}:`);
  });

  it('rejects text that is not JSON with an operator message', () => {
    expect(errorOf('{"location":').message).toMatch(/not valid JSON/);
  });

  it('compiles the seed camera into a deployment bundle the agent accepts', async () => {
    const config = importConfig(seed);
    const camera = config.cameras['mountain_view']!;
    const library = new ProfileLibrary(new MemoryProfileStore(), () => new Date('2025-01-01T00:00:00Z'));
    await library.installPresets();
    await library.save(
      {
        profile_id: 'mountain_spot_winter_2025',
        extends: { profile_id: 'f' },
        settings: { adaptive_wb_curve: 'balanced', schedule_overrides: { sunrise: { ev_compensation: 0.9 } } },
      },
      { version: '1.0.0' },
    );
    const snapshot = await library.compile(camera.deployed_profile!, undefined, { schedules: config.schedules });
    expect(ProfileSnapshot.safeParse(snapshot).success).toBe(true);
    const plan = compilePlan({
      location: config.location,
      schedules: config.schedules,
      assigned: camera.schedules,
      from: new Date('2025-01-15T12:00:00Z'),
    });
    const bundle = buildDeploymentBundle(snapshot, plan);
    expect(DeploymentBundle.safeParse(bundle).success).toBe(true);
    expect(bundle.plan?.windows.length).toBeGreaterThan(80);
    expect(bundle.settings.base).toMatchObject({ metering_mode: 1, ev_compensation: 0.7, awb_mode: 1 });
    expect(bundle.settings.schedule_overrides).toEqual({ sunrise: { ev_compensation: 0.9 } });
    expect(bundle.settings.adaptive_wb?.lux_table.slice(0, 3)).toEqual([
      [10000, 5500],
      [8000, 5500],
      [6000, 5450],
    ]);
  });
});
