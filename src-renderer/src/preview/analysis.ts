/**
 * What the preview view measures on each analysed frame, as pure functions on
 * RGBA pixels (ImageData.data) so they are tested without a browser:
 * histogram (luminance and RGB) with clipping, and the focus aids: the
 * variance of the Laplacian (sharper detail by day: higher is better) and the
 * half-flux radius of detected stars (at night: smaller is better).
 */

export interface Histogram {
  r: Uint32Array;
  g: Uint32Array;
  b: Uint32Array;
  luma: Uint32Array;
  pixels: number;
  /** Fraction of pixels with any channel at 254 or more. */
  clippedHigh: number;
  /** Fraction of pixels whose luminance is 1 or less. */
  clippedLow: number;
  /** Mean luminance, 0–255. */
  meanLuma: number;
}

/** Rec. 601 luma, as JPEG stores it (integer arithmetic). */
const lumaOf = (r: number, g: number, b: number): number => (r * 77 + g * 150 + b * 29) >> 8;

export function histogram(rgba: Uint8ClampedArray | Uint8Array): Histogram {
  const r = new Uint32Array(256);
  const g = new Uint32Array(256);
  const b = new Uint32Array(256);
  const luma = new Uint32Array(256);
  let high = 0;
  let low = 0;
  let sum = 0;
  const n = rgba.length >> 2;
  for (let i = 0; i < rgba.length; i += 4) {
    const R = rgba[i]!;
    const G = rgba[i + 1]!;
    const B = rgba[i + 2]!;
    const L = lumaOf(R, G, B);
    r[R]!++;
    g[G]!++;
    b[B]!++;
    luma[L]!++;
    sum += L;
    if (R >= 254 || G >= 254 || B >= 254) high++;
    if (L <= 1) low++;
  }
  return {
    r,
    g,
    b,
    luma,
    pixels: n,
    clippedHigh: n === 0 ? 0 : high / n,
    clippedLow: n === 0 ? 0 : low / n,
    meanLuma: n === 0 ? 0 : sum / n,
  };
}

/** Clipping worth telling the operator about: more than 0.5 % blown highlights, or more than 20 % crushed shadows. */
export function clippingWarnings(h: Histogram, night: boolean): string[] {
  const out: string[] = [];
  if (h.clippedHigh > 0.005) out.push(`Highlights clipped: ${(h.clippedHigh * 100).toFixed(1)} % of pixels`);
  // A night sky is mostly dark by nature: only warn of crushed shadows by day.
  if (!night && h.clippedLow > 0.2) out.push(`Shadows crushed: ${(h.clippedLow * 100).toFixed(0)} % of pixels`);
  return out;
}

/** Luminance of every pixel (0–255). */
export function toGray(rgba: Uint8ClampedArray | Uint8Array): Float32Array {
  const out = new Float32Array(rgba.length >> 2);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j++) {
    out[j] = 0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!;
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian over the interior: higher means more fine detail (sharper). */
export function laplacianVariance(gray: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const v = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * gray[i]!;
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

export interface StarMeasure {
  /** Median half-flux radius of the detected stars, in pixels; null when none were found. */
  hfr: number | null;
  stars: number;
}

/**
 * Finds stars (local maxima well above the background) and returns their
 * median half-flux radius: Σ(r·flux)/Σflux within a small aperture, the figure
 * focusing tools minimise. Background and noise come from the median and the
 * median absolute deviation; only pixels `clipSigma` (3) noise deviations
 * above the background count towards a star's flux.
 */
export function starHalfFluxRadius(
  gray: Float32Array,
  width: number,
  height: number,
  opts: { aperture?: number; maxStars?: number; clipSigma?: number } = {},
): StarMeasure {
  const R = opts.aperture ?? 8;
  const maxStars = opts.maxStars ?? 40;
  if (width <= 2 * R + 2 || height <= 2 * R + 2) return { hfr: null, stars: 0 };
  const bg = medianOf(gray);
  const dev = new Float32Array(gray.length);
  for (let i = 0; i < gray.length; i++) dev[i] = Math.abs(gray[i]! - bg);
  const sigma = Math.max(1, 1.4826 * medianOf(dev));
  const threshold = bg + Math.max(6 * sigma, 12);
  const clip = (opts.clipSigma ?? 3) * sigma;
  const peaks: { i: number; v: number }[] = [];
  for (let y = R + 1; y < height - R - 1; y++) {
    for (let x = R + 1; x < width - R - 1; x++) {
      const i = y * width + x;
      const v = gray[i]!;
      if (v < threshold) continue;
      if (
        v < gray[i - 1]! ||
        v <= gray[i + 1]! ||
        v < gray[i - width]! ||
        v <= gray[i + width]! ||
        v < gray[i - width - 1]! ||
        v <= gray[i + width + 1]! ||
        v < gray[i - width + 1]! ||
        v <= gray[i + width - 1]!
      ) {
        continue;
      }
      peaks.push({ i, v });
    }
  }
  peaks.sort((a, b) => b.v - a.v);
  const taken: number[] = [];
  const radii: number[] = [];
  for (const p of peaks) {
    if (radii.length >= maxStars) break;
    const px = p.i % width;
    const py = (p.i - px) / width;
    // One measurement per star: skip peaks inside an aperture already measured.
    if (taken.some((t) => Math.abs((t % width) - px) <= R && Math.abs(Math.floor(t / width) - py) <= R)) continue;
    taken.push(p.i);
    let flux = 0;
    let weighted = 0;
    for (let dy = -R; dy <= R; dy++) {
      for (let dx = -R; dx <= R; dx++) {
        const r = Math.sqrt(dx * dx + dy * dy);
        if (r > R) continue;
        const f = gray[(py + dy) * width + px + dx]! - bg;
        // Only pixels clearly above the noise: positive noise all over the aperture would pull every
        // star's radius towards the aperture's own (about 2/3 R), so focusing would barely move it.
        if (f <= clip) continue;
        flux += f;
        weighted += f * r;
      }
    }
    if (flux > 0) radii.push(weighted / flux);
  }
  if (radii.length === 0) return { hfr: null, stars: 0 };
  radii.sort((a, b) => a - b);
  return { hfr: radii[Math.floor(radii.length / 2)]!, stars: radii.length };
}

/** Median of 0–255 values through a 1024-bin histogram (fast, 0.25 precision). */
function medianOf(values: Float32Array): number {
  const bins = new Uint32Array(1024);
  for (let i = 0; i < values.length; i++) bins[Math.max(0, Math.min(1023, Math.round(values[i]! * 4)))]!++;
  const half = values.length / 2;
  let acc = 0;
  for (let k = 0; k < 1024; k++) {
    acc += bins[k]!;
    if (acc >= half) return k / 4;
  }
  return 0;
}

/** Night when the frame is dark overall (mean luminance under 40 of 255) or exposed for a quarter second or more. */
export function looksLikeNight(meanLuma: number, exposureUs: number): boolean {
  return meanLuma < 40 || exposureUs >= 250_000;
}

/** The 95th percentile (nearest rank) of a list of numbers; null when empty. */
export function p95(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}

/** Seconds from a shutter speed as the gallery records it ("1/250", "2.5", "30s"); null when unreadable. */
export function shutterSeconds(text: string | null | undefined): number | null {
  if (!text) return null;
  const t = text.trim().replace(/s$/i, '');
  const frac = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(t);
  if (frac) {
    const d = Number(frac[2]);
    return d > 0 ? Number(frac[1]) / d : null;
  }
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 ? n : null;
}
