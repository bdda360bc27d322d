import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentBundle } from '../../agent/src/protocol/index.js';

export const isRoot = process.getuid?.() === 0;

/** A tmpfs of `size` (e.g. '8m') mounted in a fresh temp folder; `close()` unmounts and removes it. */
export async function mountTmpfs(size: string): Promise<{ dir: string; mnt: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'skys-rel-'));
  const mnt = join(dir, 'mnt');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
  return {
    dir,
    mnt,
    close: async () => {
      try {
        execFileSync('umount', ['-l', mnt]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Writes ballast until the filesystem refuses (ENOSPC): the disk is then 100 % full. */
export async function fillCompletely(mnt: string, name = `ballast-${Date.now()}`): Promise<string> {
  const path = join(mnt, name);
  const handle = await open(path, 'a');
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) {
      try {
        await handle.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        // Fill the last partial chunk's worth too.
        for (let size = chunk.length / 2; size >= 512; size /= 2) {
          try {
            await handle.write(chunk.subarray(0, size));
          } catch {
            /* smaller next */
          }
        }
        break;
      }
    }
  } finally {
    await handle.close();
  }
  return path;
}

export async function freeBytes(mnt: string): Promise<number> {
  const fs = await statfs(mnt);
  return fs.bavail * fs.bsize;
}

/** A deployed plan with one window of `intervalSeconds` slots from `startMs` to `endMs`. */
export function planBundle(version: string, startMs: number, endMs: number, intervalSeconds = 1): DeploymentBundle {
  return {
    profile_id: 'reliability',
    version,
    settings: { base: { metering_mode: 1, awb_mode: 1 } },
    plan: {
      generated_at: new Date(startMs - 60_000).toISOString(),
      horizon: new Date(endMs).toISOString(),
      windows: [
        {
          start: new Date(startMs).toISOString(),
          end: new Date(endMs).toISOString(),
          interval_seconds: intervalSeconds,
          schedule: 'night',
        },
      ],
    },
  };
}
