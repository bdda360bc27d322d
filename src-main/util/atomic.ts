import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** fsync a directory so that a rename inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write a file atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * mkdir -p, one level at a time. (Node 20's recursive mkdirSync can spin
 * forever on some unwritable trees such as /proc; this fails at once.)
 */
export function ensureDirSync(dir: string): void {
  const parts = resolve(dir).split(sep).filter(Boolean);
  let current: string = sep;
  for (const part of parts) {
    current = join(current, part);
    try {
      mkdirSync(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
