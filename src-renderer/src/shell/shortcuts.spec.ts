import { describe, expect, it } from 'vitest';
import { matchShortcut, type KeyLike } from './shortcuts';

const key = (k: string, more: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...more,
});

describe('matchShortcut', () => {
  it('maps the documented keys', () => {
    expect(matchShortcut(key('?', { shiftKey: true }))).toEqual({ kind: 'help' });
    expect(matchShortcut(key('N', { shiftKey: true }))).toEqual({ kind: 'night' });
    expect(matchShortcut(key('3'))).toEqual({ kind: 'tab', index: 2 });
    expect(matchShortcut(key('c'))).toEqual({ kind: 'capture' });
    expect(matchShortcut(key('b'))).toEqual({ kind: 'back' });
    expect(matchShortcut(key('Escape'))).toEqual({ kind: 'escape' });
  });

  it('leaves typing in fields alone, except Escape', () => {
    for (const tag of ['INPUT', 'textarea', 'SELECT']) {
      expect(matchShortcut(key('c', { targetTag: tag }))).toBeNull();
      expect(matchShortcut(key('N', { shiftKey: true, targetTag: tag }))).toBeNull();
    }
    expect(matchShortcut(key('1', { targetTag: 'DIV', targetEditable: true }))).toBeNull();
    expect(matchShortcut(key('Escape', { targetTag: 'INPUT' }))).toEqual({ kind: 'escape' });
  });

  it('leaves browser and system shortcuts alone', () => {
    expect(matchShortcut(key('c', { ctrlKey: true }))).toBeNull();
    expect(matchShortcut(key('1', { metaKey: true }))).toBeNull();
    expect(matchShortcut(key('n', { altKey: true, shiftKey: true }))).toBeNull();
    expect(matchShortcut(key('n'))).toBeNull();
    expect(matchShortcut(key('0'))).toBeNull();
    expect(matchShortcut(key('C', { shiftKey: true }))).toBeNull();
  });
});
