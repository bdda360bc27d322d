/**
 * Live preview frames for the simulated camera. Rendering the whole sky per
 * frame is too slow for 25 fps, so a base image is rendered about once a
 * second (small, then scaled by sharp in its thread pool) and each frame only
 * adds cheap changes (sensor noise in a patch and a moving frame counter),
 * drawn into the base and undone after a fast JPEG encode.
 */
import { performance } from 'node:perf_hooks';
import { SiderealTime } from 'astronomy-engine';
import { loadSharp } from '../util/sharp.js';
import type { PreviewFrame, PreviewOptions } from '../camera/driver.js';
import { renderSky } from '../camera/sky-render.js';
import { autoExposure, DEFAULT_LIMITS, ev100FromLux } from '../exposure.js';
import type { Clock } from '../sky/clock.js';
import { skyState, type Location } from '../sky/model.js';

export interface SimulatedPreviewDeps {
  clock: Clock;
  location: Location;
  azimuthDeg?: number;
  /** How often the base sky is re-rendered. */
  baseIntervalMs?: number;
}

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
  renderedAt: number;
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
  const small = renderSky({
    width: rw,
    height: rh,
    sky,
    siderealDeg: SiderealTime(at) * 15 + deps.location.longitude,
    azimuthDeg: deps.azimuthDeg ?? 270,
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
  return { rgb, exposureUs: choice.shutterSeconds * 1e6, renderedAt: performance.now() };
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
      ({ exposureUs, renderedAt } = ready.base);
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
      .jpeg({ quality: 70, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:2:0' })
      .toBuffer();
    restoreMarked(frame, clean, ranges);
    if (signal.aborted) return;
    yield { jpeg, width, height, exposureUs, capturedAtMs };
    due += interval;
    const now = performance.now();
    if (due < now - interval) due = now; // fell behind: do not burst to catch up
    await sleep(due - now, signal);
  }
}
