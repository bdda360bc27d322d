/**
 * Renders a physically plausible sky as linear light, then through a sensor
 * model (exposure, white balance, noise, tone curve) into 8-bit RGB.
 *
 * Units: every pixel carries a scene luminance L in "metered lux" — a middle
 * grey card lit by the metered illuminance has L = lux. The sensor then does
 *   pixel = clip(tone(0.18 × 2^(log2(L / 2.5) − settingsEV + ev_comp)))
 * so settings that meter correctly put a grey card at 18 %, a shorter shutter
 * is darker, and stars (fixed absolute L) only show once the sky is dark.
 */
import { settingsEv, METER_C } from '../exposure.js';
import type { SkyState } from '../sky/model.js';

export interface SensorSettings {
  iso: number;
  shutterSeconds: number;
  exposureCompensation: number;
  awbMode: number;
  colourTemperatureK?: number | undefined;
}

export interface RenderOptions {
  width: number;
  height: number;
  sky: SkyState;
  settings: SensorSettings;
  /** Local sidereal angle in degrees; turns the star field. */
  siderealDeg: number;
  /** Direction the camera faces (degrees from north) and its horizontal field of view. */
  azimuthDeg?: number;
  hfovDeg?: number;
  noiseSeed?: number;
}

type Rgb = readonly [number, number, number];

const DAY_ZENITH: Rgb = [0.42, 0.62, 1.2];
const DAY_HORIZON: Rgb = [0.92, 1.0, 1.1];
const GOLDEN_HORIZON: Rgb = [1.7, 0.82, 0.38];
const TWILIGHT_ZENITH: Rgb = [0.22, 0.32, 1.35];
const TWILIGHT_HORIZON: Rgb = [0.7, 0.55, 0.95];
const NIGHT_SKY: Rgb = [0.55, 0.65, 1.0];
const GROUND: Rgb = [0.55, 0.6, 0.45];

const DEG = Math.PI / 180;

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

function mix(a: Rgb, b: Rgb, t: number): [number, number, number] {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Signed smallest difference between two azimuths, degrees in (-180, 180]. */
function azDiff(a: number, b: number): number {
  let d = (a - b) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

/** The ridge line: a deterministic mountain silhouette, degrees above the horizon at an azimuth. */
export function ridgeElevationDeg(azimuthDeg: number): number {
  const a = azimuthDeg * DEG;
  return (
    2.6 +
    1.8 * Math.sin(a * 3.1 + 1.0) +
    1.1 * Math.sin(a * 7.3 + 2.0) +
    0.5 * Math.sin(a * 17.9 + 0.3) +
    0.25 * Math.sin(a * 41.0)
  );
}

/** A small seeded PRNG (mulberry32): the same seed, the same sky (and the same sensor defects). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One step of the xorshift32 generator: the next state from this one (a uniform in [0, 1) is
 * `(state >>> 0) / 2 ** 32`). The per-pixel noise of a frame; a plain function of a number so the
 * pixel loops keep their state in a local, as fast as writing the shifts out (a closure was ~50 % slower).
 * Not for anything that must stay put between frames (use mulberry32 with a fixed seed for that).
 */
export function xorshift32(state: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  return state ^ (state << 5);
}

interface Star {
  az: number;
  el: number;
  /** Absolute luminance in metered-lux units. */
  luminance: number;
  tint: Rgb;
}

/** The same 2 500 stars every time: positions on the upper sky, magnitudes 0..6.5. */
const STARS: readonly Star[] = (() => {
  const rand = mulberry32(0x5ca1ab1e);
  const stars: Star[] = [];
  for (let i = 0; i < 2500; i++) {
    const el = Math.asin(rand()) / DEG;
    const az = rand() * 360;
    const mag = 6.5 - 6.5 * rand() ** 5;
    const warm = rand();
    stars.push({
      az,
      el,
      luminance: 1.5 * 10 ** (-0.4 * mag),
      tint: warm < 0.3 ? [1.15, 0.95, 0.75] : warm > 0.8 ? [0.8, 0.9, 1.2] : [1, 1, 1],
    });
  }
  return stars;
})();

/** A catalogue star where it falls in a frame: pixel position (fractional) and luminance after extinction. */
export interface StarInView {
  x: number;
  y: number;
  /** Elevation, degrees. */
  el: number;
  /** Direction, degrees from north. */
  az: number;
  luminance: number;
  tint: Rgb;
}

/**
 * The catalogue's stars inside a frame of the given size and pointing (the
 * projection renderSky draws them with); the ridge is not masked here.
 */
export function starsInView(
  opts: Pick<RenderOptions, 'width' | 'height' | 'siderealDeg' | 'azimuthDeg' | 'hfovDeg'>,
): StarInView[] {
  const { width: W, height: H } = opts;
  const camAz = opts.azimuthDeg ?? 270;
  const degPerPx = (opts.hfovDeg ?? 70) / W;
  const horizonY = Math.round(H * 0.72);
  const out: StarInView[] = [];
  for (const star of STARS) {
    const az = star.az + opts.siderealDeg;
    const x = W / 2 + azDiff(az, camAz) / degPerPx;
    const y = horizonY - star.el / degPerPx;
    if (x < 0 || y < 0 || x >= W || y >= H) continue;
    // Extinction near the horizon.
    out.push({ x, y, el: star.el, az, luminance: star.luminance * smoothstep(0, 12, star.el), tint: star.tint });
  }
  return out;
}

/** Output-referred tone curve (sRGB-like gamma) as a lookup table over linear 0..1. */
const TONE_SIZE = 16384;
const TONE_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(TONE_SIZE + 1);
  for (let i = 0; i <= TONE_SIZE; i++) {
    const v = i / TONE_SIZE;
    const srgb = v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
    lut[i] = Math.round(Math.min(1, srgb) * 255);
  }
  return lut;
})();

