/**
 * Adaptive white-balance curves: scene lux → the colour temperature the camera
 * is set to. Above ~8000 lux (daylight) every curve is 5500 K. As light falls
 * toward sunset it gets warmer; "balanced" follows it part way (natural
 * warmth), "conservative" barely moves (subtle warmth, stable colour), "warm"
 * sets a higher temperature than the light so golden tones are embraced.
 * Points are [lux, kelvin], brightest first as in seed 002's example.
 */
import type { WbCurve, WbCurveName } from './definition.js';

export type LuxKelvin = readonly [number, number];

export const WB_CURVES: Readonly<Record<WbCurveName, readonly LuxKelvin[]>> = {
  conservative: [
    [10000, 5500],
    [8000, 5500],
    [6000, 5500],
    [4000, 5450],
    [2000, 5350],
    [1000, 5250],
    [500, 5150],
    [100, 5000],
    [10, 4900],
    [1, 4900],
  ],
  balanced: [
    [10000, 5500],
    [8000, 5500],
    [6000, 5450],
    [4000, 5300],
    [2000, 5000],
    [1000, 4700],
    [500, 4400],
    [100, 4000],
    [10, 3800],
    [1, 3800],
  ],
  warm: [
    [10000, 5600],
    [8000, 5700],
    [6000, 5800],
    [4000, 5900],
    [2000, 6100],
    [1000, 6300],
    [500, 6500],
    [100, 6500],
    [10, 6200],
    [1, 6000],
  ],
};

/** The lux_table for a named curve or the operator's own points (a fresh mutable copy, brightest first). */
export function luxTable(curve: WbCurve): Array<[number, number]> {
  const points = typeof curve === 'string' ? WB_CURVES[curve] : [...curve].sort((a, b) => b[0] - a[0]);
  return points.map(([lux, k]) => [lux, k]);
}
