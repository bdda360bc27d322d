/**
 * Timelapse sessions from the station and its command line (seed 000's
 * "session start/stop"): the session runs on the agent (its CinePi session
 * endpoints), the captures come back to the gallery, and bad intervals are
 * refused before anything starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { runCli } from '../../src-main/cli/main.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

describe('timelapse sessions from the station', () => {
  let dir: string;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station;
  let server: StationServer;
  let agentId: string;

  const cli = async (...args: string[]): Promise<{ code: number; out: string[] }> => {
    const out: string[] = [];
    const code = await runCli([...args, '--url', `ws://127.0.0.1:${server.port}/api/ws`], (s) => out.push(s));
    return { code, out };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-session-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360', '--name', 'ridge']);
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
    server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
    agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a session from the CLI, captures into the gallery, and stops it', async () => {
    const started = await cli('session', 'start', 'ridge', '--interval', '1', '--json');
    expect(started.code).toBe(0);
    const view = JSON.parse(started.out.join('\n')) as SessionView;
    expect(view).toMatchObject({ agentId, active: true, intervalSeconds: 1 });

    const running = await until(
      () => station.call('sessionStatus', { agentId }),
      (s) => s.captures >= 2,
    );
    expect(running.active).toBe(true);
    await until(
      async () => (await station.call('listCaptures', { agentId, limit: 50 })).items.length,
      (n) => n >= 2,
    );

    const stopped = await cli('session', 'stop', 'ridge');
    expect(stopped.code).toBe(0);
    expect(stopped.out.join('\n')).toMatch(/no session running; the last one took \d+ captures/);
    const after = await station.call('sessionStatus', { agentId });
    expect(after.active).toBe(false);
    expect(after.stoppedAt).not.toBeNull();
  }, 60_000);

  it('refuses bad intervals and unknown actions before anything starts', async () => {
    expect((await cli('session', 'start', 'ridge', '--interval', '0')).code).toBe(2);
    expect((await cli('session', 'start', 'ridge', '--interval', 'often')).code).toBe(2);
    expect((await cli('session', 'pause', 'ridge')).code).toBe(2);
    const tooLong = await station.dispatch('startSession', { agentId, intervalSeconds: 7200 });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await station.call('sessionStatus', { agentId })).active).toBe(false);
  });
});