/** White-balance gains for a set colour temperature, relative to daylight (5500 K). */
export function whiteBalanceGains(settings: SensorSettings): Rgb {
  let kelvin: number | undefined = settings.colourTemperatureK;
  if (kelvin === undefined && settings.awbMode === 1) kelvin = 5500;
  if (kelvin === undefined) return [1, 1, 1];
  const r = (kelvin / 5500) ** 0.9;
  const b = (5500 / kelvin) ** 0.9;
  return [r, 1, b];
}

/** Renders one frame; returns packed 8-bit RGB. */
export function renderSky(opts: RenderOptions): Buffer {
  const { width: W, height: H, sky, settings } = opts;
  const camAz = opts.azimuthDeg ?? 270;
  const hfov = opts.hfovDeg ?? 70;
  const degPerPx = hfov / W;
  const horizonY = Math.round(H * 0.72);
  const sunAlt = sky.sunAltitudeDeg;
  const lux = sky.lux;

  // Exposure: linear value = gain × L.
  const sEv = settingsEv(settings.iso, settings.shutterSeconds);
  const gain = (0.18 / METER_C) * 2 ** (-sEv + settings.exposureCompensation);
  const wb = whiteBalanceGains(settings);

  // Colours for this sun altitude.
  const dayW = smoothstep(-3, 8, sunAlt);
  const nightW = 1 - smoothstep(-17, -9, sunAlt);
  const warmth = Math.exp(-(((sunAlt - 1) / 6) ** 2));
  const zenith = mix(mix(TWILIGHT_ZENITH, NIGHT_SKY, nightW), DAY_ZENITH, dayW);
  const horizonBase = mix(mix(TWILIGHT_HORIZON, NIGHT_SKY, nightW), DAY_HORIZON, dayW);
  // The ground is lit by the sky; backlit and darker when the sun is low.
  const groundRel = 0.04 + 0.1 * smoothstep(0, 20, sunAlt);

  const linear = new Float32Array(W * H * 3);
  // Per-column values.
  const colAz = new Float32Array(W);
  const colRidgeY = new Int32Array(W);
  const colWarm = new Float32Array(W);
  const colSunDaz = new Float32Array(W);
  for (let x = 0; x < W; x++) {
    const az = camAz + (x + 0.5 - W / 2) * degPerPx;
    colAz[x] = az;
    colRidgeY[x] = Math.round(horizonY - ridgeElevationDeg(az) / degPerPx);
    const dAz = azDiff(az, sky.sunAzimuthDeg);
    colSunDaz[x] = dAz;
    colWarm[x] = warmth * (0.25 + 0.75 * Math.max(0, Math.cos(dAz * DEG)) ** 2);
  }
  const glowStrength = sunAlt > -10 ? (sunAlt > 0 ? 30 : 30 * Math.exp(sunAlt / 2.5)) : 0;
  const hazeStrength = sunAlt > -12 ? 2.5 * smoothstep(-12, 2, sunAlt) : 0;

  for (let y = 0; y < H; y++) {
    const el = (horizonY - y - 0.5) * degPerPx;
    const grad = smoothstep(-2, 35, el);
    // Brighter near the horizon in the day; the same shape, flatter, at night.
    const skyRel = 2.0 * (1.3 - 0.55 * grad);
    const cosEl = Math.cos(el * DEG);
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      if (y >= colRidgeY[x]!) {
        const L = lux * groundRel * (1 - 0.3 * smoothstep(horizonY, H, y));
        linear[i] = L * GROUND[0];
        linear[i + 1] = L * GROUND[1];
        linear[i + 2] = L * GROUND[2];
        continue;
      }
      const w = colWarm[x]! * (1 - grad);
      const hr = horizonBase[0] + (GOLDEN_HORIZON[0] - horizonBase[0]) * w;
      const hg = horizonBase[1] + (GOLDEN_HORIZON[1] - horizonBase[1]) * w;
      const hb = horizonBase[2] + (GOLDEN_HORIZON[2] - horizonBase[2]) * w;
      let r = hr + (zenith[0] - hr) * grad;
      let g = hg + (zenith[1] - hg) * grad;
      let b = hb + (zenith[2] - hb) * grad;
      let rel = skyRel;
      if (glowStrength > 0 || hazeStrength > 0) {
        const dx = colSunDaz[x]! * cosEl;
        const dy = el - sunAlt;
        const d = Math.sqrt(dx * dx + dy * dy);
        if (d < 60) {
          const glow = glowStrength * Math.exp(-d / 2.5) + hazeStrength * Math.exp(-d / 14);
          rel += glow;
          const tw = Math.min(1, glow / (glow + skyRel)) * (0.4 + 0.6 * warmth);
          r += (1.5 - r) * tw;
          g += (1.0 - g) * tw;
          b += (0.65 - b) * tw;
          if (sunAlt > -0.5 && d < 0.27) rel += 5000;
        }
      }
      const L = lux * rel;
      linear[i] = L * r;
      linear[i + 1] = L * g;
      linear[i + 2] = L * b;
    }
  }

  // Moon disk (about 0.5 degrees across).
  if (sky.moonAltitudeDeg > -0.3) {
    const mx = W / 2 + azDiff(sky.moonAzimuthDeg, camAz) / degPerPx;
    const my = horizonY - sky.moonAltitudeDeg / degPerPx;
    const radius = Math.max(1, 0.26 / degPerPx);
    const L = 800 * Math.max(0.05, sky.moonPhaseFraction);
    for (let y = Math.floor(my - radius); y <= Math.ceil(my + radius); y++) {
      for (let x = Math.floor(mx - radius); x <= Math.ceil(mx + radius); x++) {
        if (x < 0 || y < 0 || x >= W || y >= H || y >= colRidgeY[x]!) continue;
        if ((x - mx) ** 2 + (y - my) ** 2 > radius * radius) continue;
        const i = (y * W + x) * 3;
        linear[i] = linear[i]! + L;
        linear[i + 1] = linear[i + 1]! + L;
        linear[i + 2] = linear[i + 2]! + L * 0.95;
      }
    }
  }

  // Stars: fixed absolute brightness, so they appear only against a dark sky.
  for (const star of starsInView(opts)) {
    const x = Math.floor(star.x);
    const y = Math.floor(star.y);
    if (y >= colRidgeY[x]!) continue;
    const L = star.luminance;
    const i = (y * W + x) * 3;
    linear[i] = linear[i]! + L * star.tint[0];
    linear[i + 1] = linear[i + 1]! + L * star.tint[1];
    linear[i + 2] = linear[i + 2]! + L * star.tint[2];
  }

  // Sensor: exposure, white balance, noise (read + shot + dark current, all scaled by ISO gain), tone curve.
  const isoGain = settings.iso / 100;
  const readSigma = 0.0003 * isoGain + 0.00001 * settings.shutterSeconds * isoGain;
  const shotK = 0.006 * Math.sqrt(isoGain);
  let s = (opts.noiseSeed ?? Date.now() & 0x7fffffff) | 1;
  const out = Buffer.allocUnsafe(W * H * 3);
  const g0 = gain * wb[0];
  const g1 = gain * wb[1];
  const g2 = gain * wb[2];
  for (let i = 0; i < out.length; i++) {
    const c = i % 3;
    const v = linear[i]! * (c === 0 ? g0 : c === 1 ? g1 : g2);
    // Approximate standard normal from three xorshift uniforms.
    s = xorshift32(s);
    const u1 = (s >>> 0) / 4294967296;
    s = xorshift32(s);
    const u2 = (s >>> 0) / 4294967296;
    s = xorshift32(s);
    const u3 = (s >>> 0) / 4294967296;
    const n = (u1 + u2 + u3 - 1.5) * 2;
    const noisy = v + n * (readSigma + shotK * Math.sqrt(v > 0 ? Math.min(v, 1) : 0));
    const idx = noisy <= 0 ? 0 : noisy >= 1 ? TONE_SIZE : (noisy * TONE_SIZE) | 0;
    out[i] = TONE_LUT[idx]!;
  }
  return out;
}
