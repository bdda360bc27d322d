import { mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fsyncDir, writeFileAtomic as writeAgentFileAtomic } from '../../agent/src/util/fs-atomic.js';

export { fsyncDir };

/**
 * Write a file atomically (the agent's helper: temp file in the same folder, fsync, rename, fsync the folder),
 * readable by its owner only: tokens and password hashes are among the station's files.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeAgentFileAtomic(path, data, 0o600);
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
