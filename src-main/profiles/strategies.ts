/**
 * Seed 001 adaptive strategies as profile rules: golden hour, blue hour,
 * overcast, stormy. The station picks one from the sun's altitude and, when a
 * weather provider answers, from the weather; each adjusts the profile's base
 * settings. Precedence (first match among the profile's enabled rules):
 * stormy > golden hour > blue hour > overcast. Golden hour under a fully
 * overcast sky (≥ 85 % cloud) is not golden: overcast takes it.
 */
import type { z } from 'zod';
import { shutterToSeconds, type ProfileBase } from '../agents/protocol.js';
import type { WeatherObservation } from '../weather/provider.js';
import { BLUE_HOUR_DEG, GOLDEN_HOUR_DEG } from '../schedule/schedules.js';
import type { ProfileSettings, StrategyName } from './definition.js';

export interface StrategyContext {
  readonly sunAltitudeDeg: number;
  /** null or absent: no provider, or it failed; rules then use the sun only. */
  readonly weather?: WeatherObservation | null;
}

export interface StrategyAdjustment {
  readonly ev_delta: number;
  readonly metering_mode?: number;
  readonly awb_mode?: number;
  /** Lower the ISO ceiling to this (noise). */
  readonly iso_max_cap?: number;
  /** Allow exposures at least this long (seconds) — still limited by the frame interval. */
  readonly shutter_max_at_least?: number;
  /** Keep exposures at most this long (seconds) — vibration damping. */
  readonly shutter_max_at_most?: number;
  /** Multiply the capture interval (< 1: denser). A hint for live orchestration. */
  readonly interval_factor: number;
  readonly hdr_bracketing: boolean;
  readonly intent: string;
}

export const STRATEGIES: Readonly<Record<StrategyName, StrategyAdjustment>> = {
  golden_hour: {
    ev_delta: -0.3,
    awb_mode: 1,
    interval_factor: 0.5,
    hdr_bracketing: true,
    intent: 'Denser frames, bracketing, fixed daylight WB to keep the warm light, protect the bright sky.',
  },
  blue_hour: {
    ev_delta: 0.3,
    awb_mode: 1,
    iso_max_cap: 800,
    shutter_max_at_least: 4,
    interval_factor: 1,
    hdr_bracketing: false,
    intent: 'Cool WB kept, longer exposures at lower ISO for less noise.',
  },
  overcast: {
    ev_delta: 0.3,
    metering_mode: 2,
    awb_mode: 0,
    interval_factor: 1,
    hdr_bracketing: false,
    intent: 'Lift shadows under flat light; matrix metering, auto WB.',
  },
  stormy: {
    ev_delta: -0.7,
    metering_mode: 2,
    shutter_max_at_most: 1 / 125,
    interval_factor: 0.5,
    hdr_bracketing: true,
    intent: 'Protect highlights in dramatic clouds, short exposures against wind shake.',
  },
};

export const isStormy = (w: WeatherObservation): boolean =>
  w.condition === 'thunderstorm' || (w.wind_speed_m_s ?? 0) >= 12 || (w.precipitation_mm_h ?? 0) >= 4;

export const isOvercast = (w: WeatherObservation): boolean =>
  (w.cloud_cover_percent ?? 0) >= 80 ||
  w.condition === 'fog' ||
  w.condition === 'drizzle' ||
  w.condition === 'rain' ||
  w.condition === 'snow';

/** The strategy that applies now among `enabled` (default: all), or null for the plain profile. */
export function chooseStrategy(
  ctx: StrategyContext,
  enabled?: Partial<Record<StrategyName, boolean>>,
): StrategyName | null {
  const on = (s: StrategyName): boolean => (enabled ? enabled[s] === true : true);
  const w = ctx.weather ?? null;
  const sun = ctx.sunAltitudeDeg;
  const fullyOvercast = w !== null && (w.cloud_cover_percent ?? 0) >= 85;
  if (on('stormy') && w && isStormy(w)) return 'stormy';
  if (
    on('golden_hour') &&
    sun >= GOLDEN_HOUR_DEG.low &&
    sun <= GOLDEN_HOUR_DEG.high &&
    !(fullyOvercast && on('overcast'))
  )
    return 'golden_hour';
  if (on('blue_hour') && sun >= BLUE_HOUR_DEG.low && sun < BLUE_HOUR_DEG.high) return 'blue_hour';
  if (on('overcast') && w && isOvercast(w)) return 'overcast';
  return null;
}

const fmtShutter = (s: number): string => (s >= 0.25 ? String(Math.round(s * 1000) / 1000) : `1/${Math.round(1 / s)}`);
const clampEv = (ev: number): number => Math.max(-8, Math.min(8, Math.round(ev * 100) / 100));

export type BaseSettings = Pick<
  ProfileSettings,
  'metering_mode' | 'ev_compensation' | 'awb_mode' | 'iso_min' | 'iso_max' | 'shutter_min' | 'shutter_max'
>;

/** Base settings with a strategy's adjustment applied (limits stay consistent). */
export function applyStrategy(base: BaseSettings, strategy: StrategyName): BaseSettings {
  const a = STRATEGIES[strategy];
  let shutterMax = shutterToSeconds(base.shutter_max);
  if (a.shutter_max_at_least !== undefined) shutterMax = Math.max(shutterMax, a.shutter_max_at_least);
  if (a.shutter_max_at_most !== undefined)
    shutterMax = Math.max(shutterToSeconds(base.shutter_min), Math.min(shutterMax, a.shutter_max_at_most));
  const isoMax =
    a.iso_max_cap === undefined ? base.iso_max : Math.max(base.iso_min, Math.min(base.iso_max, a.iso_max_cap));
  return {
    metering_mode: a.metering_mode ?? base.metering_mode,
    ev_compensation: clampEv(base.ev_compensation + a.ev_delta),
    awb_mode: a.awb_mode ?? base.awb_mode,
    iso_min: base.iso_min,
    iso_max: isoMax,
    shutter_min: base.shutter_min,
    shutter_max: shutterToSeconds(base.shutter_max) === shutterMax ? base.shutter_max : fmtShutter(shutterMax),
  };
}

/** The wire form (agent ProfileBase) of base settings. */
export const toProfileBase = (b: BaseSettings): z.infer<typeof ProfileBase> => ({ ...b });
