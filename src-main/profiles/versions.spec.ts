/**
 * Issue #15: a new profile version is the previous version with the edited
 * fields changed, never the parent with only the edited fields. Through the
 * library and through the station API (a real brain, real SQLite, no agent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../brain/index.js';
import { MemoryProfileStore, ProfileLibrary } from './index.js';
import { applyEdits } from './definition.js';

describe('applyEdits', () => {
  it('keeps every earlier field, replaces scalars, merges schedule overrides per field and strategies per rule', () => {
    expect(
      applyEdits(
        {
          ev_compensation: 1,
          iso_max: 1600,
          schedule_overrides: { night: { iso_max: 3200, shutter_max: '20' } },
          strategies: { golden_hour: true },
        },
        { iso_max: 800, schedule_overrides: { night: { iso_max: 6400 } }, strategies: { stormy: true } },
      ),
    ).toEqual({
      ev_compensation: 1,
      iso_max: 800,
      schedule_overrides: { night: { iso_max: 6400, shutter_max: '20' } },
      strategies: { golden_hour: true, stormy: true },
    });
    expect(applyEdits({ ev_compensation: 1 }, {})).toEqual({ ev_compensation: 1 });
  });
});

describe('ProfileLibrary versions keep earlier changes', () => {
  it('ridge_winter: EV +1 survives an iso_max edit, and iso_max survives a ramp edit; rollback restores exactly', async () => {
    const l = new ProfileLibrary(new MemoryProfileStore(), () => new Date('2026-01-01T00:00:00Z'));
    await l.installPresets();
    await l.save({ profile_id: 'ridge_winter', extends: { profile_id: 'a' }, settings: { ev_compensation: 1 } });
    expect((await l.resolve('ridge_winter')).settings.ev_compensation).toBe(1);
    await l.save({ profile_id: 'ridge_winter', settings: { iso_max: 800 } });
    const v11 = await l.resolve('ridge_winter', '1.1.0');
    expect(v11.settings).toMatchObject({ ev_compensation: 1, iso_max: 800 });
    expect(v11.lineage).toEqual(['a@1.0.0']); // the parent is kept too
    await l.save({ profile_id: 'ridge_winter', settings: { max_step_ev: 0.25 } });
    const v12 = await l.resolve('ridge_winter', '1.2.0');
    expect(v12.settings).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.25 });
    const back = await l.rollback('ridge_winter', '1.0.0');
    expect((await l.resolve('ridge_winter', back.version)).settings).toMatchObject({
      ev_compensation: 1,
      iso_max: 1600,
      max_step_ev: 1 / 3,
    });
  });

  it("a derived profile without a name of its own is called by its id, not its parent's name", async () => {
    const l = new ProfileLibrary(new MemoryProfileStore());
    await l.installPresets();
    await l.save({ profile_id: 'ridge', extends: { profile_id: 'f' }, settings: {} });
    expect((await l.resolve('ridge')).name).toBe('ridge');
    await l.save({ profile_id: 'named', name: 'Ridge at night', extends: { profile_id: 'f' }, settings: {} });
    await l.save({ profile_id: 'named', settings: { iso_max: 400 } });
    expect((await l.resolve('named')).name).toBe('Ridge at night');
  });
});

describe('station API: saveProfileVersion keeps earlier changes', () => {
  let dir: string;
  let station: Station;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-profile-versions-'));
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
  });
  afterAll(async () => {
    await station?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the issue #15 case, with the compiled snapshot the agent would receive', async () => {
    await station.call('extendProfile', {
      draft: { profile_id: 'ridge_winter', settings: { ev_compensation: 1 } },
      parent: { profile_id: 'a' },
    });
    const v11 = await station.call('saveProfileVersion', { profileId: 'ridge_winter', settings: { iso_max: 800 } });
    expect(v11.version).toBe('1.1.0');
    let detail = await station.call('getProfile', { profileId: 'ridge_winter', version: '1.1.0' });
    expect(detail.resolved.settings).toMatchObject({ ev_compensation: 1, iso_max: 800 });
    const v12 = await station.call('saveProfileVersion', {
      profileId: 'ridge_winter',
      settings: { max_step_ev: 0.5 },
    });
    expect(v12.version).toBe('1.2.0');
    detail = await station.call('getProfile', { profileId: 'ridge_winter' });
    expect(detail.resolved.settings).toMatchObject({ ev_compensation: 1, iso_max: 800, max_step_ev: 0.5 });
    expect(detail.resolved.name).toBe('ridge_winter');
    const snap = detail.snapshot as { settings: { base: Record<string, unknown>; ramp: { max_step_ev: number } } };
    expect(snap.settings.base).toMatchObject({ ev_compensation: 1, iso_max: 800 });
    expect(snap.settings.ramp.max_step_ev).toBe(0.5);
    expect(await station.call('diffProfile', { profileId: 'ridge_winter', from: '1.1.0', to: '1.2.0' })).toEqual([
      { field: 'settings.max_step_ev', from: 1 / 3, to: 0.5 },
    ]);
    const listed = (await station.call('listProfiles')).find((p) => p.profileId === 'ridge_winter');
    expect(listed).toMatchObject({ name: 'ridge_winter', latest: '1.2.0', extends: 'a' });
  });
});
