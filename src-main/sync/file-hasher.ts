/**
 * sha256 of files on a worker thread. Hashing a sync's bytes on the main
 * thread, as they arrived, held the transfer back by about a third on a
 * 2-core machine (loopback, 12 MP captures: ~1,080 MB/s received without
 * hashing, ~660 MB/s with); reading the just-written copy back from the page
 * cache on a worker costs a memory copy and frees the main thread to receive.
 * It also checks the bytes that are in the file, not only those received.
 * The sync's fsync of each copy runs there too (hashAndSync): writing the
 * pages back costs CPU, and it is background work like the hash.
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
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/** The hashing thread's nice value on Linux (0 normal, 19 lowest); 19 starved it and slowed syncs. */
export const HASHER_NICE = 10;

/** Plain JavaScript so it runs as it is from source, under tsx and in the bundled app. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync, fsyncSync } = require('node:fs');
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
// { path }: open, hash, close. { fd, sync }: hash the caller's open file from its start, then fsync it when asked
// (here, at this thread's priority, rather than on the thread pool); the caller closes it.
parentPort.on('message', ({ id, path, fd: given, sync }) => {
  let fd = null;
  try {
    fd = given ?? openSync(path, 'r');
    const hash = createHash('sha256');
    let n;
    let at = 0;
    while ((n = readSync(fd, buf, 0, buf.length, at)) > 0) {
      hash.update(buf.subarray(0, n));
      at += n;
    }
    const digest = hash.digest('hex');
    if (sync) fsyncSync(fd);
    parentPort.postMessage({ id, digest });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err), code: err && err.code });
  } finally {
    if (fd !== null && given === undefined) closeSync(fd);
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
    return this.send({ path });
  }

  /**
   * The sha256 of a file open for reading (from its start, whatever the file
   * position), then an fsync of it, both on a hashing thread; the caller keeps
   * the descriptor open until this settles, and closes it.
   */
  hashAndSync(handle: FileHandle): Promise<string> {
    if (this.broken) return hashOnMainThread(handle).then(async (digest) => (await handle.sync(), digest));
    return this.send({ fd: handle.fd, sync: true });
  }

  private send(job: { path: string } | { fd: number; sync: boolean }): Promise<string> {
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      if (slot.waiting.size === 1) slot.worker.ref();
      slot.worker.postMessage({ id, ...job });
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

function hashOnMainThread(file: string | FileHandle): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream =
      typeof file === 'string'
        ? createReadStream(file, { highWaterMark: 1024 * 1024 })
        : file.createReadStream({ start: 0, highWaterMark: 1024 * 1024, autoClose: false });
    stream
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });
}
