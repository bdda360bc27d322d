/**
 * The WebSocket transport against a real WebSocket server on loopback: a long
 * call (a bracket of night exposures) lasts as long as the station keeps
 * answering, and fails only when the station has gone silent.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, WebSocket as NodeWebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { createWsTransport, type WsTransport } from './ws-transport';

interface Server {
  url: string;
  /** When false the server swallows everything (a station that hangs without closing the socket). */
  answering: boolean;
  healthCalls: number;
  /** Answers the waiting captureBracket now (when the server was started with bracketMs = Infinity). */
  release(): void;
  close(): Promise<void>;
}

/** A station stand-in: answers health at once and captureBracket after `bracketMs`. */
async function startServer(bracketMs: number): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const server: Server = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/ws`,
    answering: true,
    healthCalls: 0,
    release: () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      if (!server.answering) return;
      const msg = JSON.parse(data.toString('utf8')) as { id: number; method: string };
      if (msg.method === 'health') {
        server.healthCalls++;
        ws.send(JSON.stringify({ id: msg.id, ok: true, result: { status: 'ok' } }));
      } else if (msg.method === 'captureBracket') {
        setTimeout(() => {
          if (server.answering)
            ws.send(JSON.stringify({ id: msg.id, ok: true, result: [{ id: 'a/1' }, { id: 'a/2' }] }));
        }, bracketMs);
      }
    });
  });
  return server;
}

let transport: WsTransport | null = null;
let server: Server | null = null;
afterEach(async () => {
  vi.useRealTimers();
  transport?.close();
  transport = null;
  await server?.close();
  server = null;
});

describe('ws-transport long calls', () => {
  it('waits for a call that outlasts the heartbeat window many times while the station answers heartbeats', async () => {
    server = await startServer(2_500);
    transport = createWsTransport({
      url: server.url,
      heartbeatMs: 100,
      heartbeatTimeoutMs: 1_500,
      WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket,
    });
    const result = await transport.captureBracket({ agentId: 'a', evs: [-2, 0, 2] });
    expect(result).toEqual([{ id: 'a/1' }, { id: 'a/2' }]);
    // It did check on the station while it waited (the call lasted far longer than heartbeatMs).
    expect(server.healthCalls).toBeGreaterThan(0);
    expect(transport.state).toBe('open');
  });

  it('puts no time limit of its own on a call (a 7.5 + 30 + 120 s bracket took 158 s and was reported failed)', async () => {
    server = await startServer(Infinity);
    transport = createWsTransport({
      url: server.url,
      // No heartbeats in this test: only the transport's own limits are under test.
      heartbeatMs: 1e9,
      heartbeatTimeoutMs: 1e9,
      WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket,
    });
    await transport.health();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let settled: unknown = 'waiting';
    const call = transport.captureBracket({ agentId: 'a', evs: [-2, 0, 2] }).then(
      (r) => (settled = r),
      (e: unknown) => (settled = e),
    );
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(settled).toBe('waiting');
    vi.useRealTimers();
    server.release();
    await call;
    expect(settled).toEqual([{ id: 'a/1' }, { id: 'a/2' }]);
  });

  it('fails a waiting call with a clear message once the station stops answering, and reconnects', async () => {
    server = await startServer(60_000);
    const states: string[] = [];
    transport = createWsTransport({
      url: server.url,
      heartbeatMs: 100,
      heartbeatTimeoutMs: 400,
      minBackoffMs: 50,
      WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket,
    });
    transport.onConnectionChange((s) => states.push(s));
    const call = transport.captureBracket({ agentId: 'a', evs: [-2, 0, 2] });
    await transport.health();
    server.answering = false;
    await expect(call).rejects.toMatchObject({ code: 'disconnected', message: /stopped answering/ });
    expect(states).toContain('closed');
    server.answering = true;
    // The transport opens a fresh connection by itself and calls work again.
    await expect(transport.health()).resolves.toEqual({ status: 'ok' });
  });

  it('still honours an explicit cap when a caller sets one', async () => {
    server = await startServer(60_000);
    transport = createWsTransport({
      url: server.url,
      callTimeoutMs: 200,
      WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket,
    });
    await expect(transport.captureBracket({ agentId: 'a', evs: [-1, 1] })).rejects.toMatchObject({ code: 'timeout' });
  });
});
