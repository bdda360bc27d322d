/**
 * Live preview frames for the simulated camera. Rendering the whole sky per
 * frame is too slow for 25 fps, so a base image is rendered about once a
 * second (small, then scaled by sharp in its thread pool) and each frame only
 * adds cheap changes (sensor noise in a patch and a moving frame counter),
 * drawn into the base and undone after a fast JPEG encode.
 *
 * At night a one-frame exposure shows no stars in the rendered sky, where a
 * real camera's high-gain preview (what operators focus with) shows the
 * brighter ones; the base then gets those stars drawn at full resolution as
 * small Gaussian spots (sigma `starSigmaPx`, the simulator's focus), so the
 * focus aid's half-flux radius has something to measure.
 */
import { performance } from 'node:perf_hooks';
import { SiderealTime } from 'astronomy-engine';
import { loadSharp } from '../util/sharp.js';
import type { PreviewFrame, PreviewOptions } from '../camera/driver.js';
import { ridgeElevationDeg, renderSky, starsInView } from '../camera/sky-render.js';
import { autoExposure, DEFAULT_LIMITS, ev100FromLux } from '../exposure.js';
import type { Clock } from '../sky/clock.js';
import { skyState, type Location } from '../sky/model.js';

export interface SimulatedPreviewDeps {
  clock: Clock;
  location: Location;
  azimuthDeg?: number;
  /** How often the base sky is re-rendered. */
  baseIntervalMs?: number;
  /**
   * Gaussian sigma of a star at night in pixels of a 1280-wide frame (scaled
   * with the frame's width): the simulated lens's focus. Default 1.2 (sharp).
   */
  starSigmaPx?: number;
}

/** Level (0–255) a magnitude-0 star would peak at in the high-gain night preview; a 5.5 star peaks near 90. */
const STAR_PEAK_MAG0 = 14_000;
/** Luminance of a magnitude-0 star in the sky renderer's catalogue (metered-lux units). */
const STAR_L_MAG0 = 1.5;

/** The base sky is drawn this wide (on the main thread, ~1×/s) and scaled up by sharp. */
const RENDER_WIDTH = 320;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Base {
  rgb: Buffer;
  exposureUs: number;
  iso: number;
  renderedAt: number;
}

/**
 * Draws the stars a high-gain preview shows into `rgb` (full size), fading in
 * between nautical and astronomical dusk and hidden behind the ridge.
 */
function drawNightStars(
  rgb: Buffer,
  width: number,
  height: number,
  sunAltitudeDeg: number,
  siderealDeg: number,
  azimuthDeg: number,
  sigma1280: number,
): void {
  const visibility = 1 - smoothstep(-15, -9, sunAltitudeDeg);
  if (visibility <= 0) return;
  const sigma = Math.max(0.5, (sigma1280 * width) / 1280);
  const reach = Math.ceil(3 * sigma);
  const degPerPx = 70 / width;
  const horizonY = Math.round(height * 0.72);
  const twoS2 = 2 * sigma * sigma;
  for (const star of starsInView({ width, height, siderealDeg, azimuthDeg })) {
    // Peak level from the star's brightness, spread over its spot (the same flux at any focus).
    const peak = (visibility * STAR_PEAK_MAG0 * (star.luminance / STAR_L_MAG0) * 1.44) / (sigma * sigma);
    if (peak < 2) continue;
    if (star.y >= horizonY - ridgeElevationDeg(star.az) / degPerPx) continue;
    const x0 = Math.max(0, Math.floor(star.x - reach));
    const x1 = Math.min(width - 1, Math.ceil(star.x + reach));
    const y0 = Math.max(0, Math.floor(star.y - reach));
    const y1 = Math.min(height - 1, Math.ceil(star.y + reach));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - star.y;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - star.x;
        const v = peak * Math.exp(-(dx * dx + dy * dy) / twoS2);
        if (v < 0.5) continue;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) rgb[o + c] = Math.min(255, rgb[o + c]! + Math.round(v * star.tint[c]!));
      }
    }
  }
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

async function renderBase(deps: SimulatedPreviewDeps, width: number, height: number, fps: number): Promise<Base> {
  const at = deps.clock.now();
  const sky = skyState(deps.location, at);
  // Preview exposure: metered, but never longer than one frame.
  const choice = autoExposure(ev100FromLux(Math.max(sky.lux, 1e-6)), {
    ...DEFAULT_LIMITS,
    isoMax: 6400,
    shutterMax: 1 / Math.max(1, fps),
  });
  const rw = Math.min(width, RENDER_WIDTH);
  const rh = Math.max(16, Math.round((height * rw) / width));
  const siderealDeg = SiderealTime(at) * 15 + deps.location.longitude;
  const azimuthDeg = deps.azimuthDeg ?? 270;
  const small = renderSky({
    width: rw,
    height: rh,
    sky,
    siderealDeg,
    azimuthDeg,
    noiseSeed: Math.floor(Math.random() * 0x7fffffff),
    settings: {
      iso: choice.iso,
      shutterSeconds: choice.shutterSeconds,
      exposureCompensation: 0,
      awbMode: 0,
    },
  });
  const rgb =
    rw === width && rh === height
      ? small
      : await (
          await loadSharp()
        )(small, { raw: { width: rw, height: rh, channels: 3 } })
          .resize(width, height, { kernel: 'linear', fit: 'fill' })
          .raw()
          .toBuffer();
  drawNightStars(rgb, width, height, sky.sunAltitudeDeg, siderealDeg, azimuthDeg, deps.starSigmaPx ?? 1.2);
  return { rgb, exposureUs: choice.shutterSeconds * 1e6, iso: choice.iso, renderedAt: performance.now() };
}

