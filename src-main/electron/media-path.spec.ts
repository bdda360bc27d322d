import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveMediaFile, resolveMediaPath } from './media-path';

const root = resolve('/srv/skystation/media');

describe('resolveMediaPath', () => {
  it('maps a media URL to a file under the media folder', () => {
    expect(resolveMediaPath(root, 'skystation-media://media/thumbs/a%20b.jpg')).toBe(join(root, 'thumbs', 'a b.jpg'));
  });

  it.each([
    // The URL parser folds these back inside the folder; they must never point outside it.
    ['skystation-media://media/../secret.txt', join(root, 'secret.txt')],
    ['skystation-media://media/%2e%2e/secret.txt', join(root, 'secret.txt')],
    ['skystation-media://media/%2Fetc%2Fpasswd', join(root, 'etc', 'passwd')],
  ])('keeps %s inside the media folder', (url, expected) => {
    expect(resolveMediaPath(root, url)).toBe(expected);
  });

  it.each([
    'skystation-media://media/thumbs/%2e%2e%2f%2e%2e%2fsecret.txt',
    'skystation-media://media/%2e%2e%2fsecret.txt',
    'skystation-media://media/thumbs/a%00.jpg',
    'skystation-media://media/%E0%A4%A',
    'skystation-media://media/',
    'skystation-media://other/thumbs/a.jpg',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', (url) => {
    expect(resolveMediaPath(root, url)).toBeNull();
  });

  it('resolves a media path the brain gave (an export) for "Show in folder", and nothing outside', () => {
    expect(resolveMediaFile(root, 'exports/night.mp4')).toBe(join(root, 'exports', 'night.mp4'));
    for (const bad of ['', '../x', 'exports/../../x', '/etc/passwd', 'a\0b']) {
      expect(resolveMediaFile(root, bad), bad).toBeNull();
    }
  });
});
