import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { AgentError, NotFoundError, ValidationError } from '../util/errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Reads and JSON-parses the body (size-limited). */
  json(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/** A tiny router: exact segments and ":name" parameters. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: 'GET' | 'POST' | 'PUT' | 'DELETE', pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | 'method_not_allowed' | null {
    const parts = pathname.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
            break;
          }
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      pathMatched = true;
      const effective = method === 'HEAD' ? 'GET' : method;
      if (route.method === effective) return { handler: route.handler, params };
    }
    return pathMatched ? 'method_not_allowed' : null;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: AgentError): void {
  sendJson(res, err.status, {
    status: 'error',
    error: { code: err.code, message: err.message, ...(err.field === undefined ? {} : { field: err.field }) },
  });
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): AgentError =>
    new AgentError('payload_too_large', `The request body is larger than ${limit} bytes.`, { status: 413 });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onBroken);
      req.off('close', onBroken);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading but keep the socket: the caller answers 413 and closes it after (cutOffBody).
        done();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(Buffer.concat(chunks));
    };
    // The client hung up (or broke the framing) before its body arrived: its mistake, not the agent's.
    const onBroken = (): void => {
      done();
      reject(new ValidationError('The request body did not arrive in full.', undefined, 'incomplete_body'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onBroken);
    req.once('close', onBroken);
  });
}

/** Validates with a zod schema; the first problem becomes a 400 naming the field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new ValidationError(`The ${what} is invalid.`);
  let path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    path = path ? `${path}.${key}` : key;
    message = `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}`;
  }
  if (path === '') throw new ValidationError(`The ${what} is invalid: ${message}.`);
  throw new ValidationError(`${path}: ${message}`, path);
}

export function notFound(pathname: string): NotFoundError {
  return new NotFoundError(`Nothing here: ${pathname}. See GET /health for the API version.`);
}
