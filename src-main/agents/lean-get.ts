/**
 * A lean HTTP/1.1 GET for large downloads from an agent over plain HTTP.
 *
 * node:http hands a body on in freshly allocated ~64 KiB chunks through its
 * stream machinery; pulling 200 MB of captures that way cost about four times
 * the CPU of the transfer itself (measured on loopback: ~250 ms against ~65 ms
 * per 100 MB, hashing included). Here each connection reads into one reused
 * buffer (net's `onread`) and the body is copied on in blocks of up to
 * BLOCK_BYTES that the consumer hands back (recycle), so a transfer allocates
 * almost nothing and runs no per-chunk stream code. Once the head is parsed, the
 * socket reads straight into the free end of the current block (onread's buffer
 * generator), so the body is not copied in JavaScript at all and each read can
 * take as much as the kernel holds. Connections are kept alive per host and
 * port. Only what the agent's file route needs: GET, a Content-Length body.
 */
import { connect, type Socket } from 'node:net';

/** Bytes per block handed to the consumer (one hash update and one disk write each). */
const BLOCK_BYTES = 1024 * 1024;
/** Blocks read ahead of the consumer before the socket is paused. */
const READ_AHEAD_BLOCKS = 2;
/** Bytes each connection reads at once into its reused buffer (reply heads; bodies are read into blocks). */
const READ_BYTES = 64 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
/**
 * A consumer kept waiting this long gets the part of a block filled so far: on a slow link (a Pi on weak
 * WiFi) a MiB takes seconds, and bytes still in memory are lost if the station stops. A fast link fills a
 * block long before this, so it never fires there. At 200 ms a 5 MB/s link still held most of a MiB per
 * download when the station was killed (tests/reliability/interrupted-sync); 50 ms holds a quarter.
 */
const PARTIAL_BLOCK_MS = 50;
/** Idle connections kept per host:port, and for how long (below node's 5 s server keep-alive timeout). */
const MAX_IDLE = 8;
const IDLE_MS = 4_000;

export interface LeanResponse {
  status: number;
  /** A response header (lower-case name), or null. */
  header(name: string): string | null;
  /** The body in blocks; each block is the consumer's to keep. */
  body: AsyncIterable<Buffer>;
  /** Drop the rest of the body (and its connection). */
  discard(): void;
  /** Hands a block back once it is written and hashed, so the next bytes reuse its memory (optional). */
  recycle(block: Buffer): void;
}

export class LeanGetError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LeanGetError';
  }
}

/** One connection; `sink` receives what the socket reads while a response is in progress. */
interface Conn {
  socket: Socket;
  key: string;
  sink: ((buf: Buffer, n: number) => boolean) | null;
  /** Where the socket's next read goes while a body is in progress (a block's free end), else null. */
  nextBuffer: (() => Buffer | null) | null;
  /** Called when the socket ends or fails while a response is in progress. */
  onEnd: ((err: Error | null) => void) | null;
  idleTimer: NodeJS.Timeout | null;
  /** Whether this connection served a response before (a failure before any reply may then be retried). */
  reused: boolean;
}

const idle = new Map<string, Conn[]>();

/**
 * Blocks handed back by consumers. Allocating a fresh MiB per block made V8
 * run a full collection every ~64 MB of external memory (about a third of the
 * CPU of a sync); a few reused blocks avoid that. Emptied when unused for a while.
 */
const spare: Buffer[] = [];
const MAX_SPARE = 6;
let spareTimer: NodeJS.Timeout | null = null;

function takeBlock(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES);
}

function recycleBlock(block: Buffer): void {
  const whole = block.buffer;
  if (whole.byteLength !== BLOCK_BYTES || spare.length >= MAX_SPARE) return;
  spare.push(Buffer.from(whole, 0, BLOCK_BYTES));
  if (spareTimer) clearTimeout(spareTimer);
  spareTimer = setTimeout(() => (spare.length = 0), 10_000);
  spareTimer.unref();
}

function takeIdle(key: string): Conn | null {
  const list = idle.get(key);
  const conn = list?.pop() ?? null;
  if (list && list.length === 0) idle.delete(key);
  if (conn?.idleTimer) clearTimeout(conn.idleTimer);
  if (conn) conn.idleTimer = null;
  return conn;
}

function dropIdle(conn: Conn): void {
  const list = idle.get(conn.key);
  const i = list?.indexOf(conn) ?? -1;
  if (list && i >= 0) list.splice(i, 1);
  if (list && list.length === 0) idle.delete(conn.key);
  if (conn.idleTimer) clearTimeout(conn.idleTimer);
  conn.idleTimer = null;
}

function release(conn: Conn): void {
  conn.sink = null;
  conn.nextBuffer = null;
  conn.onEnd = null;
  conn.reused = true;
  const list = idle.get(conn.key) ?? [];
  if (conn.socket.destroyed || list.length >= MAX_IDLE) {
    conn.socket.destroy();
    return;
  }
  conn.socket.unref();
  conn.idleTimer = setTimeout(() => {
    dropIdle(conn);
    conn.socket.destroy();
  }, IDLE_MS);
  conn.idleTimer.unref();
  list.push(conn);
  idle.set(conn.key, list);
}

