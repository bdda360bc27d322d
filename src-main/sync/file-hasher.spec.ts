import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileHasher, HASHER_NICE, HASHER_THREADS } from './file-hasher.js';

/** The nice value of each of this process's threads (Linux). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, nice is field 19.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('FileHasher', () => {
  let dir: string;
  const hasher = new FileHasher();
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skys-hasher-'));
  });
  afterAll(async () => {
    await hasher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes whole files on its worker, several at once, empty ones too', async () => {
    const sizes = [0, 1, 1024 * 1024, 3_500_001];
    const files = sizes.map((n, i) => ({ path: join(dir, `f${i}`), data: randomBytes(n) }));
    await Promise.all(files.map((f) => writeFile(f.path, f.data)));
    const digests = await Promise.all(files.map((f) => hasher.hash(f.path)));
    expect(digests).toEqual(files.map((f) => sha(f.data)));
  });

  it('rejects with the file error for a missing file and keeps working', async () => {
    await expect(hasher.hash(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    const data = randomBytes(1000);
    await writeFile(join(dir, 'after'), data);
    expect(await hasher.hash(join(dir, 'after'))).toBe(sha(data));
  });

  it('lowers the priority of its own threads only, so verification yields to receiving', async (ctx) => {
    if (process.platform !== 'linux') {
      console.log('skipped: per-thread nice values are a Linux feature');
      ctx.skip();
    }
    await writeFile(join(dir, 'nice'), randomBytes(10));
    await hasher.hash(join(dir, 'nice'));
    const nices = threadNices();
    expect(hasher.threads).toBeGreaterThan(0);
    expect(nices.filter((n) => n === HASHER_NICE)).toHaveLength(hasher.threads);
    expect(nices.filter((n) => n !== HASHER_NICE).length).toBeGreaterThan(0);
    expect(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[16])).toBe(0);
  });

  it('starts a second thread only while the first has files queued', async () => {
    const own = new FileHasher();
    const one = new FileHasher(1);
    try {
      const data = randomBytes(2 * 1024 * 1024);
      await writeFile(join(dir, 'big'), data);
      for (let i = 0; i < 3; i++) expect(await own.hash(join(dir, 'big'))).toBe(sha(data));
      expect(own.threads).toBe(1);
      const many = await Promise.all(Array.from({ length: 6 }, () => own.hash(join(dir, 'big'))));
      expect(many).toEqual(Array.from({ length: 6 }, () => sha(data)));
      expect(own.threads).toBe(HASHER_THREADS);
      await Promise.all(Array.from({ length: 6 }, () => one.hash(join(dir, 'big'))));
      expect(one.threads).toBe(1);
    } finally {
      await own.close();
      await one.close();
    }
    expect(own.threads).toBe(0);
  });

  it('starts a new worker after close()', async () => {
    await hasher.close();
    const data = randomBytes(5000);
    await writeFile(join(dir, 'again'), data);
    expect(await hasher.hash(join(dir, 'again'))).toBe(sha(data));
  });
});
