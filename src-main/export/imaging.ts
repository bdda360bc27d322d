/**
 * Frame processing with sharp raw buffers: exposure fusion of a bracketed
 * set (Mertens-style) and dark-frame subtraction with automatic choice of
 * the best-matching dark (or a master dark: the per-pixel median of several).
 * (Temporal noise reduction of a sequence is an export option: ffmpeg hqdn3d
 * or atadenoise.) The export pipeline uses these through processing.ts.
 *
 * The per-pixel loops run on the brain's thread; each pass over a frame is
 * tens of milliseconds at 1080p and the functions yield to the event loop
 * between passes, so API calls and syncs keep being served during an export.
 */
import sharp from 'sharp';
import { saveImageAtomic } from './save-image.js';
import { StationError } from '../util/errors.js';

/** An 8-bit RGB image in memory. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function decodeRaw(path: string): Promise<RawImage> {
  try {
    const { data, info } = await sharp(path, { failOn: 'error', sequentialRead: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new StationError('frame_unreadable', `The image ${path} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function saveRaw(img: RawImage, outPath: string): Promise<void> {
  return saveImageAtomic(sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }), outPath);
}

function sameSize(a: RawImage, b: RawImage, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new StationError(
      'frame_size_mismatch',
      `${what} is ${b.width}×${b.height}; expected ${a.width}×${a.height}.`,
    );
  }
}

/** Well-exposedness of one channel value: a Gaussian around mid-grey (sigma 0.2). */
const WELL_EXPOSED = Float32Array.from({ length: 256 }, (_, v) => Math.exp(-((v / 255 - 0.5) ** 2) / 0.08));

/** Rows of output computed per band (see fuseImages). */
const FUSION_BAND_ROWS = 256;

/**
 * Mertens-style exposure fusion: each pixel of each exposure gets a weight =
 * contrast (|Laplacian| of luma) × saturation (std of R,G,B) × well-exposedness
 * (Gaussian around mid-grey, sigma 0.2); the weight maps are box-blurred (a
 * cheap stand-in for the paper's Laplacian-pyramid blending, which avoids
 * seams) and the exposures are averaged with them.
 *
 * Memory: the decoded set plus small float planes. The image is computed in
 * horizontal bands of FUSION_BAND_ROWS rows, each with a halo of blur radius
 * + 1 rows so the result is the same as over the whole image; the float
 * planes are ~24 bytes per pixel of one band with its halo (~12 MB at 1080p),
 * not of the whole image (50 MB). The thread yields between bands.
 */
/**
 * What a caller fusing many sets keeps between calls: the output and the float
 * planes, reused while the image size stays the same, so a long export makes
 * no garbage per frame for the collector to catch up with.
 */
export interface FusionScratch {
  out?: Uint8Array;
  planes?: {
    key: string;
    luma: Float32Array;
    w: Float32Array;
    tmp: Float32Array;
    sumW: Float32Array;
    sumWI: Float32Array;
  };
}

