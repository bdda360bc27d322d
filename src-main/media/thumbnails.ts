import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic.js';

export const THUMB_WIDTH = 320;
/** Width of the working copy that quality figures are measured on. */
const ANALYSIS_WIDTH = 640;

export interface QualityFigures {
  /** Mean luma, 0–255. */
  meanBrightness: number;
  /** Fraction of pixels at or above 250 (blown highlights). */
  clippedHighlights: number;
  /** Fraction of pixels at or below 5 (crushed shadows). */
  clippedShadows: number;
  /** Variance of the Laplacian of the luma: higher is sharper. */
  focusScore: number;
}

/**
 * Decode once (JPEG shrink-on-load, so a 24 MP original is never decoded in
 * full), write a thumbnail atomically, and measure the frame's quality figures
 * from the same small copy.
 */
export async function makeThumbnail(source: string, target: string, width = THUMB_WIDTH): Promise<QualityFigures> {
  const { data, info } = await sharp(source, { failOn: 'error' })
    .rotate()
    .resize({ width: Math.max(width, ANALYSIS_WIDTH), withoutEnlargement: true, fastShrinkOnLoad: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const thumb = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .resize({ width, withoutEnlargement: true })
    .jpeg({ quality: 78 })
    .toBuffer();
  await writeFileAtomic(target, thumb);
  return measureQuality(data, info.width, info.height, info.channels);
}

/** Quality figures from a raw interleaved 8-bit image (1–4 channels). */
export function measureQuality(data: Uint8Array, width: number, height: number, channels: number): QualityFigures {
  const n = width * height;
  const luma = new Float32Array(n);
  let sum = 0;
  let hi = 0;
  let lo = 0;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const y = channels >= 3 ? 0.2126 * data[p]! + 0.7152 * data[p + 1]! + 0.0722 * data[p + 2]! : data[p]!;
    luma[i] = y;
    sum += y;
    if (y >= 250) hi++;
    else if (y <= 5) lo++;
  }
  // Variance of the 4-neighbour Laplacian over the interior.
  let lsum = 0;
  let lsq = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const lap = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      lsum += lap;
      lsq += lap * lap;
      count++;
    }
  }
  const mean = count ? lsum / count : 0;
  return {
    meanBrightness: n ? sum / n : 0,
    clippedHighlights: n ? hi / n : 0,
    clippedShadows: n ? lo / n : 0,
    focusScore: count ? lsq / count - mean * mean : 0,
  };
}
