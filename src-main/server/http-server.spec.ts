import { describe, expect, it } from 'vitest';
import { safeJoin } from './http-server.js';

describe('safeJoin', () => {
  it('resolves paths inside the root', () => {
    expect(safeJoin('/data/media', 'thumbs/a/b.jpg')).toBe('/data/media/thumbs/a/b.jpg');
  });
  it('refuses paths that leave the root, however they are spelled', () => {
    expect(safeJoin('/data/media', '../gallery.sqlite')).toBeNull();
    expect(safeJoin('/data/media', 'thumbs/../../etc/passwd')).toBeNull();
    expect(safeJoin('/data/media', '%2e%2e/%2e%2e/etc/passwd')).toBeNull();
    expect(safeJoin('/data/media', '/etc/passwd')).toBe('/data/media/etc/passwd');
    expect(safeJoin('/data/media', 'a%00b')).toBeNull();
    expect(safeJoin('/data/media', '%E0%A4%A')).toBeNull();
  });
});