export async function fuseImages(images: readonly RawImage[], scratch: FusionScratch = {}): Promise<RawImage> {
  if (images.length < 2)
    throw new StationError('fusion_needs_bracket', 'Exposure fusion needs at least two bracketed images.');
  const { width, height } = images[0]!;
  for (const img of images.slice(1)) sameSize(images[0]!, img, 'A bracketed image');
  const r = Math.max(2, Math.round(Math.min(width, height) / 64));
  const halo = r + 1;
  const bandRows = Math.min(height, FUSION_BAND_ROWS);
  const planeRows = Math.min(height, bandRows + 2 * halo);
  const key = `${width}x${height}`;
  if (scratch.planes?.key !== key) {
    scratch.planes = {
      key,
      luma: new Float32Array((planeRows + 2) * width),
      w: new Float32Array(planeRows * width),
      tmp: new Float32Array(planeRows * width),
      sumW: new Float32Array(bandRows * width),
      sumWI: new Float32Array(bandRows * width * 3),
    };
  }
  const { luma, w, tmp, sumW, sumWI } = scratch.planes;
  if (scratch.out?.length !== width * height * 3) scratch.out = new Uint8Array(width * height * 3);
  const out = scratch.out;
  const norm = 1 / (2 * r + 1);

  for (let y0 = 0; y0 < height; y0 += bandRows) {
    const y1 = Math.min(height, y0 + bandRows);
    // Weights are needed on [h0, h1); their Laplacian reads luma one row further on each side.
    const h0 = Math.max(0, y0 - halo);
    const h1 = Math.min(height, y1 + halo);
    const l0 = Math.max(0, h0 - 1);
    const l1 = Math.min(height, h1 + 1);
    sumW.fill(0);
    sumWI.fill(0);
    for (const { data } of images) {
      // Luma of rows [l0, l1) at luma[(y - l0) * width + x].
      for (let y = l0; y < l1; y++) {
        const row = (y - l0) * width;
        for (let x = 0, p = y * width * 3; x < width; x++, p += 3) {
          luma[row + x] = (0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]!) / 255;
        }
      }
      // Weights of rows [h0, h1) at w[(y - h0) * width + x].
      for (let y = h0; y < h1; y++) {
        const lr = (y - l0) * width;
        const wr = (y - h0) * width;
        for (let x = 0, p = y * width * 3; x < width; x++, p += 3) {
          const R = data[p]!;
          const G = data[p + 1]!;
          const B = data[p + 2]!;
          const m = (R + G + B) / 3;
          const sat = Math.sqrt(((R - m) ** 2 + (G - m) ** 2 + (B - m) ** 2) / 3) / 255;
          const c = luma[lr + x]!;
          const lap = Math.abs(
            (x > 0 ? luma[lr + x - 1]! : c) +
              (x < width - 1 ? luma[lr + x + 1]! : c) +
              (y > 0 ? luma[lr + x - width]! : c) +
              (y < height - 1 ? luma[lr + x + width]! : c) -
              4 * c,
          );
          w[wr + x] = (sat + 0.05) * WELL_EXPOSED[R]! * WELL_EXPOSED[G]! * WELL_EXPOSED[B]! * (lap + 0.02) + 1e-6;
        }
      }
      // Box blur: horizontal into tmp, then vertical for the band's own rows (clamped at the image's edges).
      const rows = h1 - h0;
      for (let j = 0; j < rows; j++) {
        const row = j * width;
        let s = 0;
        for (let x = -r; x <= r; x++) s += w[row + Math.min(width - 1, Math.max(0, x))]!;
        for (let x = 0; x < width; x++) {
          tmp[row + x] = s * norm;
          s += w[row + Math.min(width - 1, x + r + 1)]! - w[row + Math.max(0, x - r)]!;
        }
      }
      const at = (y: number): number => (Math.min(height - 1, Math.max(0, y)) - h0) * width;
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let y = y0 - r; y <= y0 + r; y++) s += tmp[at(y) + x]!;
        for (let y = y0; y < y1; y++) {
          const wi = s * norm;
          const i = (y - y0) * width + x;
          const p = (y * width + x) * 3;
          sumW[i] = sumW[i]! + wi;
          sumWI[i * 3] = sumWI[i * 3]! + wi * data[p]!;
          sumWI[i * 3 + 1] = sumWI[i * 3 + 1]! + wi * data[p + 1]!;
          sumWI[i * 3 + 2] = sumWI[i * 3 + 2]! + wi * data[p + 2]!;
          s += tmp[at(y + r + 1) + x]! - tmp[at(y - r) + x]!;
        }
      }
    }
    for (let i = 0, n = (y1 - y0) * width, o = y0 * width * 3; i < n; i++) {
      const k = 1 / sumW[i]!;
      out[o + i * 3] = Math.round(sumWI[i * 3]! * k);
      out[o + i * 3 + 1] = Math.round(sumWI[i * 3 + 1]! * k);
      out[o + i * 3 + 2] = Math.round(sumWI[i * 3 + 2]! * k);
    }
    await tick();
  }
  return { data: out, width, height };
}

/** Fuse a bracketed set of image files and write the result (atomically). */
export async function fuseExposures(
  paths: readonly string[],
  outPath: string,
): Promise<{ outputPath: string; width: number; height: number }> {
  if (paths.length < 2)
    throw new StationError('fusion_needs_bracket', 'Exposure fusion needs at least two bracketed images.');
  const images: RawImage[] = [];
  for (const path of paths) images.push(await decodeRaw(path));
  const out = await fuseImages(images);
  await saveRaw(out, outPath);
  return { outputPath: outPath, width: out.width, height: out.height };
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

/**
 * Largest darkDistance at which a dark is still used: e.g. the same exposure
 * and gain up to 15 °C apart, or a third of a stop of exposure and 8 °C. A
 * light with no dark this close is exported as it is (and counted in the
 * job's warnings): subtracting a wrong dark adds more noise than it removes.
 */
export const DARK_MAX_DISTANCE = 3;

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

/** Linear light of each 8-bit sRGB code (the inverse of the sRGB tone curve). */
const SRGB_TO_LINEAR = Float32Array.from({ length: 256 }, (_, c) => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
});
/** 8-bit sRGB code of linear light, over LINEAR_STEPS + 1 steps of [0, 1]. */
const LINEAR_STEPS = 65535;
const LINEAR_TO_SRGB = Uint8Array.from({ length: LINEAR_STEPS + 1 }, (_, i) => {
  const v = i / LINEAR_STEPS;
  return Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
});

