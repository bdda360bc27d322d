import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveUploadsRepo } from './archive-uploads-repo.js';
import { openDatabase, type Db } from './database.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => db.close());

describe('ArchiveUploadsRepo', () => {
  it('records, updates and forgets upload states by id', () => {
    const repo = new ArchiveUploadsRepo(db);
    repo.put('sky/a.mp4', { uploadId: 'u1', parts: [1] });
    repo.put('sky/b.mp4', { uploadId: 'u2', parts: [] });
    repo.put('sky/a.mp4', { uploadId: 'u1', parts: [1, 2] });
    expect(repo.all()).toEqual({
      'sky/a.mp4': { uploadId: 'u1', parts: [1, 2] },
      'sky/b.mp4': { uploadId: 'u2', parts: [] },
    });
    repo.put('sky/a.mp4', null);
    expect(Object.keys(repo.all())).toEqual(['sky/b.mp4']);
    expect(repo.count()).toBe(1);
  });
});
