/**
 * The app's addresses: "#/<view>" for a tab and "#/<view>/<param>" for a page
 * about one thing (e.g. "#/camera/<agentId>"). Pure functions, no DOM.
 */

export interface Route {
  /** The first path segment: a tab id ("cameras") or a page kind ("camera"). */
  view: string;
  /** The decoded second segment (an agent id, a capture id), or null. */
  param: string | null;
}

export const DEFAULT_VIEW = 'cameras';

/** Reads "#/camera/abc%2F1" as {view: 'camera', param: 'abc/1'}; anything unreadable is the default view. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [rawView = '', ...rest] = path.split('/');
  const view = safeDecode(rawView).trim().toLowerCase();
  if (view === '') return { view: DEFAULT_VIEW, param: null };
  const rawParam = rest.join('/');
  const param = rawParam === '' ? null : safeDecode(rawParam);
  return { view, param };
}

/** The hash for a view, with the parameter encoded so ids with "/" or spaces survive. */
export function hrefFor(view: string, param?: string | null): string {
  const base = `#/${encodeURIComponent(view)}`;
  return param === undefined || param === null ? base : `${base}/${encodeURIComponent(param)}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export type Resolved<T, P> =
  | { kind: 'tab'; tab: T; current: string }
  | { kind: 'page'; page: P; param: string; current: string }
  | { kind: 'unknown'; current: string };

/**
 * Which tab or page a route shows. A tab with a parameter is still that tab; a
 * page without its parameter, or an unknown view, is 'unknown' (the shell says
 * so and offers the way back) with the default tab highlighted.
 */
export function resolveRoute<T extends { id: string }, P extends { path: string; tab: string }>(
  route: Route,
  tabs: readonly T[],
  pages: readonly P[],
): Resolved<T, P> {
  const tab = tabs.find((t) => t.id === route.view);
  if (tab !== undefined) return { kind: 'tab', tab, current: tab.id };
  const page = pages.find((p) => p.path === route.view);
  if (page !== undefined && route.param !== null) {
    return { kind: 'page', page, param: route.param, current: page.tab };
  }
  return { kind: 'unknown', current: DEFAULT_VIEW };
}
