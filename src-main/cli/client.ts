import { parseArgs, type ParseArgsConfig } from 'node:util';
import WebSocket from 'ws';
import {
  bindStationApi,
  StationApiError,
  type AgentView,
  type MethodName,
  type ParamsOf,
  type ResponseMessage,
  type ResultOf,
  type StationEvent,
  type StationMethods,
} from '../api/contract.js';
import { cliLogin } from '../auth/cli-login.js';
import { StationError, errorMessage } from '../util/errors.js';
import { wsText } from '../util/ws-text.js';

/** A StationApi client over the station's WebSocket, for the CLI and scripts. */
export class StationClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(e: StationEvent) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(wsText(data));
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      if ('event' in msg) {
        for (const l of this.listeners) l(msg as StationEvent);
        return;
      }
      const reply = msg as ResponseMessage;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new StationApiError(reply.error));
    });
    ws.on('close', () => {
      for (const p of this.pending.values())
        p.reject(new StationError('station_disconnected', 'The station closed the connection.'));
      this.pending.clear();
    });
  }

  /** Connects; a station that requires a login (401) is logged into with SKYSTATION_PASSWORD first. */
  static async connect(url: string, timeoutMs = 5_000): Promise<StationClient> {
    try {
      return await StationClient.open(url, timeoutMs, {});
    } catch (err) {
      if (!(err instanceof StationError) || err.code !== 'login_required') throw err;
      return StationClient.open(url, timeoutMs, { cookie: await cliLogin(url) });
    }
  }

  private static open(url: string, timeoutMs: number, headers: Record<string, string>): Promise<StationClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, headers });
      ws.once('open', () => resolve(new StationClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(
          res.statusCode === 401
            ? new StationError('login_required', 'This station requires a login.')
            : new StationError('station_unreachable', `The station at ${url} answered HTTP ${res.statusCode ?? '?'}.`),
        );
      });
      ws.once('error', (err) =>
        reject(
          new StationError(
            'station_unreachable',
            `No station answers at ${url}; start it with "npm start" (or pass --url). (${err.message})`,
          ),
        ),
      );
    });
  }

  call<M extends MethodName>(method: M, params?: ParamsOf<M>, timeoutMs = 120_000): Promise<ResultOf<M>> {
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StationError('station_timeout', `The station did not answer ${method} in time.`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as ResultOf<M>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params: params ?? {} }));
    });
  }

  /** Every method of the station API table, typed, over this connection (derived from the table). */
  readonly api: StationMethods = bindStationApi((method, params) =>
    this.call(method, params as ParamsOf<typeof method>),
  );

  onEvent(listener: (e: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.ws.close();
  }
}

type FlagsConfig = NonNullable<ParseArgsConfig['options']>;

/** The flags of every command that reaches the station: --url (default $SKYSTATION_URL), --json, --help. */
export function stationFlags() {
  return {
    url: { type: 'string', default: process.env['SKYSTATION_URL'] ?? 'ws://127.0.0.1:8082/api/ws' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const satisfies FlagsConfig;
}

/**
 * A command's flags and positionals (strict: an unknown flag is an error), or null once that error and
 * `usage` went to stderr (the command then exits with 2).
 */
export function parseCommandArgs<O extends FlagsConfig>(args: string[], options: O, usage: string) {
  try {
    return parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${usage}\n`);
    return null;
  }
}

/** A command's failure: `{ok:false,error:{code,message}}` on `out` with --json, else its message on stderr. Exit code 1. */
export function reportFailure(err: unknown, json: boolean, out: (s: string) => void): number {
  const code = err instanceof StationApiError || err instanceof StationError ? err.code : 'error';
  if (json) out(JSON.stringify({ ok: false, error: { code, message: errorMessage(err) } }));
  else process.stderr.write(`${errorMessage(err)}\n`);
  return 1;
}

/**
 * The one camera `ref` names: its id or name, else the only id that begins with it. Otherwise agent_unknown,
 * listing the cameras as `describe` writes them, or agent_ambiguous.
 */
export function agentByRef(
  agents: readonly AgentView[],
  ref: string,
  describe: (a: AgentView) => string = (a) => a.name,
): AgentView {
  const exact = agents.find((a) => a.id === ref || a.name === ref);
  if (exact) return exact;
  const hits = agents.filter((a) => a.id.startsWith(ref));
  if (hits.length === 1) return hits[0]!;
  throw new StationError(
    hits.length === 0 ? 'agent_unknown' : 'agent_ambiguous',
    hits.length === 0
      ? `No camera matches "${ref}". Known: ${agents.map(describe).join(', ') || 'none'}.`
      : `"${ref}" matches several cameras; use more of the id.`,
  );
}

/**
 * For a command: the client, or null once `say` was told why the station could not be reached (the
 * command then exits with 3). `say` writes a line to stderr unless the command reports another way.
 */
export async function connectOrSay(
  url: string,
  say: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): Promise<StationClient | null> {
  try {
    return await StationClient.connect(url);
  } catch (err) {
    say(errorMessage(err));
    return null;
  }
}
