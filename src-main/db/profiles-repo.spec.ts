import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileLibrary, SqliteProfileStore } from '../profiles/store.js';
import { openDatabase, type Db } from './database.js';
import { ProfilesRepo } from './profiles-repo.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => db.close());

const row = (profileId: string, version: string, note: string) => ({
  profileId,
  version,
  createdAt: '2026-12-01T00:00:00.000Z',
  json: { profile_id: profileId, version, note },
});

describe('ProfilesRepo', () => {
  it('is append-only: a version already stored is kept as it is, and order is the order of saving', () => {
    const repo = new ProfilesRepo(db);
    expect(repo.addMissing([row('b', '1.0.0', 'first'), row('a', '1.0.0', 'first')])).toBe(2);
    expect(repo.addMissing([row('b', '1.0.0', 'rewritten'), row('b', '1.1.0', 'second')])).toBe(1);
    expect(repo.count()).toBe(3);
    expect(repo.all().map((r) => [r.profileId, r.version, (r.json as { note: string }).note])).toEqual([
      ['b', '1.0.0', 'first'],
      ['a', '1.0.0', 'first'],
      ['b', '1.1.0', 'second'],
    ]);
  });
});

describe('SqliteProfileStore', () => {
  it('keeps the library (versions, notes, rollbacks) across instances on the same database', async () => {
    const clock = (): Date => new Date('2026-12-01T12:00:00Z');
    const a = new ProfileLibrary(new SqliteProfileStore(db), clock);
    await a.save({ profile_id: 'ridge', name: 'Ridge', settings: { iso_max: 1600 } }, { note: 'first' });
    await a.save({ profile_id: 'ridge', settings: { iso_max: 3200 } });
    await a.rollback('ridge', '1.0.0');
    const b = new ProfileLibrary(new SqliteProfileStore(db), clock);
    expect((await b.history('ridge')).map((v) => [v.version, v.note ?? null])).toEqual([
      ['1.0.0', 'first'],
      ['1.1.0', null],
      ['1.1.1', 'rollback to 1.0.0'],
    ]);
    expect((await b.resolve('ridge')).settings).toMatchObject({ iso_max: 1600 });
  });

  it('a damaged stored version is an error naming it, never an empty library', async () => {
    new ProfilesRepo(db).addMissing([row('ridge', '1.0.0', 'x')]);
    await expect(new ProfileLibrary(new SqliteProfileStore(db)).list()).rejects.toMatchObject({
      code: 'PROFILE_STORE_CORRUPT',
      message: expect.stringContaining('ridge 1.0.0') as unknown,
    });
  });
});
