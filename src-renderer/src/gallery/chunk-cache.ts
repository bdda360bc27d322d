/**
 * Captures of the grid fetched in chunks of one night, on demand: what is on
 * screen is asked for, at most `concurrency` requests at a time, newest
 * wanted first; chunks scrolled past before their turn are never asked for.
 * Kept chunks are bounded (least recently used go first), so scrolling
 * through 100,000 captures holds a few thousand in memory.
 */

export interface ChunkKey {
  /** Night key ("2026-01-10"): chunks are per night, so a request's offset stays small. */
  night: string;
  chunk: number;
}

export type ChunkFetcher<T> = (key: ChunkKey, offset: number, limit: number) => Promise<T[]>;

export interface ChunkCacheOptions {
  chunkSize?: number;
  concurrency?: number;
  /** Most chunks kept. */
  keep?: number;
}

const id = (k: ChunkKey): string => `${k.night}#${k.chunk}`;

export class ChunkCache<T> {
  readonly chunkSize: number;
  private readonly concurrency: number;
  private readonly keep: number;
  private readonly chunks = new Map<string, T[]>();
  private readonly failed = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private wanted: ChunkKey[] = [];
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly fetcher: ChunkFetcher<T>,
    options: ChunkCacheOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 60;
    this.concurrency = options.concurrency ?? 3;
    this.keep = options.keep ?? 200;
  }

  /** The item at a night-local index, if its chunk is here. */
  get(night: string, local: number): T | undefined {
    const chunk = Math.floor(local / this.chunkSize);
    const list = this.chunks.get(id({ night, chunk }));
    return list?.[local - chunk * this.chunkSize];
  }

  /** The error of a chunk that failed (retried when wanted again). */
  error(night: string, local: number): string | undefined {
    return this.failed.get(id({ night, chunk: Math.floor(local / this.chunkSize) }));
  }

  /** Says which night-local ranges are on screen now; replaces the previous wish list. */
  want(ranges: readonly { night: string; first: number; count: number }[]): void {
    const keys = new Map<string, ChunkKey>();
    for (const r of ranges) {
      if (r.count <= 0) continue;
      const a = Math.floor(r.first / this.chunkSize);
      const b = Math.floor((r.first + r.count - 1) / this.chunkSize);
      for (let c = a; c <= b; c++) {
        const k = { night: r.night, chunk: c };
        const key = id(k);
        if (this.chunks.has(key)) {
          // Touch: most recently used last.
          const v = this.chunks.get(key)!;
          this.chunks.delete(key);
          this.chunks.set(key, v);
        } else keys.set(key, k);
      }
    }
    this.wanted = [...keys.values()];
    for (const k of this.wanted) this.failed.delete(id(k));
    this.pump();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops asking; answers still on their way are dropped. */
  close(): void {
    this.closed = true;
    this.wanted = [];
    this.listeners.clear();
  }

  get size(): number {
    return this.chunks.size;
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.concurrency) {
      const next = this.wanted.find((k) => !this.inFlight.has(id(k)) && !this.chunks.has(id(k)));
      if (next === undefined) return;
      this.wanted = this.wanted.filter((k) => k !== next);
      const key = id(next);
      this.inFlight.add(key);
      this.fetcher(next, next.chunk * this.chunkSize, this.chunkSize).then(
        (items) => {
          this.inFlight.delete(key);
          if (this.closed) return;
          this.chunks.set(key, items);
          while (this.chunks.size > this.keep) this.chunks.delete(this.chunks.keys().next().value!);
          this.notify();
          this.pump();
        },
        (err: unknown) => {
          this.inFlight.delete(key);
          if (this.closed) return;
          this.failed.set(key, err instanceof Error ? err.message : String(err));
          this.notify();
          this.pump();
        },
      );
    }
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
