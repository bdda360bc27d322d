/**
 * An agent answers 413 to a body over its limit and the client reads that
 * answer, whether the body was declared too large or streamed (chunked) past
 * the limit; the agent stops reading at once and the connection closes after
 * the answer (issue #12, finding 6 on the agent side).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

let dir: string;
let agent: RunningProcess & { port: number; auth: { authorization: string } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-body-limit-'));
  agent = await startAgentProcess(dir, ['--sim-resolution', '160x120']);
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Writes `head`, then `chunk` every few ms up to `total` bytes, and returns what the agent answered. */
function send(head: string, chunk: Buffer, total: number): Promise<{ answer: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect(agent.port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let stop = false;
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      stop = true;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, sent }));
    socket.write(head);
    const pump = (): void => {
      if (stop || socket.destroyed || sent >= total) return;
      socket.write(chunk, () => setTimeout(pump, 2));
      sent += chunk.length;
    };
    pump();
  });
}

describe('agent request body limit', () => {
  it('answers a declared 1 GB body with a 413 the client can read, and closes', async () => {
    const head =
      `POST /capture HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${agent.auth.authorization}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n`;
    const r = await send(head, Buffer.alloc(16 * 1024, 0x20), 8 * 1024 * 1024);
    expect(r.answer).toMatch(/^HTTP\/1\.1 413/);
    expect(r.answer).toMatch(/payload_too_large/);
    expect(r.sent).toBeLessThan(8 * 1024 * 1024);
  });

  it('answers a chunked body that grows past the limit with a 413 the client can read', async () => {
    const head =
      `POST /capture HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${agent.auth.authorization}\r\n` +
      `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const body = Buffer.alloc(16 * 1024, 0x20);
    const chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
    const r = await send(head, chunk, 8 * 1024 * 1024);
    expect(r.answer).toMatch(/^HTTP\/1\.1 413/);
    expect(r.sent).toBeLessThan(8 * 1024 * 1024);
    // The agent still serves.
    expect((await fetch(`http://127.0.0.1:${agent.port}/health`)).status).toBe(200);
  });
});
