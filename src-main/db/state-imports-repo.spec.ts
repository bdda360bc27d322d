import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { OrchestrationRepo } from './orchestration-repo.js';
import { StateImportsRepo } from './state-imports-repo.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => db.close());

describe('StateImportsRepo', () => {
  it('imports a file once: the write and its record happen together', () => {
    const repo = new StateImportsRepo(db);
    const docs = new OrchestrationRepo(db);
    expect(repo.importOnce('settings.json', () => (docs.setSetting('settings', { n: 1 }), 'n 1'))).toBe('n 1');
    expect(repo.imported('settings.json')).toMatchObject({ summary: 'n 1' });
    expect(repo.importOnce('settings.json', () => (docs.setSetting('settings', { n: 2 }), 'n 2'))).toBeNull();
    expect(docs.getSetting('settings')).toEqual({ n: 1 });
  });

  it('a write that fails leaves neither its data nor a record (the next start tries again)', () => {
    const repo = new StateImportsRepo(db);
    const docs = new OrchestrationRepo(db);
    expect(() =>
      repo.importOnce('profiles.json', () => {
        docs.setSetting('half', true);
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(repo.imported('profiles.json')).toBeNull();
    expect(docs.getSetting('half')).toBeUndefined();
  });
});