function open(host: string, port: number, key: string, signal: AbortSignal): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const readBuf = Buffer.allocUnsafe(READ_BYTES);
    let conn: Conn | null = null;
    const socket: Socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        // Called before each read (and once before `conn` exists): a body's block, or the connection's own buffer.
        buffer: (): Buffer => conn?.nextBuffer?.() ?? readBuf,
        callback: (n: number, buf: Uint8Array): boolean => {
          if (!conn) return false;
          if (conn.sink) return conn.sink(buf as Buffer, n);
          // Bytes nobody asked for: the connection is out of step; drop it.
          dropIdle(conn);
          socket.destroy();
          return false;
        },
      },
    });
    const c: Conn = { socket, key, sink: null, nextBuffer: null, onEnd: null, idleTimer: null, reused: false };
    conn = c;
    const ended = (err: Error | null): void => {
      dropIdle(c);
      const onEnd = c.onEnd;
      c.onEnd = null;
      c.sink = null;
      c.nextBuffer = null;
      onEnd?.(err);
    };
    socket.on('end', () => {
      ended(null);
      socket.destroy();
    });
    socket.on('close', () => ended(null));
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onConnectError);
      socket.on('error', (err) => ended(err));
      resolve(c);
    });
    const onConnectError = (err: Error): void => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    socket.once('error', onConnectError);
  });
}

/**
 * GET `path` from host:port. Resolves once the response head has arrived;
 * rejects with the socket's error, or with `signal.reason` when aborted (the
 * signal also bounds the body).
 */