/** Where decorate() draws: a noise patch at the bottom right and a 32-cell counter bar at the bottom left. */
interface Marks {
  patch: number;
  cell: number;
}

function marksFor(width: number, height: number): Marks {
  return { patch: Math.min(64, width, height), cell: Math.max(2, Math.floor(width / 160)) };
}

/** Byte ranges (start, end) of the pixels decorate() changes, row by row. */
function markedRanges(width: number, height: number, m: Marks): [number, number][] {
  const ranges: [number, number][] = [];
  for (let y = 0; y < m.patch; y++) {
    const o = ((height - m.patch + y) * width + (width - m.patch)) * 3;
    ranges.push([o, o + m.patch * 3]);
  }
  for (let y = height - m.cell; y < height; y++) {
    const o = y * width * 3;
    ranges.push([o, o + 32 * m.cell * 3]);
  }
  return ranges;
}

/** Draws the per-frame changes into `frame` (the base itself): noise patch and a counter bar. */
function decorate(frame: Buffer, width: number, height: number, seq: number, m: Marks): void {
  let seed = (seq * 2654435761) >>> 0;
  for (let y = 0; y < m.patch; y++) {
    let o = ((height - m.patch + y) * width + (width - m.patch)) * 3;
    for (let x = 0; x < m.patch * 3; x++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      frame[o] = Math.min(255, frame[o]! + (seed >>> 28));
      o++;
    }
  }
  // A 32-cell bar with the frame number in binary, bottom left.
  for (let bit = 0; bit < 32; bit++) {
    const on = (seq >>> bit) & 1 ? 230 : 20;
    for (let y = height - m.cell; y < height; y++) {
      const o = (y * width + bit * m.cell) * 3;
      frame.fill(on, o, o + m.cell * 3);
    }
  }
}

/**
 * The base's own pixels under the marks, to undo a frame's decoration before
 * the next one: each frame is drawn into the base itself instead of a full
 * copy of it (1280×720 is 2.7 MB, copied 25 times a second).
 */
function saveMarked(base: Buffer, ranges: readonly [number, number][]): Buffer {
  const saved = Buffer.allocUnsafe(ranges.reduce((n, [a, b]) => n + b - a, 0));
  let at = 0;
  for (const [a, b] of ranges) at += base.copy(saved, at, a, b);
  return saved;
}

function restoreMarked(base: Buffer, saved: Buffer, ranges: readonly [number, number][]): void {
  let at = 0;
  for (const [a, b] of ranges) {
    saved.copy(base, a, at, at + b - a);
    at += b - a;
  }
}

/** An endless stream of simulated preview frames until `signal` aborts. */
export async function* simulatedPreviewFrames(
  deps: SimulatedPreviewDeps,
  options: PreviewOptions,
  signal: AbortSignal,
): AsyncIterable<PreviewFrame> {
  const { width, height } = options;
  const quality = Math.round(Math.max(30, Math.min(95, options.quality ?? 70)));
  const fps = Math.max(1, Math.min(60, options.fps));
  const interval = 1000 / fps;
  const baseEvery = deps.baseIntervalMs ?? 1000;
  const marks = marksFor(width, height);
  const ranges = markedRanges(width, height, marks);
  // One frame buffer for the life of the stream: a new base is copied into it between encodes and
  // sharp's own output is dropped at once, so it dies young instead of piling up in V8's old
  // generation (a 1280×720 base a second) until a full collection.
  const first = await renderBase(deps, width, height, fps);
  const frame = first.rgb;
  let exposureUs = first.exposureUs;
  let iso = first.iso;
  let renderedAt = first.renderedAt;
  let clean = saveMarked(frame, ranges);
  let next: Promise<Base> | null = null;
  // Set by the render in flight, taken by the loop (a holder: the callback assigns it).
  const ready: { base: Base | null } = { base: null };
  let seq = 0;
  let due = performance.now();
  while (!signal.aborted) {
    if (ready.base !== null) {
      ready.base.rgb.copy(frame);
      clean = saveMarked(frame, ranges);
      ({ exposureUs, iso, renderedAt } = ready.base);
      ready.base = null;
    }
    if (next === null && performance.now() - renderedAt > baseEvery) {
      next = renderBase(deps, width, height, fps);
      next.then(
        (b) => {
          ready.base = b;
          next = null;
        },
        () => {
          next = null;
        },
      );
    }
    const capturedAtMs = performance.now();
    decorate(frame, width, height, seq++, marks);
    const jpeg = await (
      await loadSharp()
    )(frame, { raw: { width, height, channels: 3 } })
      .jpeg({ quality, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:2:0' })
      .toBuffer();
    restoreMarked(frame, clean, ranges);
    if (signal.aborted) return;
    yield { jpeg, width, height, exposureUs, iso: Math.round(iso), capturedAtMs };
    due += interval;
    const now = performance.now();
    if (due < now - interval) due = now; // fell behind: do not burst to catch up
    await sleep(due - now, signal);
  }
}
