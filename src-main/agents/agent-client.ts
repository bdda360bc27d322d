import type { z } from 'zod';
import { StationError } from '../util/errors.js';
import { fetchPinnedTls, pinnedFetch, type PinnedTls } from './tls-pin.js';
import {
  AckResponse,
  CaptureListResponse,
  CaptureResponse,
  DeployResponse,
  ErrorResponse,
  HealthResponse,
  MeterResponse,
  StatusResponse,
  type CaptureRequest,
  type DeploymentBundle,
} from './protocol.js';

export interface AgentAddress {
  host: string;
  port: number;
}

export function agentBaseUrl(a: AgentAddress, secure = false): string {
  const host = a.host.includes(':') && !a.host.startsWith('[') ? `[${a.host}]` : a.host;
  return `${secure ? 'https' : 'http'}://${host}:${a.port}`;
}

/**
 * HTTP client for one agent. Every response is validated against the agent's
 * protocol schemas; anything else becomes a StationError the operator can act on.
 */
export class AgentClient {
  readonly baseUrl: string;
  private pinned: PinnedTls | null = null;
  private pinning: Promise<PinnedTls> | null = null;

  /**
   * `token`: sent as `Authorization: Bearer` on HTTP and WebSocket (issue 4).
   * `fingerprint`: the agent serves HTTPS/WSS (--tls) with a self-signed
   * certificate of this sha256 fingerprint; only that certificate is trusted.
   */
  constructor(
    private readonly address: AgentAddress,
    private readonly options: { timeoutMs?: number; token?: string; fingerprint?: string } = {},
  ) {
    this.baseUrl = agentBaseUrl(address, options.fingerprint !== undefined);
  }

  health(): Promise<HealthResponse> {
    return this.json('GET', '/health', HealthResponse);
  }

  status(): Promise<StatusResponse> {
    return this.json('GET', '/status', StatusResponse);
  }

  meter(): Promise<MeterResponse> {
    return this.json('GET', '/meter', MeterResponse);
  }

  capture(request: CaptureRequest, timeoutMs = 120_000): Promise<CaptureResponse> {
    return this.json('POST', '/capture', CaptureResponse, request, timeoutMs);
  }

  /** POST /profile/deploy: the compiled profile snapshot plus its capture plan. */
  deploy(bundle: DeploymentBundle): Promise<z.infer<typeof DeployResponse>> {
    return this.json('POST', '/profile/deploy', DeployResponse, bundle, 30_000);
  }

  listCaptures(after: number, limit: number, unsyncedOnly: boolean): Promise<CaptureListResponse> {
    const q = new URLSearchParams({ after: String(after), limit: String(limit) });
    if (unsyncedOnly) q.set('unsynced', 'true');
    return this.json('GET', `/captures?${q.toString()}`, CaptureListResponse);
  }

  ack(captures: { capture_id: string; sha256: string }[]): Promise<z.infer<typeof AckResponse>> {
    return this.json('POST', '/captures/ack', AckResponse, { captures });
  }

  /** Raw file download; `from` resumes with an HTTP Range request. */
  async download(captureId: string, from = 0, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = this.authHeaders();
    if (from > 0) headers['range'] = `bytes=${from}-`;
    const res = await this.fetch(`/captures/${encodeURIComponent(captureId)}/file`, {
      method: 'GET',
      headers,
      signal: signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
    });
    if (!res.ok) throw await this.errorFrom(res);
    return res;
  }

  eventsUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/events`;
  }

  /**
   * Options for a `ws` WebSocket to this agent (/events, /preview): the token
   * header and, for a pinned agent, trust in its certificate only. Before the
   * first HTTP call has fetched the pinned certificate the socket fails its TLS
   * check (and is retried), so the token never goes to an unproven peer.
   */
  wsOptions(): { headers: Record<string, string> } & Partial<PinnedTls> {
    return { headers: this.authHeaders(), ...(this.pinned ?? {}) };
  }

  private authHeaders(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private async json<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    schema: S,
    body?: unknown,
    timeoutMs = this.options.timeoutMs ?? 10_000,
  ): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeaders() };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await this.fetch(path, init);
    if (!res.ok) throw await this.errorFrom(res);
    let data: unknown;
    try {
      data = await res.json();
    } catch (cause) {
      throw new StationError('agent_bad_response', `The agent at ${this.baseUrl} sent a reply that is not JSON.`, {
        cause,
      });
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StationError(
        'agent_bad_response',
        `The agent at ${this.baseUrl} answered ${path} in an unexpected shape (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}). Update the agent to the station's version.`,
      );
    }
    return parsed.data;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      if (this.options.fingerprint === undefined) return await fetch(`${this.baseUrl}${path}`, init);
      return await pinnedFetch(`${this.baseUrl}${path}`, init, await this.pinnedTls());
    } catch (cause) {
      if (cause instanceof StationError) throw cause;
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      throw new StationError(
        timedOut ? 'agent_timeout' : 'agent_unreachable',
        timedOut
          ? `The agent at ${this.baseUrl} did not answer in time. Check that it is running and the network is up.`
          : `Cannot reach the agent at ${this.baseUrl}. Check that it is running and reachable from this computer.`,
        { cause },
      );
    }
  }

  private async pinnedTls(): Promise<PinnedTls> {
    if (this.pinned) return this.pinned;
    this.pinning ??= fetchPinnedTls(this.address.host, this.address.port, this.options.fingerprint!);
    try {
      this.pinned = await this.pinning;
      return this.pinned;
    } finally {
      this.pinning = null;
    }
  }

  private async errorFrom(res: Response): Promise<StationError> {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      // not JSON; fall through
    }
    const parsed = ErrorResponse.safeParse(body);
    if (parsed.success) {
      return new StationError(parsed.data.error.code, `The agent refused: ${parsed.data.error.message}`);
    }
    return new StationError('agent_http_error', `The agent at ${this.baseUrl} answered HTTP ${res.status}.`);
  }
}
