import { Body, Observer, SearchAltitude, SearchRiseSet } from 'astronomy-engine';
import type { PlanWindow } from '../../src-main/agents/protocol.js';

export const DENVER = { latitude: 39.609573, longitude: -105.314163, timezone: 'America/Denver' } as const;
export const TROMSO = { latitude: 69.6496, longitude: 18.956, elevation_m: 10, timezone: 'Europe/Oslo' } as const;
export const SYDNEY = { latitude: -33.8688, longitude: 151.2093, timezone: 'Australia/Sydney' } as const;

export const obs = (l: { latitude: number; longitude: number; elevation_m?: number }): Observer =>
  new Observer(l.latitude, l.longitude, l.elevation_m ?? 0);

/** astronomy-engine directly: next rise (+1) or set (-1) after an instant. */
export function riseSet(l: Parameters<typeof obs>[0], dir: 1 | -1, after: number, days = 2): number | null {
  return SearchRiseSet(Body.Sun, obs(l), dir, new Date(after), days)?.date.getTime() ?? null;
}

export function altitudeCrossing(
  l: Parameters<typeof obs>[0],
  body: Body,
  dir: 1 | -1,
  after: number,
  alt: number,
  days = 2,
): number | null {
  return SearchAltitude(body, obs(l), dir, new Date(after), days, alt)?.date.getTime() ?? null;
}

export const ms = (w: PlanWindow): { start: number; end: number } => ({
  start: Date.parse(w.start),
  end: Date.parse(w.end),
});

/** |a - b| in seconds. */
export const secs = (a: number, b: number): number => Math.abs(a - b) / 1000;
