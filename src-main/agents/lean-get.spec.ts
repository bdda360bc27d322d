import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { leanGet, type LeanResponse } from './lean-get.js';

const servers: (Server | NetServer)[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(s: Server | NetServer): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** A TCP server that plays the agent's side by hand; its connections are closed after each test. */
function rawServer(onConnection: (socket: Socket) => void): NetServer {
  return createNetServer((socket) => {
    sockets.push(socket);
    onConnection(socket);
  });
}

async function readAll(res: LeanResponse): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const block of res.body) {
    parts.push(Buffer.from(block));
    res.recycle(block);
  }
  return Buffer.concat(parts);
}

const timeout = (): AbortSignal => AbortSignal.timeout(10_000);

describe('leanGet', () => {
  const file = randomBytes(3_500_000);

  async function fileServer(): Promise<{ port: number; connections: () => number; seen: Record<string, string>[] }> {
    let connections = 0;
    const seen: Record<string, string>[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers as Record<string, string>);
      if (req.url === '/missing') {
        const body = JSON.stringify({ status: 'error', error: { code: 'capture_not_found', message: 'No capture.' } });
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const headers: Record<string, string | number> = { 'content-length': file.length - start, 'x-sha256': 'abc' };
      if (m) headers['content-range'] = `bytes ${start}-${file.length - 1}/${file.length}`;
      res.writeHead(m ? 206 : 200, headers);
      res.end(file.subarray(start));
    });
    server.on('connection', () => connections++);
    const port = await listen(server);
    return { port, connections: () => connections, seen };
  }

  it('streams a multi-block body intact and keeps the connection for the next request', async () => {
    const srv = await fileServer();
    const first = await leanGet('127.0.0.1', srv.port, '/f', { authorization: 'Bearer t' }, timeout());
    expect(first.status).toBe(200);
    expect(first.header('X-SHA256')).toBe('abc');
    expect((await readAll(first)).equals(file)).toBe(true);
    const second = await leanGet('127.0.0.1', srv.port, '/f', {}, timeout());
    expect((await readAll(second)).equals(file)).toBe(true);
    expect(srv.connections()).toBe(1);
    expect(srv.seen[0]!['authorization']).toBe('Bearer t');
  });

  it('sends a Range header and returns the partial content', async () => {
    const srv = await fileServer();
    const res = await leanGet('127.0.0.1', srv.port, '/f', { range: 'bytes=1000000-' }, timeout());
    expect(res.status).toBe(206);
    expect(res.header('content-range')).toBe(`bytes 1000000-${file.length - 1}/${file.length}`);
    expect((await readAll(res)).equals(file.subarray(1_000_000))).toBe(true);
  });

  it('returns error statuses with their body', async () => {
    const srv = await fileServer();
    const res = await leanGet('127.0.0.1', srv.port, '/missing', {}, timeout());
    expect(res.status).toBe(404);
    expect(JSON.parse((await readAll(res)).toString('utf8'))).toMatchObject({ error: { code: 'capture_not_found' } });
  });

  it('hands on the bytes that arrived, then fails, when the connection breaks off mid-body', async () => {
    const server = rawServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 3000000\r\n\r\n');
        socket.write(file.subarray(0, 1_500_000), () => socket.destroy());
      });
    });
    const port = await listen(server);
    const res = await leanGet('127.0.0.1', port, '/f', {}, timeout());
    let got = 0;
    let failure: unknown = null;
    try {
      for await (const block of res.body) got += block.length;
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(Error);
    expect(got).toBe(1_500_000);
  });

  it('reads a body that trickles in odd-sized pieces across block edges, then the next reply on the same connection', async () => {
    // Pieces of 7,777 bytes written one per turn, so reads end anywhere within the blocks the body is read into;
    // the head and the start of the body share the first piece.
    const server = rawServer((socket) => {
      socket.on('data', () => {
        const reply = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${file.length}\r\n\r\n`), file]);
        let at = 0;
        const next = (): void => {
          if (at >= reply.length || socket.destroyed) return;
          socket.write(reply.subarray(at, at + 7_777));
          at += 7_777;
          setImmediate(next);
        };
        next();
      });
    });
    const port = await listen(server);
    for (let i = 0; i < 2; i++) {
      const res = await leanGet('127.0.0.1', port, '/f', {}, timeout());
      expect((await readAll(res)).equals(file)).toBe(true);
    }
    expect(sockets).toHaveLength(1);
  });

  it('hands a slow body on in pieces without letting its next read land in a block another download now holds', async () => {
    // A slow link: a piece arrives, then nothing for longer than the partial-block wait, so the consumer gets the
    // piece and hands its memory back. A second download starts meanwhile and takes a block; then the first link's
    // next piece arrives. Node lends the socket its next read buffer right after each read, so had the first block
    // changed hands, that piece would land in the second download's bytes.
    const bodyA = randomBytes(3000);
    const bodyB = randomBytes(3000);
    const send: Record<'a' | 'b', (from: number, to: number) => void> = { a: () => undefined, b: () => undefined };
    const serve = (name: 'a' | 'b', body: Buffer, first: number): NetServer =>
      rawServer((socket) => {
        socket.once('data', () => {
          socket.write(
            Buffer.concat([
              Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`),
              body.subarray(0, first),
            ]),
          );
          send[name] = (from, to) => socket.write(body.subarray(from, to));
        });
      });
    const portA = await listen(serve('a', bodyA, 1000));
    const portB = await listen(serve('b', bodyB, 2000));
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    const resA = await leanGet('127.0.0.1', portA, '/a', {}, timeout());
    const itA = resA.body[Symbol.asyncIterator]();
    const gotA: Buffer[] = [];
    const takeA = async (): Promise<void> => {
      const step = await itA.next();
      if (step.done === true) throw new Error('the body ended early');
      gotA.push(Buffer.from(step.value));
      resA.recycle(step.value);
    };
    await takeA(); // the first 1000 bytes, handed on once the link has been quiet a while, and handed back
    const resB = await leanGet('127.0.0.1', portB, '/b', {}, timeout());
    await pause(100); // B's first 2000 bytes are in its block
    send.a(1000, 1500);
    await takeA();
    send.a(1500, 3000);
    while (Buffer.concat(gotA).length < bodyA.length) await takeA();
    send.b(2000, 3000);
    expect((await readAll(resB)).equals(bodyB)).toBe(true);
    expect(Buffer.concat(gotA).equals(bodyA)).toBe(true);
  });

  it('sends the request again on a new connection when a kept-alive one was closed before answering', async () => {
    let connections = 0;
    const server = rawServer((socket) => {
      const n = ++connections;
      let requests = 0;
      socket.on('data', () => {
        requests++;
        // The first connection answers once, then drops the second request unanswered.
        if (n === 1 && requests === 2) {
          socket.destroy();
          return;
        }
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
      });
    });
    const port = await listen(server);
    expect((await readAll(await leanGet('127.0.0.1', port, '/a', {}, timeout()))).toString()).toBe('hello');
    expect((await readAll(await leanGet('127.0.0.1', port, '/b', {}, timeout()))).toString()).toBe('hello');
    expect(connections).toBe(2);
  });

  it('gives up with the signal when the agent never answers', async () => {
    // Reads the request and never answers.
    const server = rawServer((socket) => socket.resume());
    const port = await listen(server);
    await expect(leanGet('127.0.0.1', port, '/f', {}, AbortSignal.timeout(200))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('does not reuse a connection whose body was abandoned', async () => {
    const srv = await fileServer();
    const res = await leanGet('127.0.0.1', srv.port, '/f', {}, timeout());
    for await (const block of res.body) {
      expect(block.length).toBeGreaterThan(0);
      break;
    }
    expect((await readAll(await leanGet('127.0.0.1', srv.port, '/f', {}, timeout()))).equals(file)).toBe(true);
    expect(srv.connections()).toBe(2);
  });

  it('refuses header values that would split the request', async () => {
    await expect(leanGet('127.0.0.1', 1, '/f', { authorization: 'x\r\nevil: 1' }, timeout())).rejects.toThrow(
      /control characters/,
    );
  });

  it('fails with the socket error when nothing listens', async () => {
    const server = createNetServer();
    const port = await listen(server);
    await new Promise((r) => server.close(r));
    servers.splice(servers.indexOf(server), 1);
    await expect(leanGet('127.0.0.1', port, '/f', {}, timeout())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
