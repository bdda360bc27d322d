/**
 * LRTimelapse-style deflicker: measure each frame's brightness on a small
 * shrink-on-load decode, smooth the brightness curve over a centred window,
 * and scale every frame by smoothed / measured before encoding.
 */
import sharp from 'sharp';
import { StationError } from '../util/errors.js';

/** Side of the decode used for metering (JPEG shrink-on-load makes this cheap). */
const METER_SIZE = 128;

/** Mean luma (0–255, Rec. 709 weights on sRGB values) of one image. */
export async function measureBrightness(path: string): Promise<number> {
  let data: Buffer;
  let channels: number;
  try {
    const r = await sharp(path, { failOn: 'error' })
      .resize({ width: METER_SIZE, height: METER_SIZE, fit: 'inside', fastShrinkOnLoad: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    data = r.data;
    channels = r.info.channels;
  } catch (err) {
    throw new StationError('frame_unreadable', `The frame ${path} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let sum = 0;
  const n = data.length / channels;
  for (let p = 0; p < data.length; p += channels) {
    sum += channels >= 3 ? 0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]! : data[p]!;
  }
  return n ? sum / n : 0;
}

/** Measure many frames, a few at a time, keeping only the numbers. */
export async function measureAll(
  paths: readonly string[],
  options: { concurrency?: number; signal?: AbortSignal | undefined; onMeasured?: (done: number) => void } = {},
): Promise<Float64Array> {
  const out = new Float64Array(paths.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      if (options.signal?.aborted) throw new StationError('export_cancelled', 'The export was cancelled.');
      const i = next++;
      out[i] = await measureBrightness(paths[i]!);
      options.onMeasured?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, paths.length) }, worker));
  return out;
}

/**
 * Smooth a brightness curve: a Gaussian-weighted mean of log brightness over
 * a centred window (sigma = window/4, truncated and renormalised at the ends),
 * then a second pass that ignores samples more than 3 MADs away from the
 * first estimate (a passing car's headlights, a lightning flash). Alternating
 * flicker, which a plain moving average or median of an odd window leaves
 * partly in, is removed almost entirely by the Gaussian weights.
 */
export function smoothCurve(values: ArrayLike<number>, window: number): Float64Array {
  const n = values.length;
  const half = Math.max(1, Math.floor(window / 2));
  const sigma = Math.max(0.5, window / 4);
  const w = Array.from({ length: half + 1 }, (_, k) => Math.exp(-(k * k) / (2 * sigma * sigma)));
  const logv = Float64Array.from({ length: n }, (_, i) => Math.log(Math.max(0.5, values[i]!)));
  const pass = (keep: (i: number, j: number) => boolean): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      let ws = 0;
      for (let k = -half; k <= half; k++) {
        const j = i + k;
        if (j < 0 || j >= n || !keep(i, j)) continue;
        const wk = w[Math.abs(k)]!;
        s += wk * logv[j]!;
        ws += wk;
      }
      out[i] = ws > 0 ? s / ws : logv[i]!;
    }
    return out;
  };
  const first = pass(() => true);
  const resid = Float64Array.from({ length: n }, (_, i) => Math.abs(logv[i]! - first[i]!));
  const sorted = [...resid].sort((a, b) => a - b);
  const mad = Math.max(0.02, sorted[Math.floor(n / 2)] ?? 0);
  const second = pass((_i, j) => resid[j]! <= 3 * mad * 1.4826);
  return second.map((v) => Math.exp(v));
}

/** Per-frame gains (smoothed / measured), clamped to ±2 stops. */
export function deflickerGains(measured: ArrayLike<number>, window: number): Float64Array {
  const smooth = smoothCurve(measured, window);
  return smooth.map((s, i) => Math.min(4, Math.max(0.25, s / Math.max(0.5, measured[i]!))));
}

/** Standard deviation of frame-to-frame differences: the flicker figure used by tests and notes. */
export function flickerIndex(values: ArrayLike<number>): number {
  const d: number[] = [];
  for (let i = 1; i < values.length; i++) d.push(values[i]! - values[i - 1]!);
  if (d.length === 0) return 0;
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
}
