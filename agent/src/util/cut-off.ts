import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answer a request without reading the rest of its body (too large, or not
 * wanted): reading stops at once (the client's sends back up), the answer
 * goes out with `connection: close`, and the socket is half-closed and then
 * dropped a moment later, so the client can read the answer before the reset
 * that unread bytes cause. Call before writing the response.
 */
export function cutOffBody(req: IncomingMessage, res: ServerResponse, graceMs = 1000): void {
  // Mark the body as consumed (so the server does not drain it after the
  // answer) and let it back up: nobody reads it.
  req.pause();
  req.read(0);
  res.shouldKeepAlive = false;
  res.setHeader('connection', 'close');
  const socket = req.socket;
  // Node ends and destroys a `connection: close` socket right after the
  // answer; with unread bytes that destroy resets the connection and the
  // client may lose the answer. Half-close now, destroy after a grace period.
  socket.destroySoon = (): void => {
    if (!socket.writableEnded) socket.end();
    setTimeout(() => socket.destroy(), graceMs).unref();
  };
}
