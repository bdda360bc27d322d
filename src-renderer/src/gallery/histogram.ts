/** A luma histogram of an image's pixels (RGBA, as a canvas returns them), and its outline for drawing. */

export const BINS = 64;

/** Counts per luma bin (Rec. 709 weights), from every `step`-th pixel. */
export function lumaHistogram(rgba: ArrayLike<number>, bins = BINS, step = 1): number[] {
  const counts = new Array<number>(bins).fill(0);
  const stride = 4 * Math.max(1, Math.floor(step));
  for (let p = 0; p + 2 < rgba.length; p += stride) {
    const y = 0.2126 * rgba[p]! + 0.7152 * rgba[p + 1]! + 0.0722 * rgba[p + 2]!;
    const bin = Math.min(bins - 1, Math.floor((y / 256) * bins));
    counts[bin]!++;
  }
  return counts;
}

/**
 * An SVG path (closed, filled) for a histogram in a width×height box, bins
 * scaled by the square root of their count so faint tails stay visible.
 */
export function histogramPath(counts: readonly number[], width: number, height: number): string {
  const max = Math.max(1, ...counts.map((c) => Math.sqrt(c)));
  const w = width / Math.max(1, counts.length);
  const parts = [`M0 ${height}`];
  counts.forEach((c, i) => {
    const y = height - (Math.sqrt(c) / max) * height;
    parts.push(`L${(i * w).toFixed(2)} ${y.toFixed(2)}`, `L${((i + 1) * w).toFixed(2)} ${y.toFixed(2)}`);
  });
  parts.push(`L${width} ${height}`, 'Z');
  return parts.join(' ');
}
