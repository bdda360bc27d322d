/**
 * The simulated sensor's dark side (issue 6, dark-frame subtraction): what a
 * sensor records with no light at all.
 *
 * - Hot pixels: a fixed pattern seeded by the camera's identity, so the same
 *   camera always has them in the same places (and another camera elsewhere).
 *   Their dark current is hundreds to thousands of times a normal pixel's.
 * - Dark current grows linearly with exposure time and gain (ISO) and doubles
 *   every DOUBLING_C degrees of sensor temperature; its shot noise and the
 *   read noise (which grows with gain) are random in every frame.
 *
 * A dark frame (lens capped) is only this; a light frame carries the same hot
 * pixels on top of the scene, so subtracting a matching dark removes them.
 * Values are linear light, 1 = full scale at ISO 100, like sky-render.ts, and
 * go through the same sRGB-like tone curve.
 */
import { createHash } from 'node:crypto';
import { mulberry32, xorshift32 } from './sky-render.js';

/** Dark current of a normal pixel at 20 °C and ISO 100, in full scale per second. */
export const DARK_RATE_PER_S = 3e-6;
/** Dark current doubles every this many degrees. */
export const DOUBLING_C = 6.3;
/** About one pixel in HOT_PIXEL_SPACING is hot. */
const HOT_PIXEL_SPACING = 4000;
const HOT_MIN = 300;
const HOT_MAX = 5000;

export interface DarkExposure {
  iso: number;
  shutterSeconds: number;
  temperatureC: number;
}

/** A camera's fixed pattern at one render size. */
export interface FixedPattern {
  width: number;
  height: number;
  /** Pixel index (y * width + x) of each hot pixel, ascending. */
  hot: Uint32Array;
  /** Each hot pixel's dark current as a multiple of a normal pixel's, per channel (r, g, b interleaved). */
  hotGain: Float32Array;
}

const patterns = new Map<string, FixedPattern>();

/** The hot pixels of the camera `identity` at this size (cached: the same camera, the same pattern). */
export function fixedPattern(identity: string, width: number, height: number): FixedPattern {
  const key = `${identity}\u0000${width}x${height}`;
  const cached = patterns.get(key);
  if (cached) return cached;
  const rand = mulberry32(createHash('sha256').update(identity).digest().readUInt32BE(0));
  const count = Math.max(4, Math.round((width * height) / HOT_PIXEL_SPACING));
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(rand() * width * height));
  const hot = Uint32Array.from([...picked].sort((a, b) => a - b));
  const hotGain = new Float32Array(hot.length * 3);
  for (let k = 0; k < hot.length; k++) {
    // Log-uniform strength; a Bayer site is one colour, which demosaicing spreads a little to the others.
    const strength = HOT_MIN * (HOT_MAX / HOT_MIN) ** rand();
    const site = Math.floor(rand() * 3);
    for (let c = 0; c < 3; c++) hotGain[k * 3 + c] = strength * (c === site ? 1 : 0.25 + 0.2 * rand());
  }
  const pattern: FixedPattern = { width, height, hot, hotGain };
  if (patterns.size > 16) patterns.clear();
  patterns.set(key, pattern);
  return pattern;
}

/** Mean dark signal of a normal pixel (linear, full scale = 1). */
export function darkCurrent(e: DarkExposure): number {
  return DARK_RATE_PER_S * (e.iso / 100) * e.shutterSeconds * 2 ** ((e.temperatureC - 20) / DOUBLING_C);
}

/**
 * The sensor's temperature: the air (about 4 °C on a clear night, 20 °C in
 * the afternoon sun) plus the board's own heat. Deterministic for a time and
 * place, so a dark taken right after a light frame matches it.
 */
export function sensorTemperatureC(sunAltitudeDeg: number): number {
  const t = Math.min(1, Math.max(0, (sunAltitudeDeg + 18) / 68));
  const air = 4 + 16 * t * t * (3 - 2 * t);
  return Math.round((air + 6) * 10) / 10;
}

function srgb(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
}

const TONE_SIZE = 16384;
const TONE_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(TONE_SIZE + 1);
  for (let i = 0; i <= TONE_SIZE; i++) lut[i] = Math.round(Math.min(1, srgb(i / TONE_SIZE)) * 255);
  return lut;
})();
/** Linear value of each 8-bit code (the inverse of the tone curve). */
const LINEAR_OF: Float32Array = (() => {
  const inv = new Float32Array(256);
  for (let c = 0; c < 256; c++) {
    const s = c / 255;
    inv[c] = s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }
  return inv;
})();

function tone(v: number): number {
  return TONE_LUT[v <= 0 ? 0 : v >= 1 ? TONE_SIZE : (v * TONE_SIZE) | 0]!;
}

/**
 * A dark frame (lens capped): dark current, hot pixels, dark shot noise and
 * read noise, as packed 8-bit RGB of the pattern's size.
 */
export function renderDark(pattern: FixedPattern, e: DarkExposure, noiseSeed: number): Buffer {
  const { width, height, hot, hotGain } = pattern;
  const isoGain = e.iso / 100;
  const d = darkCurrent(e);
  // Read noise grows with gain; the dark current's shot noise with its square root.
  const sigma = 0.0003 * isoGain + 0.006 * Math.sqrt(isoGain * d);
  const out = Buffer.allocUnsafe(width * height * 3);
  let s = noiseSeed | 1;
  for (let i = 0; i < out.length; i++) {
    s = xorshift32(s);
    const u1 = (s >>> 0) / 4294967296;
    s = xorshift32(s);
    const u2 = (s >>> 0) / 4294967296;
    out[i] = tone(d + (u1 + u2 - 1) * 2.45 * sigma);
  }
  for (let k = 0; k < hot.length; k++) {
    const i = hot[k]! * 3;
    for (let c = 0; c < 3; c++) {
      const v = d * hotGain[k * 3 + c]!;
      out[i + c] = tone(v + 0.006 * Math.sqrt(isoGain * v) * (((k * 7 + c * 13) % 11) / 5.5 - 1));
    }
  }
  return out;
}

/** Adds the hot pixels' dark current to a tone-mapped light frame of the pattern's size, in place. */
export function addHotPixels(rgb: Buffer, pattern: FixedPattern, e: DarkExposure): void {
  const d = darkCurrent(e);
  const { hot, hotGain } = pattern;
  for (let k = 0; k < hot.length; k++) {
    const i = hot[k]! * 3;
    for (let c = 0; c < 3; c++) rgb[i + c] = tone(LINEAR_OF[rgb[i + c]!]! + d * hotGain[k * 3 + c]!);
  }
}
