/**
 * A bracketed set that stops partway (the DSLR is unplugged after its first
 * image): the station reports bracket_incomplete and has already copied the
 * image that was taken into the gallery, without waiting for the next sync.
 * The metered exposures are moved to the body's own steps on the way.
 * The camera is the gphoto2-dslr stand-in on PATH as `gphoto2`, counting down
 * a capture budget in its control file.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { FIXTURE_BIN } from '../hardware/helpers.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

describe('a bracketed set cut short by the camera', () => {
  let dir: string;
  let control: string;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station;
  let agentId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-bracket-cut-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(FIXTURE_BIN, 'gphoto2-dslr'), join(bin, 'gphoto2'));
    control = join(dir, 'control.json');
    writeFileSync(control, JSON.stringify({ mode: 'ok' }));
    agent = await startAgentProcess(join(dir, 'agent'), ['--camera', 'gphoto2'], {
      PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      SKYSTATION_FAKE_GPHOTO2_CONTROL: control,
    });
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
    agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online' && v.capabilities?.includes('bracketing') === true),
    );
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers bracket_incomplete with the image taken already in the gallery', async () => {
    writeFileSync(control, JSON.stringify({ mode: 'ok', captures_left: 1 }));
    const err = await station.call('captureBracket', { agentId, evs: [-2, 0, 2] }).then(
      () => null,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(err?.code, err?.message).toBe('bracket_incomplete');
    expect(err?.message).toMatch(/after 1 of 3/);
    // No sync called here: the station copied the kept image before answering.
    const items = (await station.call('listCaptures', { agentId, limit: 50 })).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.bracket).toMatchObject({ index: 0, count: 3, ev: -2 });
    // Metered at -2 EV, then moved to the body's own steps (a DSLR refuses "1/196"), and recorded as such.
    expect([100, 200, 400, 800, 1600, 3200, 6400, 12800]).toContain(items[0]!.iso);
    expect(items[0]!.shutterSpeed).toMatch(
      /^(1\/(4000|3200|2500|2000|1600|1250|1000|800|640|500|400|320|250|200|160|125|100|80|60|50|40|30|25|20|15|13|10|8|6|5|4)|0\.[3-8]|1(\.[36])?|2(\.5)?|3\.2|[4-8]|1[0-5]|2[05]|30)$/,
    );
  }, 60_000);
});
