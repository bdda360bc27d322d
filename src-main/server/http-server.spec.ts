import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedHostNames, hostAllowed, requestPath, safeJoin } from './http-server.js';

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

describe('requestPath', () => {
  it('keeps origin-form paths and drops the query', () => {
    expect(requestPath('/a/b?x=1#f')).toBe('/a/b');
    expect(requestPath('/')).toBe('/');
  });
  it('refuses targets that are not a plain path', () => {
    for (const t of [undefined, '', '*', 'http://x/', '//', '//evil.example/x', '/a//b'])
      expect(requestPath(t), t).toBeNull();
  });
});

describe('hostAllowed', () => {
  const loopback = allowedHostNames('127.0.0.1');
  it('accepts the bound address and localhost, with or without a port', () => {
    for (const h of ['127.0.0.1', '127.0.0.1:8082', 'localhost', 'LOCALHOST:1', 'localhost.', '[::1]:8082']) {
      expect(hostAllowed(h, loopback), h).toBe(true);
    }
  });
  it('refuses any other name (DNS rebinding) and malformed headers', () => {
    for (const h of [
      undefined,
      '',
      'attacker.example',
      'attacker.example:8082',
      '127.0.0.1.nip.io',
      'localhost:x',
      '[::1',
      '10.0.0.5',
    ]) {
      expect(hostAllowed(h, loopback), String(h)).toBe(false);
    }
  });
  it('accepts names the operator configured', () => {
    const names = allowedHostNames('192.168.1.20', ['Sky.Example.org']);
    expect(hostAllowed('sky.example.org:8082', names)).toBe(true);
    expect(hostAllowed('192.168.1.20:8082', names)).toBe(true);
    expect(hostAllowed('other.example.org', names)).toBe(false);
    // Off loopback the computer's own name works too; on loopback it is not needed.
    expect(hostAllowed(`${hostname()}:8082`, names)).toBe(true);
    expect(hostAllowed(`${hostname()}:8082`, loopback)).toBe(hostname() === 'localhost');
  });
});
