/**
 * Frame processing with sharp raw buffers: exposure fusion of a bracketed
 * set (Mertens-style) and dark-frame subtraction with automatic choice of
 * the best-matching dark. (Temporal noise reduction of a sequence is an
 * export option: ffmpeg hqdn3d or atadenoise.)
 */
import sharp from 'sharp';
import { saveImageAtomic } from './save-image.js';
import { StationError } from '../util/errors.js';

async function decode(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  try {
    const { data, info } = await sharp(path, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new StationError('frame_unreadable', `The image ${path} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function saveRaw(data: Uint8Array, width: number, height: number, outPath: string): Promise<void> {
  return saveImageAtomic(sharp(data, { raw: { width, height, channels: 3 } }), outPath);
}

/** In-place box blur of a single-channel float image (one horizontal and one vertical pass). */
function boxBlur(src: Float32Array, width: number, height: number, r: number): void {
  const tmp = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let s = 0;
    for (let x = -r; x <= r; x++) s += src[row + Math.min(width - 1, Math.max(0, x))]!;
    for (let x = 0; x < width; x++) {
      tmp[row + x] = s / (2 * r + 1);
      s += src[row + Math.min(width - 1, x + r + 1)]! - src[row + Math.max(0, x - r)]!;
    }
  }
  for (let x = 0; x < width; x++) {
    let s = 0;
    for (let y = -r; y <= r; y++) s += tmp[Math.min(height - 1, Math.max(0, y)) * width + x]!;
    for (let y = 0; y < height; y++) {
      src[y * width + x] = s / (2 * r + 1);
      s += tmp[Math.min(height - 1, y + r + 1) * width + x]! - tmp[Math.max(0, y - r) * width + x]!;
    }
  }
}

/**
 * Mertens-style exposure fusion: each pixel of each exposure gets a weight =
 * contrast (|Laplacian| of luma) × saturation (std of R,G,B) × well-exposedness
 * (Gaussian around mid-grey, sigma 0.2); the weight maps are blurred (a cheap
 * stand-in for the paper's Laplacian-pyramid blending, which avoids seams)
 * and the exposures are averaged with them. Images are folded in one at a
 * time: memory is two float accumulators whatever the bracket size.
 */
export async function fuseExposures(
  paths: readonly string[],
  outPath: string,
): Promise<{ outputPath: string; width: number; height: number }> {
  if (paths.length < 2)
    throw new StationError('fusion_needs_bracket', 'Exposure fusion needs at least two bracketed images.');
  let width = 0;
  let height = 0;
  let sumW: Float32Array | null = null;
  let sumWI: Float32Array | null = null;
  for (const path of paths) {
    const img = await decode(path);
    if (sumW === null) {
      ({ width, height } = img);
      sumW = new Float32Array(width * height);
      sumWI = new Float32Array(width * height * 3);
    } else if (img.width !== width || img.height !== height) {
      throw new StationError(
        'frame_size_mismatch',
        `${path} is ${img.width}×${img.height}; the bracket's first image is ${width}×${height}.`,
      );
    }
    const n = width * height;
    const luma = new Float32Array(n);
    const w = new Float32Array(n);
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      const r = img.data[p]! / 255;
      const g = img.data[p + 1]! / 255;
      const b = img.data[p + 2]! / 255;
      luma[i] = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const m = (r + g + b) / 3;
      const sat = Math.sqrt(((r - m) ** 2 + (g - m) ** 2 + (b - m) ** 2) / 3);
      const wellExposed =
        Math.exp(-((r - 0.5) ** 2) / 0.08) * Math.exp(-((g - 0.5) ** 2) / 0.08) * Math.exp(-((b - 0.5) ** 2) / 0.08);
      w[i] = (sat + 0.05) * wellExposed;
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        const c = luma[i]!;
        const lap = Math.abs(
          (x > 0 ? luma[i - 1]! : c) +
            (x < width - 1 ? luma[i + 1]! : c) +
            (y > 0 ? luma[i - width]! : c) +
            (y < height - 1 ? luma[i + width]! : c) -
            4 * c,
        );
        w[i] = w[i]! * (lap + 0.02) + 1e-6;
      }
    }
    boxBlur(w, width, height, Math.max(2, Math.round(Math.min(width, height) / 64)));
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      const wi = w[i]!;
      sumW[i] = sumW[i]! + wi;
      sumWI![p] = sumWI![p]! + wi * img.data[p]!;
      sumWI![p + 1] = sumWI![p + 1]! + wi * img.data[p + 1]!;
      sumWI![p + 2] = sumWI![p + 2]! + wi * img.data[p + 2]!;
    }
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    const s = sumW![i]!;
    out[p] = Math.round(sumWI![p]! / s);
    out[p + 1] = Math.round(sumWI![p + 1]! / s);
    out[p + 2] = Math.round(sumWI![p + 2]! / s);
  }
  await saveRaw(out, width, height, outPath);
  return { outputPath: outPath, width, height };
}

export interface ExposureMeta {
  exposureSeconds: number;
  gain: number;
  temperatureC?: number | null | undefined;
}

export interface DarkFrame extends ExposureMeta {
  path: string;
}

/**
 * Distance between a light's and a dark's conditions: exposure and gain in
 * stops (log2 ratio) weigh most, since dark current and amplifier glow scale
 * with them; temperature counts one unit per 5 °C (dark current roughly
 * doubles every 5–6 °C). An unknown temperature on either side costs 1.
 */
export function darkDistance(light: ExposureMeta, dark: ExposureMeta): number {
  const stops = (a: number, b: number): number => Math.abs(Math.log2(Math.max(1e-9, a) / Math.max(1e-9, b)));
  const temp =
    typeof light.temperatureC === 'number' && typeof dark.temperatureC === 'number'
      ? Math.abs(light.temperatureC - dark.temperatureC) / 5
      : 1;
  return 4 * stops(light.exposureSeconds, dark.exposureSeconds) + 2 * stops(light.gain, dark.gain) + temp;
}

/** The dark that best matches the light (smallest darkDistance; the first on a tie). */
export function pickDark<D extends DarkFrame>(light: ExposureMeta, darks: readonly D[]): D {
  if (darks.length === 0)
    throw new StationError('no_dark_frames', 'No dark frames to choose from. Capture darks (lens capped) first.');
  let best = darks[0]!;
  let bestD = darkDistance(light, best);
  for (const d of darks.slice(1)) {
    const dist = darkDistance(light, d);
    if (dist < bestD) {
      best = d;
      bestD = dist;
    }
  }
  return best;
}

/**
 * Subtract the best-matching dark from a light frame (per pixel, clamped at
 * 0) and write the result. Returns the dark that was used.
 */
export async function subtractDark(
  light: { path: string } & ExposureMeta,
  darks: readonly DarkFrame[],
  outPath: string,
): Promise<{ outputPath: string; dark: DarkFrame; distance: number }> {
  const dark = pickDark(light, darks);
  const [l, d] = await Promise.all([decode(light.path), decode(dark.path)]);
  if (l.width !== d.width || l.height !== d.height) {
    throw new StationError(
      'frame_size_mismatch',
      `The dark ${dark.path} is ${d.width}×${d.height}; the light is ${l.width}×${l.height}.`,
    );
  }
  const out = new Uint8Array(l.data.length);
  for (let p = 0; p < out.length; p++) out[p] = Math.max(0, l.data[p]! - d.data[p]!);
  await saveRaw(out, l.width, l.height, outPath);
  return { outputPath: outPath, dark, distance: darkDistance(light, dark) };
}
