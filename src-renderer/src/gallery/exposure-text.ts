/**
 * How the gallery writes a capture's exposure. A capture reconciled after a camera crash may not know its ISO or
 * shutter speed (null): the gallery says "unknown" rather than show a number nobody measured.
 */
export function exposureText(shutterSpeed: string | null, iso: number | null): string {
  if (shutterSpeed === null && iso === null) return 'unknown';
  const shutter = shutterSpeed === null ? 'shutter unknown' : `${shutterSpeed} s`;
  return `${shutter}, ISO ${iso === null ? 'unknown' : iso}`;
}

/** The tooltip of the "Reconciled" badge. */
export const RECONCILED_TITLE =
  'Found on the camera after it crashed, without its journal entry: settings come from the file itself or what the capture was asked for; what neither says is unknown';
