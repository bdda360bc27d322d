/**
 * Analysis of a painted frame on the main thread, kept cheap (a few ms on a
 * 1280×720 frame): the histogram on a copy downscaled to 192 px wide, the
 * focus figure on a 256×256 crop at full resolution around the view's centre
 * (downscaling would hide the very detail focus is about).
 */
import {
  clippingWarnings,
  histogram,
  laplacianVariance,
  looksLikeNight,
  starHalfFluxRadius,
  toGray,
  type Histogram,
} from './analysis';

export type FocusMode = 'auto' | 'day' | 'night';

export interface Measurement {
  histogram: Histogram;
  warnings: string[];
  night: boolean;
  /** 'sharpness' (Laplacian variance, higher is better) or 'hfr' (px, lower is better). */
  focusKind: 'sharpness' | 'hfr';
  focusValue: number | null;
  stars: number;
  elapsedMs: number;
}

const HIST_W = 192;
const CROP = 256;

export class FrameMeasurer {
  private readonly small = document.createElement('canvas');
  private readonly crop = document.createElement('canvas');

  /** `centre`: the image point (0–1) the focus crop is centred on. */
  measure(
    bitmap: HTMLCanvasElement | ImageBitmap,
    exposureUs: number,
    mode: FocusMode,
    centre: { x: number; y: number } = { x: 0.5, y: 0.5 },
  ): Measurement | null {
    const t0 = performance.now();
    const w = HIST_W;
    const h = Math.max(1, Math.round((bitmap.height / bitmap.width) * HIST_W));
    this.small.width = w;
    this.small.height = h;
    const sctx = this.small.getContext('2d', { willReadFrequently: true });
    const cw = Math.min(CROP, bitmap.width);
    const ch = Math.min(CROP, bitmap.height);
    this.crop.width = cw;
    this.crop.height = ch;
    const cctx = this.crop.getContext('2d', { willReadFrequently: true });
    if (!sctx || !cctx) return null;
    sctx.drawImage(bitmap, 0, 0, w, h);
    const hist = histogram(sctx.getImageData(0, 0, w, h).data);
    const night = mode === 'night' || (mode === 'auto' && looksLikeNight(hist.meanLuma, exposureUs));
    const sx = Math.max(0, Math.min(bitmap.width - cw, Math.round(centre.x * bitmap.width - cw / 2)));
    const sy = Math.max(0, Math.min(bitmap.height - ch, Math.round(centre.y * bitmap.height - ch / 2)));
    cctx.drawImage(bitmap, sx, sy, cw, ch, 0, 0, cw, ch);
    const gray = toGray(cctx.getImageData(0, 0, cw, ch).data);
    let focusValue: number | null;
    let stars = 0;
    if (night) {
      const s = starHalfFluxRadius(gray, cw, ch);
      focusValue = s.hfr;
      stars = s.stars;
    } else {
      focusValue = laplacianVariance(gray, cw, ch);
    }
    return {
      histogram: hist,
      warnings: clippingWarnings(hist, night),
      night,
      focusKind: night ? 'hfr' : 'sharpness',
      focusValue,
      stars,
      elapsedMs: performance.now() - t0,
    };
  }
}
