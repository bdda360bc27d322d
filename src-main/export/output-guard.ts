/**
 * What an export may do to a path that already exists. Overwriting replaces
 * only what an export writes: one regular file (a video or a night image), or
 * an image-sequence folder that holds nothing but numbered frames. It never
 * follows a link and never removes a folder with anything else in it (the
 * media folder, the exports folder, a user's folder).
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StationError } from '../util/errors.js';

/** The names an image-sequence export writes (see runExport). */
const FRAME_FILE = /^frame_\d{5,}\.(?:jpg|png)$/;

/** Refuse an existing `path` unless `overwrite` allows it and it is an export's own output. */
export async function checkExistingOutput(path: string, overwrite: boolean): Promise<'absent' | 'file' | 'frames'> {
  let kind: 'file' | 'frames';
  try {
    const s = await lstat(path);
    if (s.isFile()) kind = 'file';
    else if (s.isDirectory() && (await isFrameFolder(path))) kind = 'frames';
    else {
      if (!overwrite) throw exists(path);
      throw new StationError(
        'output_not_replaceable',
        `${path} exists and is not an export Skystation wrote (${s.isDirectory() ? 'a folder with other files in it' : 'not a regular file'}); it is left alone. Choose another name.`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  if (!overwrite) throw exists(path);
  return kind;
}

/**
 * Remove an image-sequence folder that checkExistingOutput accepted: its
 * frame files one by one, then the (now empty) folder. A file added since
 * makes rmdir fail rather than be deleted.
 */
export async function removeFrameFolder(path: string): Promise<void> {
  if ((await checkExistingOutput(path, true)) !== 'frames') return;
  for (const name of await readdir(path)) if (FRAME_FILE.test(name)) await unlink(join(path, name));
  await rmdir(path);
}

async function isFrameFolder(path: string): Promise<boolean> {
  const entries = await readdir(path, { withFileTypes: true });
  return entries.every((e) => e.isFile() && FRAME_FILE.test(e.name));
}

function exists(path: string): StationError {
  return new StationError('output_exists', `${path} already exists. Choose another name or allow overwriting.`);
}
