/**
 * Night thumbnails stretched for visibility, for display only (the files are
 * untouched): a dark frame's mean brightness says how far to lift it. The
 * result is a CSS filter for the thumbnail's wrapper, so night mode's own
 * filter on the image still applies inside it.
 */

/** Frames darker than this mean luma (0–255) are stretched. */
export const STRETCH_BELOW = 70;
/** Mean luma a stretched frame is lifted towards. */
export const STRETCH_TARGET = 100;
/** Most a frame is brightened (×), so noise does not turn into snow. */
export const STRETCH_MAX_GAIN = 6;

/** The brightness gain for a frame of this mean luma (1 when it needs none or it is unknown). */
export function stretchGain(meanBrightness: number | null | undefined): number {
  if (meanBrightness === null || meanBrightness === undefined || !Number.isFinite(meanBrightness)) return 1;
  if (meanBrightness >= STRETCH_BELOW) return 1;
  const gain = STRETCH_TARGET / Math.max(1, meanBrightness);
  return Math.round(Math.min(STRETCH_MAX_GAIN, Math.max(1, gain)) * 100) / 100;
}

/** CSS filter for a thumbnail's wrapper, or undefined when no stretch is needed. */
export function stretchFilter(meanBrightness: number | null | undefined): string | undefined {
  const gain = stretchGain(meanBrightness);
  return gain === 1 ? undefined : `brightness(${gain}) contrast(1.15)`;
}
