import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Sharp } from 'sharp';
import { fsyncDir } from '../util/atomic.js';

/**
 * Write a sharp image atomically: a temp name in the same folder that keeps the
 * extension (sharp picks the format from it), fsync, rename, fsync the folder.
 */
export async function saveImageAtomic(img: Sharp, outPath: string): Promise<void> {
  const dir = dirname(outPath);
  await mkdir(dir, { recursive: true });
  const ext = extname(outPath) || '.png';
  const tmp = join(dir, `.${basename(outPath, extname(outPath))}.${randomBytes(4).toString('hex')}.partial${ext}`);
  try {
    await img.toFile(tmp);
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, outPath);
    await fsyncDir(dir);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
