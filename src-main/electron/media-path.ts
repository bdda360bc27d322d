/** Path-traversal-safe mapping of skystation-media:// URLs to files (no electron import: unit-testable). */
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { MEDIA_HOST, MEDIA_SCHEME } from './channels';

/** The file for a media URL, or null when the URL is malformed or would leave mediaDir. */
export function resolveMediaPath(mediaDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${MEDIA_SCHEME}:` || url.host !== MEDIA_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
  return resolveMediaFile(mediaDir, rel);
}

/** The file at a media path ("exports/night.mp4", as the brain gives them), or null when it would leave mediaDir. */
export function resolveMediaFile(mediaDir: string, rel: string): string | null {
  if (rel === '' || rel.includes('\0') || isAbsolute(rel)) return null;
  const base = resolve(mediaDir);
  const file = normalize(join(base, rel));
  const inside = relative(base, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  return file;
}