/**
 * light − dark per pixel in linear light (both decoded through the inverse
 * sRGB curve, the difference clamped at 0 and encoded again), written into
 * the light's buffer (returned). Dark current adds to the scene's light on
 * the sensor, before the camera's tone curve: subtracting the 8-bit codes
 * directly would leave hot pixels over a bright sky and dig holes in a dark
 * one.
 */
export function subtractInPlace(light: RawImage, dark: RawImage, what = 'The dark'): RawImage {
  sameSize(light, dark, what);
  const l = light.data;
  const d = dark.data;
  for (let p = 0; p < l.length; p++) {
    const v = SRGB_TO_LINEAR[l[p]!]! - SRGB_TO_LINEAR[d[p]!]!;
    l[p] = v > 0 ? LINEAR_TO_SRGB[Math.round(v * LINEAR_STEPS)]! : 0;
  }
  return light;
}

/**
 * A master dark: the per-pixel median of the darks (three or more: a cosmic
 * ray or a passing light in one dark is ignored), else their mean. The
 * median holds every dark in memory, so stacks are kept small (see
 * processing.ts, at most 5).
 */
export async function masterDark(paths: readonly string[]): Promise<RawImage> {
  if (paths.length === 0)
    throw new StationError('no_dark_frames', 'No dark frames to choose from. Capture darks (lens capped) first.');
  const first = await decodeRaw(paths[0]!);
  if (paths.length === 1) return first;
  const imgs = [first];
  for (const p of paths.slice(1)) {
    const img = await decodeRaw(p);
    sameSize(first, img, `The dark ${p}`);
    imgs.push(img);
  }
  const k = imgs.length;
  const out = new Uint8Array(first.data.length);
  if (k === 2) {
    const [a, b] = [imgs[0]!.data, imgs[1]!.data];
    for (let p = 0; p < out.length; p++) out[p] = (a[p]! + b[p]! + 1) >> 1;
  } else {
    const v = new Uint8Array(k);
    const datas = imgs.map((i) => i.data);
    for (let p = 0; p < out.length; p++) {
      // Insertion sort of k (≤ 9) values.
      for (let j = 0; j < k; j++) {
        const x = datas[j]![p]!;
        let m = j;
        while (m > 0 && v[m - 1]! > x) {
          v[m] = v[m - 1]!;
          m--;
        }
        v[m] = x;
      }
      out[p] = k % 2 === 1 ? v[k >> 1]! : (v[(k >> 1) - 1]! + v[k >> 1]! + 1) >> 1;
    }
  }
  return { data: out, width: first.width, height: first.height };
}

/**
 * Subtract the best-matching dark from a light frame (per pixel in linear
 * light, clamped at 0: see subtractInPlace) and write the result. Returns the
 * dark that was used.
 */
export async function subtractDark(
  light: { path: string } & ExposureMeta,
  darks: readonly DarkFrame[],
  outPath: string,
): Promise<{ outputPath: string; dark: DarkFrame; distance: number }> {
  const dark = pickDark(light, darks);
  const [l, d] = await Promise.all([decodeRaw(light.path), decodeRaw(dark.path)]);
  await saveRaw(subtractInPlace(l, d, `The dark ${dark.path}`), outPath);
  return { outputPath: outPath, dark, distance: darkDistance(light, dark) };
}

/** Exposure time in seconds from a shutter speed as the agent reports it ("1/500", "2.5"); null if unreadable. */
export function shutterSeconds(s: string | null | undefined): number | null {
  if (typeof s !== 'string') return null;
  const t = s.trim().replace(/s$/, '');
  const frac = /^(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(t);
  const v = frac ? Number(frac[1]) / Number(frac[2]) : /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
}
