/**
 * An agent from before exposure ramps, for compatibility tests: a loopback
 * relay in front of a real agent process that passes every request and
 * WebSocket through, except that GET /health lists no features (as agents
 * before feature tags answered) and POST /profile/deploy is checked first against
 * the deployment bundle as it was before `settings.ramp` existed, with the
 * agent's own validation and error replies (so the station sees exactly what an
 * old agent answers: 400, "settings.ramp: unknown field"). `upgrade()` makes it
 * a current agent.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readBody, sendError, validate } from '../../agent/src/http/router.js';
import { DeploymentBundle, ProfileSnapshot } from '../../agent/src/protocol/index.js';
import { AgentError } from '../../agent/src/util/errors.js';

/** The bundle as agents before exposure ramps validated it. */
const BundleBeforeRamps = DeploymentBundle.extend({ settings: ProfileSnapshot.shape.settings.omit({ ramp: true }) });

export interface OlderAgent {
  port: number;
  /** Deploy requests refused so far. */
  refused(): number;
  /** From now on, behave as a current agent. */
  upgrade(): void;
  close(): Promise<void>;
}

export async function olderAgent(target: { port: number }): Promise<OlderAgent> {
  let old = true;
  let refused = 0;
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer | null): void => {
    const out = request(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.once('error', () => res.destroy());
    if (body) out.end(body);
    else req.pipe(out);
  };

  // An old agent's /health listed no features: the current agent's answer without them.
  const oldHealth = (req: IncomingMessage, res: ServerResponse): void => {
    const out = request(
      { host: '127.0.0.1', port: target.port, method: 'GET', path: req.url, headers: req.headers },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.once('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          delete body['features'];
          const text = JSON.stringify(body);
          res.writeHead(up.statusCode ?? 502, { 'content-type': 'application/json' });
          res.end(text);
        });
        up.once('error', () => res.destroy());
      },
    );
    out.once('error', () => res.destroy());
    out.end();
  };

  const server = createServer((req, res) => {
    if (old && req.method === 'GET' && req.url === '/health') {
      oldHealth(req, res);
      return;
    }
    if (!old || req.method !== 'POST' || req.url !== '/profile/deploy') {
      forward(req, res, null);
      return;
    }
    void (async () => {
      const body = await readBody(req, 4 * 1024 * 1024);
      try {
        validate(BundleBeforeRamps, JSON.parse(body.toString('utf8')), 'deployment');
      } catch (err) {
        if (!(err instanceof AgentError)) throw err;
        refused++;
        sendError(res, err);
        return;
      }
      forward(req, res, body);
    })().catch(() => res.destroy());
  });
  // The station's event stream and previews: pass the upgrade through as raw bytes.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const up = connect(target.port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const s of [client, up]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.once('error', () => {
        client.destroy();
        up.destroy();
      });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    refused: () => refused,
    upgrade: () => {
      old = false;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
