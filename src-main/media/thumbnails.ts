import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic.js';

export const THUMB_WIDTH = 320;

/**
 * A JPEG thumbnail, written atomically. sharp decodes JPEGs with shrink-on-load,
 * so a 24 MP original is never fully decoded for a 320 px thumbnail.
 */
export async function makeThumbnail(source: string, target: string, width = THUMB_WIDTH): Promise<void> {
  const data = await sharp(source, { failOn: 'error' })
    .rotate()
    .resize({ width, withoutEnlargement: true, fastShrinkOnLoad: true })
    .jpeg({ quality: 78, mozjpeg: false })
    .toBuffer();
  await writeFileAtomic(target, data);
}
