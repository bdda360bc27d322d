import { shutterToSeconds } from '../protocol/index.js';
import type { DriverSettings } from './driver.js';

/**
 * The wire's awb_mode numbers. 0 and 1 are fixed by seed 002 (0 auto,
 * 1 daylight); the rest follow libcamera's list.
 */
export const AWB_MODE_NAMES = [
  'auto',
  'daylight',
  'tungsten',
  'fluorescent',
  'indoor',
  'incandescent',
  'cloudy',
  'custom',
] as const;

/** The wire's ae_metering_mode numbers, as rpicam --metering names. */
export const METERING_NAMES = ['centre', 'spot', 'matrix', 'custom'] as const;

export function awbName(mode: number): (typeof AWB_MODE_NAMES)[number] {
  return AWB_MODE_NAMES[mode] ?? 'auto';
}

export function meteringName(mode: number): (typeof METERING_NAMES)[number] {
  return METERING_NAMES[mode] ?? 'centre';
}

export function exposureSeconds(settings: Pick<DriverSettings, 'shutter_speed'>): number {
  return shutterToSeconds(settings.shutter_speed);
}

/**
 * Red and blue gains that neutralise a light source of `kelvin` (for rpicam
 * --awbgains). A smooth fit to typical Pi sensor calibration tables: about
 * 1.5/2.2 at 2800 K, 2.0/1.6 at 5000 K, 2.5/1.3 at 7500 K.
 */
export function awbGainsForKelvin(kelvin: number): { red: number; blue: number } {
  const k = Math.min(15000, Math.max(1500, kelvin)) / 1000;
  const red = Math.min(8, Math.max(0.5, 0.55 + 0.7 * Math.log(k) * 1.25));
  const blue = Math.min(8, Math.max(0.5, 4.2 / Math.pow(k, 0.62)));
  return { red: Math.round(red * 1000) / 1000, blue: Math.round(blue * 1000) / 1000 };
}

/**
 * Scene illuminance estimated from how bright a frame came out: the exposure
 * that would give a middle grey, scaled by the frame's mean level (0..1).
 * Assumes an f/2.8 lens; good to within a stop, which is what metering needs.
 */
export function estimateLux(meanLevel: number, exposureSeconds: number, iso: number, fNumber = 2.8): number {
  const level = Math.min(1, Math.max(1 / 4096, meanLevel));
  const ev100 = Math.log2((fNumber * fNumber) / exposureSeconds) - Math.log2(iso / 100) + Math.log2(level / 0.18);
  return Math.max(0, 2.5 * Math.pow(2, ev100));
}
