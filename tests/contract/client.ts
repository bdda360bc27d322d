/**
 * A small fetch wrapper for tests that talk to a real agent process. It adds
 * the bearer token when the agent has one (<data-dir>/auth/admin.token, or
 * a `token` the process helper exposes), so authentication is one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';

export interface AgentHttp {
  base: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  get(path: string): Promise<{ status: number; body: unknown }>;
  post(path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

export function agentToken(dataDir: string, exposed?: string): string | null {
  if (exposed) return exposed;
  const file = join(dataDir, 'auth', 'admin.token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

export function agentHttp(port: number, dataDir: string, exposedToken?: string): AgentHttp {
  const base = `http://127.0.0.1:${port}`;
  const request = async (method: string, path: string, body?: unknown) => {
    const token = agentToken(dataDir, exposedToken);
    const headers: Record<string, string> = {};
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed };
  };
  return {
    base,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body ?? {}),
  };
}

/** Parses with a zod schema and fails with the issues and the body (a readable contract failure). */
export function expectShape<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new Error(
      `${what}: response does not match its schema: ${JSON.stringify(r.error.issues)}\n${JSON.stringify(value)}`,
    );
  }
  return r.data;
}
