import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAgentProcess, type RunningProcess } from '../../tests/helpers/processes.js';
import { startStation, type Station } from '../brain/index.js';
import { startHttpServer, type StationServer } from '../server/http-server.js';
import { runPairCommand } from './pair-cmd.js';

describe('skystation pair', () => {
  let dir: string;
  let station: Station;
  let server: StationServer;
  let agent: RunningProcess & { port: number };
  let code: string;
  let url: string;
  const stderr: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skys-paircli-'));
    agent = await startAgentProcess(join(dir, 'agent'));
    code = (JSON.parse(agent.stdout.find((l) => l.includes('"pairing_code"'))!) as { code: string }).code;
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
    server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
    url = `ws://127.0.0.1:${server.port}/api/ws`;
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr.push(String(s));
      return true;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.close();
    await station?.close();
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const pair = async (...args: string[]): Promise<{ code: number; out: string[] }> => {
    const out: string[] = [];
    const exit = await runPairCommand([...args, '--url', url], (s) => out.push(s));
    return { code: exit, out };
  };

  it('refuses bad usage with exit 2', async () => {
    expect((await pair('127.0.0.1:1')).code).toBe(2);
    expect((await pair('127.0.0.1:1', '12345')).code).toBe(2);
    expect(stderr.join('')).toMatch(/6 digits/);
    expect((await pair('--id', 'x')).code).toBe(2);
  });

  it('reports a wrong code with exit 1 and the camera’s reason', async () => {
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    stderr.length = 0;
    expect((await pair(`127.0.0.1:${agent.port}`, wrong)).code).toBe(1);
    expect(stderr.join('')).toMatch(/pairing code is wrong/);
  });

  it('pairs by address, then by --id, and the camera is online', async () => {
    const r = await pair(`127.0.0.1:${agent.port}`, code);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/^Paired with .+ at 127\.0\.0\.1:\d+: online$/);
    const agents = await station.call('listAgents');
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({ state: 'online', source: 'manual', tlsFingerprint: null });
    // A code serves one pairing (issue 12): pairing again takes the agent's new code.
    const file = join(dir, 'agent', 'auth', 'pairing.json');
    const next = (JSON.parse(await readFile(file, 'utf8')) as { code: string }).code;
    const again = await pair('--id', agents[0]!.id.slice(0, 8), next, '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out.join('\n'))).toMatchObject({ id: agents[0]!.id, state: 'online' });
  });
});
