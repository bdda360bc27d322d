/**
 * Night products with sharp: a keogram (the centre column of every frame side
 * by side, hour ticks burned in) and a startrails image (lighten blend, i.e.
 * the per-pixel maximum over all frames). Both read frames one at a time (a
 * few in flight), so memory is the output image plus a few decoded frames.
 */
import sharp from 'sharp';
import { saveImageAtomic } from './save-image.js';
import { StationError } from '../util/errors.js';
import { orderFrames } from './timeline.js';

export type NightFrame = string | { path: string; capturedAt: string };

export interface NightProductResult {
  outputPath: string;
  width: number;
  height: number;
  frames: number;
}

const IN_FLIGHT = 3;

function normalise(frames: readonly NightFrame[]): { path: string; t: number | null }[] {
  if (frames.length === 0) throw new StationError('no_frames', 'Select at least one frame.');
  if (frames.every((f) => typeof f !== 'string')) return orderFrames(frames).map((f) => ({ path: f.path, t: f.t }));
  return frames.map((f) =>
    typeof f === 'string' ? { path: f, t: null } : { path: f.path, t: Date.parse(f.capturedAt) },
  );
}

/** Map over items with a few in flight, delivering results in order. */
async function inOrder<T, R>(
  items: readonly T[],
  work: (item: T, i: number) => Promise<R>,
  use: (r: R, i: number) => void,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const inflight: Promise<R>[] = [];
  let next = 0;
  const launch = (): void => {
    while (inflight.length < IN_FLIGHT && next < items.length) {
      const p = work(items[next]!, next);
      next++;
      p.catch(() => undefined);
      inflight.push(p);
    }
  };
  launch();
  for (let i = 0; inflight.length > 0; i++) {
    if (signal?.aborted) throw new StationError('export_cancelled', 'The export was cancelled.');
    const r = await inflight.shift()!;
    launch();
    use(r, i);
    onProgress?.(i + 1, items.length);
  }
}

function unreadable(path: string, err: unknown): StationError {
  return new StationError('frame_unreadable', `The frame ${path} could not be read: ${(err as Error).message}`, {
    cause: err,
  });
}

export interface KeogramOptions {
  /** Burn hour ticks (top and bottom edges) where the hour changes; default true. Needs capture times. */
  hourTicks?: boolean;
  signal?: AbortSignal | undefined;
  /** Called after each frame is folded in. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /**
   * Narrowest output (default KEOGRAM_MIN_WIDTH): with fewer frames than this,
   * each frame's column is repeated (nearest neighbour, the same whole number
   * of times for every frame) so a short night is still a viewable image.
   */
  minWidth?: number;
}

/** A keogram of a few frames is widened to at least this many pixels. */
export const KEOGRAM_MIN_WIDTH = 720;

/**
 * Keogram: strip i is the centre column of frame i (ordered by capture time
 * when times are given), repeated `ceil(minWidth / frames)` times when there
 * are fewer frames than minWidth. Height = frame height (frames of another
 * height are resized to the first's).
 */
export async function makeKeogram(
  frames: readonly NightFrame[],
  outPath: string,
  options: KeogramOptions = {},
): Promise<NightProductResult> {
  const list = normalise(frames);
  let height: number;
  try {
    height = (await sharp(list[0]!.path).metadata()).height;
  } catch (err) {
    throw unreadable(list[0]!.path, err);
  }
  const scale = Math.max(1, Math.ceil((options.minWidth ?? KEOGRAM_MIN_WIDTH) / list.length));
  const width = list.length * scale;
  const out = Buffer.alloc(width * height * 3);
  await inOrder(
    list,
    async (f) => {
      try {
        let img = sharp(f.path, { failOn: 'error' });
        const meta = await img.metadata();
        if (meta.height !== height) {
          img = sharp(
            await img
              .resize({ height, width: Math.max(1, Math.round((meta.width * height) / meta.height)), fit: 'fill' })
              .toBuffer(),
          );
        }
        const w = meta.height !== height ? Math.max(1, Math.round((meta.width * height) / meta.height)) : meta.width;
        return await img
          .extract({ left: Math.floor(w / 2), top: 0, width: 1, height })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer();
      } catch (err) {
        throw unreadable(f.path, err);
      }
    },
    (col, i) => {
      for (let y = 0; y < height; y++) {
        const row = (y * width + i * scale) * 3;
        for (let k = 0; k < scale; k++) col.copy(out, row + k * 3, y * 3, y * 3 + 3);
      }
    },
    options.signal,
    options.onProgress,
  );
  if (options.hourTicks !== false) {
    const tick = Math.max(3, Math.round(height / 25));
    // A tick is one column wide unwidened, two when each frame spans several columns.
    const tickWidth = Math.min(scale, 2);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!.t;
      const b = list[i]!.t;
      if (a === null || b === null || Math.floor(a / 3_600_000) === Math.floor(b / 3_600_000)) continue;
      const x = i * scale;
      for (const y0 of [0, height - tick]) {
        for (let y = y0; y < y0 + tick; y++) out.fill(255, (y * width + x) * 3, (y * width + x + tickWidth) * 3);
      }
    }
  }
  await saveImageAtomic(sharp(out, { raw: { width, height, channels: 3 } }), outPath);
  return { outputPath: outPath, width, height, frames: list.length };
}

/**
 * Startrails: the lighten blend (per-pixel, per-channel maximum) over all
 * frames, folded into one accumulator frame by frame. Frames must share the
 * first frame's size.
 */
export async function makeStartrails(
  frames: readonly NightFrame[],
  outPath: string,
  options: {
    signal?: AbortSignal | undefined;
    onProgress?: ((done: number, total: number) => void) | undefined;
  } = {},
): Promise<NightProductResult> {
  const list = normalise(frames);
  let acc: Buffer | null = null;
  let width = 0;
  let height = 0;
  await inOrder(
    list,
    async (f) => {
      try {
        return await sharp(f.path, { failOn: 'error' })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
      } catch (err) {
        throw unreadable(f.path, err);
      }
    },
    ({ data, info }, i) => {
      if (acc === null) {
        acc = Buffer.from(data);
        width = info.width;
        height = info.height;
        return;
      }
      if (info.width !== width || info.height !== height || info.channels !== 3) {
        throw new StationError(
          'frame_size_mismatch',
          `The frame ${list[i]!.path} is ${info.width}×${info.height}; startrails need every frame at ${width}×${height}.`,
        );
      }
      const a: Buffer = acc;
      for (let p = 0; p < a.length; p++) if (data[p]! > a[p]!) a[p] = data[p]!;
    },
    options.signal,
    options.onProgress,
  );
  await saveImageAtomic(sharp(acc!, { raw: { width, height, channels: 3 } }), outPath);
  return { outputPath: outPath, width, height, frames: list.length };
}
