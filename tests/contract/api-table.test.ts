/**
 * One method table, every transport (issue #13): each method in the station
 * API table is reachable, by name, through the preload's IPC bridge as the
 * renderer uses it and through the WebSocket as the CLI (and the browser) use
 * it, with errors crossing as {code, message, details} rather than text.
 *
 * Every method is called with params no schema accepts (a number), so each
 * call must reach the brain's own validation and come back as bad_request:
 * a method missing from a transport would fail as "not a function" or
 * unknown_method, and nothing is changed by the probe.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods, StationApiError, type MethodName, type StationEvent } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { StationClient } from '../../src-main/cli/client.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { createBridge } from '../../src-preload/bridge.js';
import { toStationApi } from '../../src-renderer/src/api/bridge-api.js';

let dir: string;
let station: Station;
let server: StationServer;
let cli: StationClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-api-table-'));
  station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
  server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
  cli = await StationClient.connect(`ws://127.0.0.1:${server.port}/api/ws`);
});

afterAll(async () => {
  cli?.close();
  await server?.close();
  await station?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The renderer's API over the preload's bridge, whose ipcRenderer reaches the brain as src-main/electron/ipc.ts does. */
function ipcApi(): ReturnType<typeof toStationApi> {
  const listeners = new Set<(e: unknown, d: StationEvent) => void>();
  const bridge = createBridge({
    invoke: (_channel, request) => {
      const r = request as { method: string; params: unknown };
      return station.dispatch(r.method, r.params);
    },
    on: (_channel, l) => listeners.add(l),
    removeListener: (_channel, l) => listeners.delete(l),
  });
  return toStationApi(bridge);
}

async function outcome(call: () => Promise<unknown>): Promise<{ code: string; field?: unknown }> {
  try {
    await call();
    return { code: 'ok' };
  } catch (err) {
    if (!(err instanceof StationApiError)) throw err;
    return { code: err.code, field: err.details?.['field'] };
  }
}

describe('the station API table', () => {
  const names = Object.keys(methods) as MethodName[];

  it('has every method on both transports, each reaching the brain by name', async () => {
    expect(names.length).toBeGreaterThan(60);
    const ipc = ipcApi();
    for (const m of names) {
      expect(typeof ipc[m], `IPC: ${m}`).toBe('function');
      expect(typeof cli.api[m], `WebSocket: ${m}`).toBe('function');
      const call = (api: typeof ipc | typeof cli.api) => (api[m] as (p: unknown) => Promise<unknown>)(42);
      const viaIpc = await outcome(() => call(ipc));
      const viaWs = await outcome(() => call(cli.api));
      expect(viaIpc, `IPC: ${m}`).toEqual({ code: 'bad_request', field: '(params)' });
      expect(viaWs, `WebSocket: ${m}`).toEqual(viaIpc);
    }
  });

  it('carries results, and errors as code, message and details, the same way over both', async () => {
    const ipc = ipcApi();
    expect((await ipc.health()).status).toBe('ok');
    expect((await cli.api.health()).status).toBe('ok');
    const bad = { agentId: 'x', intervalSeconds: 0 };
    const errs = await Promise.all(
      [ipc, cli.api].map((api) => api.startSession(bad).catch((e: unknown) => e as StationApiError)),
    );
    for (const e of errs) {
      expect(e).toBeInstanceOf(StationApiError);
      expect(e).toMatchObject({ code: 'bad_request', details: { field: 'intervalSeconds' } });
      expect((e as StationApiError).message).toMatch(/interval is 1 to 3600 s/);
    }
  });
});
