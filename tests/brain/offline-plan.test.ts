/**
 * Offline autonomy end to end: the station deploys a plan (a daytime window
 * every 2 s), is stopped, the agent keeps capturing on its own, and when the
 * station comes back every planned slot's capture is in the gallery exactly
 * once, with the ones taken while the station was away among them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

interface Slot {
  planned_at: string;
  schedule: string;
  status: string;
  capture_id: string | null;
}

function hhmm(d: Date): string {
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

describe('a plan executed with the station stopped, then synced', () => {
  let dir: string;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station | null = null;

  const open = (): Promise<Station> =>
    startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false, pollIntervalMs: 300 });

  const slots = async (): Promise<Slot[]> => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/plan/slots?limit=5000`, {
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Slot[] }).items;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-offline-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360']);
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('captures every slot while the station is away and imports each exactly once when it returns', async () => {
    station = await open();
    const view = await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token });
    await until(
      () => station!.call('listAgents'),
      (a) => a.some((v) => v.id === view.id && v.state === 'online'),
    );
    const now = new Date();
    await station.call('setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'UTC' });
    await station.call('createSchedule', {
      name: 'every2s',
      schedule: {
        type: 'daytime',
        start_time: hhmm(now),
        end_time: hhmm(new Date(now.getTime() + 5 * 60_000)),
        interval_seconds: 2,
      },
    });
    await station.call('assignSchedules', { agentId: view.id, schedules: ['every2s'] });
    const deployed = await station.call('deployProfile', { agentIds: [view.id], profileId: 'a', days: 1 });
    expect(deployed[0]?.ok, JSON.stringify(deployed)).toBe(true);

    // The station goes away; the agent is on its own.
    await station.close();
    station = null;
    const awayFrom = new Date();
    await new Promise((r) => setTimeout(r, 9_000));
    const awayTo = new Date();
    const whileAway = (await slots()).filter(
      (s) =>
        s.schedule === 'every2s' &&
        Date.parse(s.planned_at) > awayFrom.getTime() &&
        Date.parse(s.planned_at) < awayTo.getTime(),
    );
    expect(whileAway.length, 'slots of a 2 s plan during 9 s away').toBeGreaterThanOrEqual(4);
    expect(whileAway.every((s) => s.status === 'captured' && s.capture_id !== null)).toBe(true);

    // The station returns and catches up.
    station = await open();
    const st = station;
    await until(
      async () => (await st.call('listCaptures', { agentId: view.id, limit: 500 })).items.map((c) => c.id),
      (ids) => whileAway.every((s) => ids.some((id) => id.endsWith(s.capture_id!))),
      30_000,
    );
    await st.call('syncAgent', { agentId: view.id });
    const captured = (await slots()).filter((s) => s.status === 'captured');
    const gallery = (await st.call('listCaptures', { agentId: view.id, limit: 500 })).items;
    const planned = gallery.filter((c) => c.schedule === 'every2s');
    // Nothing missing: every captured slot is in the gallery.
    for (const s of captured) {
      expect(
        planned.some((c) => c.id.endsWith(s.capture_id!)),
        `slot ${s.planned_at} (${s.capture_id}) is in the gallery`,
      ).toBe(true);
    }
    // Nothing twice: one capture per planned slot, one gallery row per capture.
    expect(new Set(captured.map((s) => s.planned_at)).size).toBe(captured.length);
    expect(new Set(planned.map((c) => c.id)).size).toBe(planned.length);
    expect(planned.length).toBeGreaterThanOrEqual(captured.length);
    expect(planned.length).toBeLessThanOrEqual(captured.length + 2); // slots captured since the listing
  }, 90_000);
});
