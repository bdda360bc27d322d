/**
 * Message size limits (issue 12): a call larger than the station accepts
 * fails with a clear `too_large` before it is sent, and when a server does
 * close the socket with 1009 (message too big) the waiting calls say so,
 * and the transport reconnects.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket as NodeWebSocket } from 'ws';
import { StationApiError } from '@contract';
import { createWsTransport, type WsTransport } from './ws-transport';

let wss: WebSocketServer | null = null;
let transport: WsTransport | null = null;
let connections = 0;

/** Answers health; a server with a small maxPayload closes with 1009 on anything bigger. */
async function startServer(maxPayload: number): Promise<string> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload });
  await new Promise<void>((resolve) => wss!.once('listening', resolve));
  wss.on('connection', (ws) => {
    connections++;
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id: number; method: string };
      if (msg.method === 'health') ws.send(JSON.stringify({ id: msg.id, ok: true, result: { status: 'ok' } }));
    });
  });
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/api/ws`;
}

afterEach(async () => {
  transport?.close();
  transport = null;
  connections = 0;
  await new Promise<void>((resolve) => {
    for (const c of wss?.clients ?? []) c.terminate();
    if (wss) wss.close(() => resolve());
    else resolve();
  });
  wss = null;
});

async function errorOf(p: Promise<unknown>): Promise<StationApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StationApiError);
    return err as StationApiError;
  }
  throw new Error('expected the call to fail');
}

const open = (url: string): WsTransport =>
  createWsTransport({ url, minBackoffMs: 20, WebSocketImpl: NodeWebSocket as unknown as typeof WebSocket });

describe('ws-transport message size', () => {
  it('refuses a call over the station limit before sending it; the connection stays open', async () => {
    transport = open(await startServer(64 << 20));
    const err = await errorOf(transport.importConfig({ config: { blob: 'x'.repeat(13_000_000) } }));
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/larger than the station accepts/);
    await expect(transport.health({})).resolves.toEqual({ status: 'ok' });
    expect(connections).toBe(1);
  }, 30_000);

  it('a 1009 close fails the waiting call as too_large, and the transport reconnects', async () => {
    transport = open(await startServer(1024));
    const err = await errorOf(transport.importConfig({ config: 'x'.repeat(4096) }));
    expect(err.code).toBe('too_large');
    await expect(transport.health({})).resolves.toEqual({ status: 'ok' });
    expect(connections).toBe(2);
  }, 30_000);
});
