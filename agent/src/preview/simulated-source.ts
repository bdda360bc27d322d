/**
 * Live preview frames for the simulated camera. Rendering the whole sky per
 * frame is too slow for 25 fps, so a base image is rendered about once a
 * second (small, then scaled by sharp in its thread pool) and each frame only
 * adds cheap changes (sensor noise in a patch and a moving frame counter)
 * before a fast JPEG encode.
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

/** Draws the per-frame changes into `frame` (a copy of the base): noise patch and a counter bar. */
function decorate(frame: Buffer, width: number, height: number, seq: number): void {
  const patch = Math.min(64, width, height);
  let seed = (seq * 2654435761) >>> 0;
  for (let y = 0; y < patch; y++) {
    let o = ((height - patch + y) * width + (width - patch)) * 3;
    for (let x = 0; x < patch * 3; x++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      frame[o] = Math.min(255, frame[o]! + (seed >>> 28));
      o++;
    }
  }
  // A 32-cell bar with the frame number in binary, bottom left.
  const cell = Math.max(2, Math.floor(width / 160));
  for (let bit = 0; bit < 32; bit++) {
    const on = (seq >>> bit) & 1 ? 230 : 20;
    for (let y = height - cell; y < height; y++) {
      const o = (y * width + bit * cell) * 3;
      frame.fill(on, o, o + cell * 3);
    }
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
  let base = await renderBase(deps, width, height, fps);
  let next: Promise<Base> | null = null;
  const frame = Buffer.allocUnsafe(base.rgb.length);
  let seq = 0;
  let due = performance.now();
  while (!signal.aborted) {
    if (next === null && performance.now() - base.renderedAt > baseEvery) {
      next = renderBase(deps, width, height, fps);
      next.then(
        (b) => {
          base = b;
          next = null;
        },
        () => {
          next = null;
        },
      );
    }
    const capturedAtMs = performance.now();
    base.rgb.copy(frame);
    decorate(frame, width, height, seq++);
    const jpeg = await (
      await loadSharp()
    )(frame, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 70, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:2:0' })
      .toBuffer();
    if (signal.aborted) return;
    yield { jpeg, width, height, exposureUs: base.exposureUs, capturedAtMs };
    due += interval;
    const now = performance.now();
    if (due < now - interval) due = now; // fell behind: do not burst to catch up
    await sleep(due - now, signal);
  }
}
