import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { ExportJobsRepo } from './export-jobs-repo.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
});
afterEach(() => db.close());

const job = (id: string, status: string) => ({ id, status, createdAt: '2026-12-01T00:00:00Z', json: { id, status } });

describe('ExportJobsRepo', () => {
  it('replaces the whole list in its order, in one transaction', () => {
    const repo = new ExportJobsRepo(db);
    repo.replaceAll([job('b', 'queued'), job('a', 'running')]);
    expect(repo.all().map((j) => [j.id, j.status, j.json])).toEqual([
      ['b', 'queued', { id: 'b', status: 'queued' }],
      ['a', 'running', { id: 'a', status: 'running' }],
    ]);
    repo.replaceAll([job('a', 'done')]);
    expect(repo.all().map((j) => j.id)).toEqual(['a']);
    // A list that cannot be stored (two jobs with one id) changes nothing.
    expect(() => repo.replaceAll([job('c', 'queued'), job('c', 'queued')])).toThrow(/UNIQUE/);
    expect(repo.all().map((j) => [j.id, j.status])).toEqual([['a', 'done']]);
    expect(repo.count()).toBe(1);
  });
});