export async function leanGet(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<LeanResponse> {
  signal.throwIfAborted();
  const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const lines = [`GET ${path} HTTP/1.1`, `host: ${hostHeader}`, 'connection: keep-alive'];
  const entries = Object.entries(headers);
  if (
    !/^\/[\x21-\x7e]*$/.test(path) ||
    entries.some(([n, v]) => !/^[\w!#$%&'*+.^`|~-]+$/.test(n) || /[\0\n\r]/.test(v))
  ) {
    throw new LeanGetError('Refusing to send a request line or header with control characters.');
  }
  for (const [name, value] of entries) lines.push(`${name}: ${value}`);
  const head = `${lines.join('\r\n')}\r\n\r\n`;
  const key = `${host}:${port}`;
  for (;;) {
    const conn = takeIdle(key) ?? (await open(host, port, key, signal));
    try {
      return await exchange(conn, head, signal);
    } catch (err) {
      // A kept-alive connection the agent closed meanwhile: try once more on a new one.
      if (err instanceof StaleConnection) continue;
      throw err;
    }
  }
}

/** The agent closed a reused connection before answering; the request is safe to send again. */
class StaleConnection extends Error {}

// eslint-disable-next-line max-lines-per-function -- one HTTP exchange's state machine: its socket handlers share the parse state and must see events in order.
function exchange(conn: Conn, request: string, signal: AbortSignal): Promise<LeanResponse> {
  const { socket } = conn;
  socket.ref();
  // eslint-disable-next-line max-lines-per-function -- the state machine above.
  return new Promise<LeanResponse>((resolve, reject) => {
    let headBuf: Buffer | null = null;
    let gotAny = false;
    let settled = false;
    // Body state, once the head is parsed.
    let remaining = -1;
    let toClose = false;
    let block: Buffer | null = null;
    let filled = 0;
    /** Bytes at the start of `block` already handed on as a copy (a slow link's partial block; see iterate). */
    let handed = 0;
    /** The free end of `block` handed to the socket for its next read, if any. */
    let lent: Buffer | null = null;
    const ready: Buffer[] = [];
    let failure: Error | null = null;
    let done = false;
    let paused = false;
    let wake: (() => void) | null = null;
    let finished = false;

    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const finish = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      signal.removeEventListener('abort', onAbort);
      if (block && filled > handed) ready.push(block.subarray(handed, filled));
      block = null;
      lent = null;
      conn.nextBuffer = null;
      if (err) {
        failure = err;
        conn.sink = null;
        conn.onEnd = null;
        dropIdle(conn);
        socket.destroy();
      } else if (toClose || paused) {
        conn.sink = null;
        conn.onEnd = null;
        socket.destroy();
      } else {
        release(conn);
      }
      done = true;
      notify();
    };
    const fail = (err: Error): void => {
      if (!settled) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        conn.sink = null;
        conn.nextBuffer = null;
        conn.onEnd = null;
        socket.destroy();
        reject(err);
        return;
      }
      finish(err);
    };
    const onAbort = (): void => fail(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });

    /** Hands on a block the socket has filled (what a partial hand-over left of it); its free end is lent no more. */
    const handOnFull = (): void => {
      ready.push(handed > 0 ? block!.subarray(handed) : block!);
      block = null;
      notify();
    };

    const takeBody = (buf: Buffer, start: number, end: number): void => {
      let at = start;
      while (at < end && remaining !== 0) {
        if (!block) {
          block = takeBlock();
          filled = 0;
          handed = 0;
        }
        const n = Math.min(end - at, block.length - filled, remaining > 0 ? remaining : Infinity);
        buf.copy(block, filled, at, at + n);
        filled += n;
        at += n;
        if (remaining > 0) remaining -= n;
        if (filled === block.length) handOnFull();
      }
      if (at < end) {
        // More bytes than the response announced: the connection cannot be trusted for another request.
        toClose = true;
      }
      if (remaining === 0) finish(null);
    };

    conn.onEnd = (err): void => {
      if (!settled && !gotAny && conn.reused) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(new StaleConnection());
        return;
      }
      if (err === null && settled && remaining < 0 && !done) {
        // A body delimited by the end of the connection.
        finish(null);
        return;
      }
      fail(err ?? new LeanGetError('The agent closed the connection before the whole reply arrived.'));
    };

    // Once the head is in, the socket reads the body into the current block, never past the announced length.
    conn.nextBuffer = (): Buffer | null => {
      lent = null;
      if (!settled || finished || remaining === 0) return null;
      if (!block) {
        block = takeBlock();
        filled = 0;
        handed = 0;
      }
      const room = block.length - filled;
      lent = block.subarray(filled, filled + (remaining > 0 ? Math.min(room, remaining) : room));
      return lent;
    };

    conn.sink = (buf, n): boolean => {
      gotAny = true;
      if (settled && buf === lent && block) {
        // Read in place: the bytes are already where they belong.
        filled += n;
        if (remaining > 0) remaining -= n;
        if (filled === block.length) handOnFull();
        if (remaining === 0) finish(null);
      } else if (settled) {
        takeBody(buf, 0, n);
      } else {
        headBuf = headBuf ? Buffer.concat([headBuf, buf.subarray(0, n)]) : Buffer.from(buf.subarray(0, n));
        const endOfHead = headBuf.indexOf('\r\n\r\n');
        if (endOfHead < 0) {
          if (headBuf.length > MAX_HEAD_BYTES) fail(new LeanGetError('The agent sent a reply head that is too long.'));
          return true;
        }
        const parsed = parseHead(headBuf.toString('latin1', 0, endOfHead));
        if (parsed instanceof Error) {
          fail(parsed);
          return false;
        }
        settled = true;
        const get = (name: string): string | null => parsed.headers.get(name.toLowerCase()) ?? null;
        if ((get('transfer-encoding') ?? 'identity') !== 'identity') {
          settled = false;
          fail(new LeanGetError('The agent sent a chunked reply where a sized one was expected.'));
          return false;
        }
        const length = get('content-length');
        toClose = /(^|,)\s*close\s*(,|$)/i.test(get('connection') ?? '') || parsed.version === '1.0';
        remaining = parsed.status === 204 || parsed.status === 304 ? 0 : length === null ? -1 : Number(length);
        if (length !== null && !/^\d{1,15}$/.test(length)) {
          settled = false;
          fail(new LeanGetError('The agent sent an invalid Content-Length.'));
          return false;
        }
        if (remaining < 0) toClose = true;
        const rest = headBuf;
        headBuf = null;
        resolve({
          status: parsed.status,
          header: get,
          body: { [Symbol.asyncIterator]: iterate },
          discard: () => {
            if (!finished) finish(new LeanGetError('Download discarded.'));
          },
          recycle: recycleBlock,
        });
        if (remaining === 0) finish(null);
        else takeBody(rest, endOfHead + 4, rest.length);
      }
      if (ready.length >= READ_AHEAD_BLOCKS && !finished) {
        paused = true;
        return false;
      }
      return true;
    };

    async function* iterate(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          const next = ready.shift();
          if (next) {
            if (paused && ready.length < READ_AHEAD_BLOCKS && !finished) {
              paused = false;
              socket.resume();
            }
            yield next;
            continue;
          }
          if (failure) throw failure;
          if (done) return;
          let partial: NodeJS.Timeout | undefined;
          await new Promise<void>((r) => {
            wake = r;
            // The filled part is handed on as a copy and the block stays this exchange's: Node asks for the buffer of
            // the socket's next read right after each read, so the block's free end is lent already. Handed on whole,
            // the block could be recycled into another download while that read lands in it (seen as copies that
            // did not verify on a slow link under load).
            partial = setTimeout(() => {
              if (block && filled > handed && !finished) {
                ready.push(Buffer.from(block.subarray(handed, filled)));
                handed = filled;
              }
              notify();
            }, PARTIAL_BLOCK_MS);
          });
          clearTimeout(partial);
        }
      } finally {
        // The consumer stopped early: nobody will read the rest.
        if (!finished) finish(new LeanGetError('Download abandoned.'));
      }
    }

    socket.write(request);
  });
}

function parseHead(text: string): { status: number; version: string; headers: Map<string, string> } | Error {
  const lines = text.split('\r\n');
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) return new LeanGetError('The agent sent a reply that is not HTTP/1.1.');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) return new LeanGetError('The agent sent a malformed header line.');
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { status: Number(m[2]), version: m[1]!, headers };
}
