/**
 * Issue 6, station side of capture: a bracketed set and a dark frame taken
 * through the station API (and the CLI), synced into the gallery, whose rows
 * carry the bracket fields and frameKind 'dark'. A set taken on the agent
 * directly arrives the same way through an ordinary sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import type { CaptureView } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { runCli } from '../../src-main/cli/main.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

describe('bracketed sets and dark frames through the station', () => {
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
  const gallery = async (): Promise<CaptureView[]> =>
    (await station.call('listCaptures', { agentId, limit: 500 })).items;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-st-bracket-'));
    // Late afternoon: the metered exposure is mid-grey, so a bracket spreads around it.
    agent = await startAgentProcess(join(dir, 'agent'), [
      '--sim-time',
      '2025-10-01T21:00:00Z',
      '--sim-resolution',
      '320x180',
      '--name',
      'ridge',
    ]);
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

  it('captureBracket takes the set, copies every image into the gallery with its bracket fields', async () => {
    const set = await station.call('captureBracket', { agentId, evs: [-2, 0, 2] });
    expect(set).toHaveLength(3);
    const group = set[0]!.bracket!.group;
    expect(set.map((c) => c.bracket)).toEqual([
      { group, index: 0, count: 3, ev: -2 },
      { group, index: 1, count: 3, ev: 0 },
      { group, index: 2, count: 3, ev: 2 },
    ]);
    expect(set.every((c) => c.frameKind === 'light')).toBe(true);

    const rows = (await gallery()).filter((c) => c.bracket?.group === group);
    expect(rows.map((c) => c.id).sort()).toEqual(set.map((c) => c.id).sort());
    // The copies in the gallery really differ by exposure.
    const levels = await Promise.all(
      set.map(async (c) => (await sharp(join(station.mediaDir, c.imagePath)).stats()).channels[1]!.mean),
    );
    expect(levels[0]!).toBeLessThan(levels[1]!);
    expect(levels[1]!).toBeLessThan(levels[2]!);
  });

  it('captureNow with frameKind dark lands in the gallery as a dark frame', async () => {
    const dark = await station.call('captureNow', { agentId, frameKind: 'dark' });
    expect(dark.frameKind).toBe('dark');
    expect(dark.bracket ?? null).toBeNull();
    const row = (await gallery()).find((c) => c.id === dark.id);
    expect(row).toMatchObject({ frameKind: 'dark' });
    const { channels } = await sharp(join(station.mediaDir, dark.imagePath)).stats();
    expect(channels[1]!.mean).toBeLessThan(20);
  });

  it('a bracket of dark frames is both', async () => {
    const set = await station.call('captureBracket', { agentId, evs: [0, 1], frameKind: 'dark' });
    expect(set.map((c) => [c.frameKind, c.bracket?.index])).toEqual([
      ['dark', 0],
      ['dark', 1],
    ]);
  });

  it('refuses bad offsets before asking the camera', async () => {
    const before = (await gallery()).length;
    const r = await station.dispatch('captureBracket', { agentId, evs: [0, 0] });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const one = await station.dispatch('captureBracket', { agentId, evs: [1] });
    expect(one).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await gallery()).length).toBe(before);
  });

  it('a set taken on the agent directly arrives through an ordinary sync with its fields', async () => {
    const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 30_000 });
    const shot = await client.capture({ iso: 200, shutter_speed: '1/500', bracket: { evs: [-1, 1] } });
    expect(shot.captures).toHaveLength(2);
    const darkShot = await client.capture({ iso: 1600, shutter_speed: '2', frame_kind: 'dark' });
    await station.call('syncAgent', { agentId });
    const rows = await gallery();
    const set = rows
      .filter((c) => c.bracket?.group === shot.bracket_group)
      .sort((a, b) => a.bracket!.index - b.bracket!.index);
    expect(set.map((c) => [c.bracket!.ev, c.bracket!.count, c.shutterSpeed])).toEqual([
      [-1, 2, '1/1000'],
      [1, 2, '1/250'],
    ]);
    expect(rows.find((c) => c.id === `${agentId}/${darkShot.capture_id}`)?.frameKind).toBe('dark');
  });

  it('the CLI takes a bracket with --bracket -2,0,2 and a dark frame with --dark', async () => {
    const bracket = await cli('capture', 'ridge', '--bracket', '-2,0,2', '--json');
    expect(bracket.code, bracket.out.join('\n')).toBe(0);
    const set = JSON.parse(bracket.out.join('\n')) as CaptureView[];
    expect(set.map((c) => c.bracket?.ev)).toEqual([-2, 0, 2]);

    const dark = await cli('capture', 'ridge', '--dark');
    expect(dark.code, dark.out.join('\n')).toBe(0);
    expect(dark.out.join('\n')).toMatch(/^Captured a dark frame /);

    const bad = await cli('capture', 'ridge', '--bracket', '-2,x');
    expect(bad.code).toBe(2);
  });
});
