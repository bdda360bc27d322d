import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from './data-dir.js';

describe('defaultDataDir', () => {
  it('uses SKYSTATION_DATA_DIR, resolved to an absolute path', () => {
    expect(defaultDataDir({ SKYSTATION_DATA_DIR: 'rel/dir' })).toBe(resolve('rel/dir'));
    expect(defaultDataDir({ SKYSTATION_DATA_DIR: '/srv/sky' })).toBe('/srv/sky');
  });
  it('falls back to ~/.skystation when the variable is unset or blank', () => {
    expect(defaultDataDir({})).toBe(join(homedir(), '.skystation'));
    expect(defaultDataDir({ SKYSTATION_DATA_DIR: '  ' })).toBe(join(homedir(), '.skystation'));
  });
});
