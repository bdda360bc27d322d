import { describe, expect, it } from 'vitest';
import { ChunkCache, type ChunkKey } from './chunk-cache';

function deferred() {
  const calls: { key: ChunkKey; offset: number; resolve: (v: number[]) => void; reject: (e: Error) => void }[] = [];
  const fetcher = (key: ChunkKey, offset: number, limit: number) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({
        key,
        offset,
        resolve: () => resolve(Array.from({ length: limit }, (_, i) => offset + i)),
        reject,
      });
    });
  return { calls, fetcher };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ChunkCache', () => {
  it('asks only for wanted chunks, a few at a time, and drops chunks scrolled past before their turn', async () => {
    const { calls, fetcher } = deferred();
    const cache = new ChunkCache(fetcher, { chunkSize: 10, concurrency: 2 });
    let notified = 0;
    cache.subscribe(() => notified++);
    cache.want([{ night: 'n1', first: 0, count: 35 }]); // chunks 0..3
    expect(calls.map((c) => c.offset)).toEqual([0, 10]);
    cache.want([{ night: 'n1', first: 80, count: 5 }]); // scrolled on: chunks 2, 3 no longer wanted
    calls[0]!.resolve([]);
    await tick();
    expect(calls.map((c) => c.offset)).toEqual([0, 10, 80]);
    expect(cache.get('n1', 3)).toBe(3);
    expect(cache.get('n1', 25)).toBeUndefined();
    expect(notified).toBe(1);
  });

  it('keeps a bounded number of chunks and remembers failures until wanted again', async () => {
    const { calls, fetcher } = deferred();
    const cache = new ChunkCache(fetcher, { chunkSize: 10, concurrency: 5, keep: 2 });
    cache.want([{ night: 'a', first: 0, count: 30 }]);
    calls[0]!.resolve([]);
    calls[1]!.resolve([]);
    calls[2]!.reject(new Error('station busy'));
    await tick();
    expect(cache.size).toBe(2);
    expect(cache.error('a', 25)).toBe('station busy');
    cache.want([
      { night: 'b', first: 0, count: 10 },
      { night: 'a', first: 20, count: 1 },
    ]);
    expect(cache.error('a', 25)).toBeUndefined();
    calls[3]!.resolve([]);
    await tick();
    expect(cache.size).toBe(2);
    cache.close();
    calls[4]!.resolve([]);
    await tick();
    expect(cache.get('a', 20)).toBeUndefined();
  });
});
