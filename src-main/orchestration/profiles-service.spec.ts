import { describe, expect, it } from 'vitest';
import { MemoryProfileStore, ProfileLibrary } from '../profiles/store.js';
import { ProfilesService } from './profiles-service.js';

function service(): ProfilesService {
  return new ProfilesService({ profiles: new ProfileLibrary(new MemoryProfileStore()) });
}

describe('ProfilesService', () => {
  it('creates a profile, refuses a second of the same id and settings that do not parse, naming the field', async () => {
    const { handlers } = service();
    const v = await handlers.createProfile({
      draft: { profile_id: 'night', settings: { iso_max: 3200 } },
      note: 'first',
    });
    expect(v).toMatchObject({ profile_id: 'night', version: '1.0.0' });
    await expect(handlers.createProfile({ draft: { profile_id: 'night', settings: {} } })).rejects.toMatchObject({
      code: 'PROFILE_EXISTS',
    });
    await expect(
      handlers.createProfile({ draft: { profile_id: 'bad', settings: { iso_max: 'lots' } } }),
    ).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/^draft\.settings\.iso_max: /) as string,
    });
  });

  it('extends, versions, lists, diffs and rolls back', async () => {
    const { handlers } = service();
    await handlers.createProfile({ draft: { profile_id: 'base', settings: { iso_max: 1600 } } });
    await handlers.extendProfile({
      draft: { profile_id: 'winter', settings: { ev_compensation: 1 } },
      parent: { profile_id: 'base' },
    });
    const v2 = await handlers.saveProfileVersion({
      profileId: 'winter',
      settings: { ev_compensation: 2 },
      bump: 'minor',
    });
    expect(v2.version).toBe('1.1.0');
    const got = await handlers.getProfile({ profileId: 'winter' });
    expect(got.resolved.settings).toMatchObject({ iso_max: 1600, ev_compensation: 2 });
    expect(got.history.map((h) => h.version)).toEqual(['1.0.0', '1.1.0']);
    const list = await handlers.listProfiles({});
    expect(list.find((p) => p.profileId === 'winter')).toMatchObject({ latest: '1.1.0', versions: 2, extends: 'base' });
    expect(await handlers.diffProfile({ profileId: 'winter', from: '1.0.0', to: '1.1.0' })).toBeTruthy();
    const back = await handlers.rollbackProfile({ profileId: 'winter', toVersion: '1.0.0' });
    expect((await handlers.getProfile({ profileId: 'winter', version: back.version })).resolved.settings).toMatchObject(
      { ev_compensation: 1 },
    );
  });
});
