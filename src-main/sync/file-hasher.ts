/**
 * sha256 of files on a worker thread. Hashing a sync's bytes on the main
 * thread, as they arrived, held the transfer back by about a third on a
 * 2-core machine (loopback, 12 MP captures: ~1,080 MB/s received without
 * hashing, ~660 MB/s with); reading the just-written copy back from the page
 * cache on a worker costs a memory copy and frees the main thread to receive.
 * It also checks the bytes that are in the file, not only those received.
 *
 * Workers start on first use (a second one only while the first has files
 * queued, see HASHER_THREADS) and do not keep the process alive. If they
 * cannot run, files are hashed on the main thread instead.
 *
 * Verification is background work, so on Linux the worker thread runs at a
 * lower priority (nice HASHER_NICE) in each worker thread. On 2 cores with an agent on the same
 * machine (the embedded simulated agent, the sync benchmark), the hash was
 * taking CPU from the agent's serving thread, which sets the pace of the whole
 * transfer: sync_vs_curl_ratio rose from 0.84 to 0.93–0.94 with this alone.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The hashing thread's nice value on Linux (0 normal, 19 lowest); 19 starved it and slowed syncs. */
export const HASHER_NICE = 10;

/** Plain JavaScript so it runs as it is from source, under tsx and in the bundled app. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1024 * 1024);
// Linux keeps a nice value per thread: this one (and only this one) yields to the station's main thread and to
// an agent on the same machine, whose capture and serving work is on the critical path. Elsewhere the call would
// change the whole process, so it is not made.
if (process.platform === 'linux') {
  try {
    require('node:os').setPriority(0, ${HASHER_NICE});
  } catch {
    // Not permitted here: hash at normal priority.
  }
}
parentPort.on('message', ({ id, path }) => {
  let fd = null;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    let n;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
    parentPort.postMessage({ id, digest: hash.digest('hex') });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err), code: err && err.code });
  } finally {
    if (fd !== null) closeSync(fd);
  }
});
`;

interface Reply {
  id: number;
  digest?: string;
  error?: string;
  code?: string;
}

interface Waiter {
  resolve: (digest: string) => void;
  reject: (err: Error) => void;
}

/** One hashing thread and the files it has been asked for. */
interface Slot {
  worker: Worker;
  waiting: Map<number, Waiter>;
}

/**
 * Hashing threads at most. A second one starts only while the first has files
 * queued: during a sync both mostly yield (nice), and when the transfer ends
 * the files still queued are hashed two at a time, so the sync's last commit
 * waits half as long.
 */
export const HASHER_THREADS = 2;

export class FileHasher {
  private readonly slots: Slot[] = [];
  private broken = false;
  private nextId = 1;

  constructor(private readonly maxThreads = HASHER_THREADS) {}

  /** The lower-case hex sha256 of the whole file. */
  hash(path: string): Promise<string> {
    if (this.broken) return hashOnMainThread(path);
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      if (slot.waiting.size === 1) slot.worker.ref();
      slot.worker.postMessage({ id, path });
    });
  }

  /** Hashing threads running now. */
  get threads(): number {
    return this.slots.length;
  }

  /** Stops the workers (files being hashed fail); the next hash() starts new ones. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) {
      for (const w of s.waiting.values()) w.reject(new Error('The hasher was closed.'));
      s.waiting.clear();
    }
  }

  /** The idlest thread; a new one when every thread is busy and there is room for one more. */
  private pick(): Slot {
    let best: Slot | null = null;
    for (const s of this.slots) if (!best || s.waiting.size < best.waiting.size) best = s;
    if (best && (best.waiting.size === 0 || this.slots.length >= this.maxThreads)) return best;
    return this.start();
  }

  private start(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, waiting: new Map() };
    let answered = false;
    worker.on('message', (reply: Reply) => {
      answered = true;
      const waiter = slot.waiting.get(reply.id);
      if (!waiter) return;
      slot.waiting.delete(reply.id);
      if (slot.waiting.size === 0) worker.unref();
      if (reply.digest !== undefined) waiter.resolve(reply.digest);
      else waiter.reject(Object.assign(new Error(reply.error ?? 'hashing failed'), { code: reply.code }));
    });
    const fail = (err: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      for (const w of slot.waiting.values()) w.reject(err);
      slot.waiting.clear();
    };
    worker.on('error', (err) => {
      // A worker that failed before its first answer cannot run here: hash on the main thread from now on.
      if (!answered) this.broken = true;
      fail(err);
    });
    worker.on('exit', (code) => fail(new Error(`The hashing worker stopped (exit code ${code}).`)));
    this.slots.push(slot);
    return slot;
  }
}

function hashOnMainThread(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });
}
