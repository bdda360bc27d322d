/**
 * The live exposure ramp survives a station restart: the first live frame
 * after the restart steps from the camera's last frame in the gallery (at most
 * the profile's max_step_ev) instead of jumping straight to the meter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutterToSeconds } from '../../src-main/agents/protocol.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { settingsEv } from '../../src-main/profiles/exposure-ramp.js';
import { AGENT_APERTURE_F } from '../../src-main/orchestration/live-ramp.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

const evOf = (s: { iso: number; shutter_speed: string }): number =>
  settingsEv(s.iso, shutterToSeconds(s.shutter_speed), AGENT_APERTURE_F);

describe('live exposure ramp across a station restart', () => {
  let dir: string;
  let agent: RunningProcess & { port: number; token: string; auth: { authorization: string } };
  let station: Station | null = null;

  const start = async (): Promise<Station> =>
    startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-ramp-restart-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360']);
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('steps from the last frame in the gallery, not from the meter', async () => {
    station = await start();
    const agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station!.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    // A frame far from what the meter will say (4 stops or more under a daylight or dusk meter), copied into the gallery.
    const base = `http://127.0.0.1:${agent.port}`;
    const last = { iso: 100, shutter_speed: '1/8000' };
    const taken = await fetch(`${base}/capture`, {
      method: 'POST',
      headers: { ...agent.auth, 'content-type': 'application/json' },
      body: JSON.stringify(last),
    });
    expect(taken.status).toBe(200);
    await station.call('syncAgent', { agentId });
    const meter = (await (await fetch(`${base}/meter`, { headers: agent.auth })).json()) as {
      suggested_iso: number;
      suggested_shutter: string;
    };
    const meterEv = evOf({ iso: meter.suggested_iso, shutter_speed: meter.suggested_shutter });
    expect(evOf(last) - meterEv, 'the meter is far from the last frame').toBeGreaterThan(1);

    await station.close();
    station = await start();
    await until(
      () => station!.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    const [first] = await station.call('captureFleet', { agentIds: [agentId] });
    expect(first?.ok, first?.error?.message).toBe(true);
    const step = evOf(last) - evOf(first!.settings!);
    // Default profile step: 1/3 stop (exposure-ramp), towards the meter.
    expect(step).toBeGreaterThan(0.25);
    expect(step).toBeLessThanOrEqual(1 / 3 + 1e-6);
  }, 90_000);
});
