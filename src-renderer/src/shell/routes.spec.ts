import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, hrefFor, parseHash, resolveRoute } from './routes';

describe('parseHash', () => {
  it('reads a tab and a page with its parameter', () => {
    expect(parseHash('#/gallery')).toEqual({ view: 'gallery', param: null });
    expect(parseHash('#/camera/sim-1')).toEqual({ view: 'camera', param: 'sim-1' });
  });

  it('falls back to the default view for an empty or bare hash', () => {
    for (const h of ['', '#', '#/', '#//']) expect(parseHash(h)).toEqual({ view: DEFAULT_VIEW, param: null });
  });

  it('decodes parameters and tolerates broken escapes', () => {
    expect(parseHash('#/camera/a%2Fb%20c')).toEqual({ view: 'camera', param: 'a/b c' });
    expect(parseHash('#/camera/%E0%A4%A')).toEqual({ view: 'camera', param: '%E0%A4%A' });
    expect(parseHash('#/Cameras')).toEqual({ view: 'cameras', param: null });
  });

  it('round-trips with hrefFor', () => {
    for (const id of ['plain', 'with/slash', 'spa ce', 'ü#?&']) {
      expect(parseHash(hrefFor('camera', id))).toEqual({ view: 'camera', param: id });
    }
    expect(hrefFor('alerts')).toBe('#/alerts');
    expect(hrefFor('alerts', null)).toBe('#/alerts');
  });
});

describe('resolveRoute', () => {
  const tabs = [{ id: 'cameras' }, { id: 'alerts' }];
  const pages = [{ path: 'camera', tab: 'cameras' }];

  it('finds tabs, pages with their parameter, and says when neither matches', () => {
    expect(resolveRoute(parseHash('#/alerts'), tabs, pages)).toEqual({
      kind: 'tab',
      tab: { id: 'alerts' },
      current: 'alerts',
    });
    expect(resolveRoute(parseHash('#/camera/x1'), tabs, pages)).toEqual({
      kind: 'page',
      page: pages[0],
      param: 'x1',
      current: 'cameras',
    });
    expect(resolveRoute(parseHash('#/camera'), tabs, pages)).toEqual({ kind: 'unknown', current: 'cameras' });
    expect(resolveRoute(parseHash('#/nowhere'), tabs, pages).kind).toBe('unknown');
    expect(resolveRoute(parseHash(''), tabs, pages)).toMatchObject({ kind: 'tab', current: 'cameras' });
  });
});
