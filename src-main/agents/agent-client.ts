import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { z } from 'zod';
import { StationError } from '../util/errors.js';
import { leanGet } from './lean-get.js';
import { fetchPinnedTls, pinnedFetch, type PinnedTls } from './tls-pin.js';
import {
  AckResponse,
  CaptureListResponse,
  CaptureResponse,
  CinePiError,
  CinePiOk,
  TimelapseStartResponse,
  TimelapseStatusResponse,
  SensorReadingsResponse,
  ClockSetResponse,
  ClockStatusResponse,
  DeployResponse,
  ErrorResponse,
  HealthResponse,
  MeterResponse,
  StatusResponse,
  CinePiLogs,
  SessionResponse,
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

  /** CinePi timelapse session: POST /api/capture/start (interval 1–3600 s). */
  startTimelapse(intervalSeconds: number): Promise<z.infer<typeof TimelapseStartResponse>> {
    return this.json('POST', '/api/capture/start', TimelapseStartResponse, { interval: intervalSeconds });
  }

  /** POST /api/capture/stop. */
  stopTimelapse(): Promise<z.infer<typeof CinePiOk>> {
    return this.json('POST', '/api/capture/stop', CinePiOk, {});
  }

  /** GET /api/capture/status: the running session, or the last one and why it stopped. */
  timelapseStatus(): Promise<z.infer<typeof TimelapseStatusResponse>> {
    return this.json('GET', '/api/capture/status', TimelapseStatusResponse);
  }

  /** GET /sensors/readings: the sensor time series after a reading id, oldest first. */
  sensorReadings(after: number, limit = 1000): Promise<SensorReadingsResponse> {
    const q = new URLSearchParams({ after: String(after), limit: String(limit) });
    return this.json('GET', `/sensors/readings?${q.toString()}`, SensorReadingsResponse);
  }

  /** GET /api/logs: the agent's newest log entries, newest first. */
  logs(limit: number, level?: 'info' | 'warning' | 'error'): Promise<z.infer<typeof CinePiLogs>> {
    const q = new URLSearchParams({ limit: String(limit), ...(level ? { level } : {}) });
    return this.json('GET', `/api/logs?${q.toString()}`, CinePiLogs);
  }

  /** GET /api/session: who controls the camera among interactive viewers (the paired station always may). */
  control(): Promise<SessionResponse> {
    return this.json('GET', '/api/session', SessionResponse);
  }

  /** POST /api/force-master/:session_id: hand control among viewers to that session. */
  forceMaster(sessionId: string): Promise<SessionResponse> {
    return this.json('POST', `/api/force-master/${encodeURIComponent(sessionId)}`, SessionResponse, {});
  }

  /** GET /clock: the agent's time and the offset it applies. */
  clock(): Promise<ClockStatusResponse> {
    return this.json('GET', '/clock', ClockStatusResponse);
  }

  /** POST /clock: tells the agent the station's time; `apply` corrects the agent's clock to it. */
  setClock(time: Date, apply: boolean): Promise<ClockSetResponse> {
    return this.json('POST', '/clock', ClockSetResponse, { time: time.toISOString(), apply });
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

  /**
   * Raw file download; `from` resumes with an HTTP Range request. Plain HTTP
   * goes through leanGet (a kept-alive connection reading into one reused
   * buffer: about a quarter of node:http's CPU per byte); HTTPS through
   * node:https trusting only the pinned certificate.
   */
  async download(captureId: string, from = 0, signal?: AbortSignal, extra?: string): Promise<DownloadResponse> {
    const headers: Record<string, string> = this.authHeaders();
    if (from > 0) headers['range'] = `bytes=${from}-`;
    const query = extra === undefined ? '' : `?extra=${encodeURIComponent(extra)}`;
    const path = `/captures/${encodeURIComponent(captureId)}/file${query}`;
    const tls = this.options.fingerprint === undefined ? null : await this.pinnedTls();
    const abort = signal ?? AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    let res: DownloadResponse;
    try {
      if (tls) {
        const msg = await new Promise<IncomingMessage>((resolve, reject) => {
          const req = httpsRequest(
            `${this.baseUrl}${path}`,
            {
              method: 'GET',
              headers,
              signal: abort,
              ca: tls.ca,
              checkServerIdentity: tls.checkServerIdentity,
              servername: 'localhost',
              agent: downloadHttpsAgent,
            },
            resolve,
          );
          req.once('error', reject);
          req.end();
        });
        const header = (name: string): string | null => {
          const v = msg.headers[name.toLowerCase()];
          return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
        };
        res = { status: msg.statusCode ?? 502, header, body: msg, discard: () => msg.destroy() };
      } else {
        res = await leanGet(this.address.host.replace(/^\[(.*)\]$/, '$1'), this.address.port, path, headers, abort);
      }
    } catch (cause) {
      throw this.unreachable(cause);
    }
    if (res.status < 200 || res.status >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) chunks.push(chunk);
      throw this.errorFromBody(res.status, Buffer.concat(chunks).toString('utf8'));
    }
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
      throw this.unreachable(cause);
    }
  }

  /** What a request that got no answer throws: agent_timeout when it ran out of time, else agent_unreachable. */
  private unreachable(cause: unknown): StationError {
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    return new StationError(
      timedOut ? 'agent_timeout' : 'agent_unreachable',
      timedOut
        ? `The agent at ${this.baseUrl} did not answer in time. Check that it is running and the network is up.`
        : `Cannot reach the agent at ${this.baseUrl}. Check that it is running and reachable from this computer.`,
      { cause },
    );
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
    let text = '';
    try {
      text = await res.text();
    } catch {
      // no body
    }
    return this.errorFromBody(res.status, text);
  }

  private errorFromBody(status: number, text: string): StationError {
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON; fall through
    }
    const parsed = ErrorResponse.safeParse(body);
    if (parsed.success) {
      return new StationError(parsed.data.error.code, `The agent refused: ${parsed.data.error.message}`);
    }
    // The CinePi-compatible endpoints answer in that dashboard's shape.
    const cinepi = CinePiError.safeParse(body);
    if (cinepi.success) return new StationError(cinepi.data.code, `The agent refused: ${cinepi.data.error}`);
    return new StationError('agent_http_error', `The agent at ${this.baseUrl} answered HTTP ${status}.`);
  }
}

/** A streamed file from an agent. */
export interface DownloadResponse {
  status: number;
  /** A response header, or null. */
  header(name: string): string | null;
  body: AsyncIterable<Buffer>;
  /** Drop the rest of the body (and its connection). */
  discard(): void;
  /** Hand a body block back once it is written and hashed, to be reused for the next bytes (when supported). */
  recycle?(block: Buffer): void;
}

const downloadHttpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });
