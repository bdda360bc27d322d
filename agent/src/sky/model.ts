import { Body, Equator, Horizon, Illumination, Observer } from 'astronomy-engine';

export interface Location {
  latitude: number;
  longitude: number;
  elevation_m?: number;
}

/** Seed 002's camera site. */
export const DEFAULT_LOCATION: Location = { latitude: 39.609573, longitude: -105.314163 };

export interface SkyState {
  time: Date;
  sunAltitudeDeg: number;
  sunAzimuthDeg: number;
  moonAltitudeDeg: number;
  moonAzimuthDeg: number;
  /** 0 (new) .. 1 (full). */
  moonPhaseFraction: number;
  /** Illuminance on the ground from sun, sky and moon. */
  lux: number;
}

/**
 * Ground illuminance against sun altitude, interpolated log-linearly. Anchors
 * follow the usual photometric tables: ~100 000 lx with a high sun, ~400 lx at
 * sunset, ~3 lx at civil dusk, ~0.008 lx at nautical dusk, ~0.001 lx (starlight
 * and airglow) at astronomical night.
 */
const SUN_LUX_TABLE: readonly (readonly [number, number])[] = [
  [-90, 0.001],
  [-18, 0.001],
  [-12, 0.008],
  [-6, 3],
  [-3, 40],
  [0, 400],
  [5, 5000],
  [10, 15000],
  [20, 35000],
  [30, 60000],
  [45, 85000],
  [60, 100000],
  [90, 110000],
];

export function sunLux(altitudeDeg: number): number {
  const t = SUN_LUX_TABLE;
  const first = t[0]!;
  const last = t[t.length - 1]!;
  if (altitudeDeg <= first[0]) return first[1];
  if (altitudeDeg >= last[0]) return last[1];
  for (let i = 1; i < t.length; i++) {
    const [a1, l1] = t[i]!;
    const [a0, l0] = t[i - 1]!;
    if (altitudeDeg <= a1) {
      const f = (altitudeDeg - a0) / (a1 - a0);
      return Math.exp(Math.log(l0) + f * (Math.log(l1) - Math.log(l0)));
    }
  }
  return last[1];
}

/** A full moon overhead gives ~0.25 lx; scale by phase and the sine of its altitude. */
export function moonLux(altitudeDeg: number, phaseFraction: number): number {
  if (altitudeDeg <= 0) return 0;
  return 0.25 * phaseFraction * Math.sin((altitudeDeg * Math.PI) / 180);
}

export function skyState(location: Location, time: Date): SkyState {
  const observer = new Observer(location.latitude, location.longitude, location.elevation_m ?? 0);
  const sunEq = Equator(Body.Sun, time, observer, true, true);
  const sun = Horizon(time, observer, sunEq.ra, sunEq.dec, 'normal');
  const moonEq = Equator(Body.Moon, time, observer, true, true);
  const moon = Horizon(time, observer, moonEq.ra, moonEq.dec, 'normal');
  const phase = Illumination(Body.Moon, time).phase_fraction;
  const lux = sunLux(sun.altitude) + moonLux(moon.altitude, phase);
  return {
    time,
    sunAltitudeDeg: sun.altitude,
    sunAzimuthDeg: sun.azimuth,
    moonAltitudeDeg: moon.altitude,
    moonAzimuthDeg: moon.azimuth,
    moonPhaseFraction: phase,
    lux,
  };
}
