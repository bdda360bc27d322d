import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../tests/helpers/processes.js';
import { AgentClient } from '../agents/agent-client.js';
import { findAppRoot, startEmbeddedAgent } from '../agents/embedded-agent.js';
import type { StationEvent } from '../api/contract.js';
import { AgentsRepo } from '../db/agents-repo.js';
import { openDatabase } from '../db/database.js';
import { FleetService } from './fleet-service.js';
import { StationMetrics } from './metrics.js';

const log = pino({ level: 'silent' });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('FleetService (a real simulated agent)', () => {
  it('tracks an added agent and routes what it does: sync and clock check online, sync after a capture', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skys-fleet-svc-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const agent = await startEmbeddedAgent({
      dataDir: join(dir, 'agent'),
      appRoot: findAppRoot(import.meta.dirname),
      log,
    });
    cleanups.push(() => agent.stop());
    const db = openDatabase(join(dir, 'gallery.sqlite'));
    cleanups.push(() => db.close());
    const events: StationEvent[] = [];
    const synced: string[] = [];
    const clocks: string[] = [];
    // The offset is known once the clock check has answered, as with the real ClockService.
    let offset: number | null = null;
    const metrics = new StationMetrics();
    const svc = new FleetService({
      fleet: { repo: new AgentsRepo(db), log, pollIntervalMs: 60_000 },
      log,
      metrics,
      emit: (e) => events.push(e),
      raise: () => undefined,
      observeAgents: () => undefined,
      decorate: (a) => ({ ...a, clockOffsetMs: offset }),
      syncAgent: (id) => {
        synced.push(id);
        return Promise.resolve(0);
      },
      sensorReading: () => undefined,
      checkClock: async (id) => {
        clocks.push(id);
        await new Promise((r) => setTimeout(r, 50));
        offset = 42;
        return null;
      },
      health: { version: '9.9.9', startedAt: '2026-01-10T20:00:00Z', captures: () => 7 },
    });
    await svc.start();
    cleanups.push(() => svc.stop());

    const added = await svc.handlers.addAgent({ host: agent.host, port: agent.port, token: agent.token, name: 'Roof' });
    const id = added.id;
    await until(
      () => svc.handlers.listAgents({}),
      (agents) => agents.some((a) => a.id === id && a.state === 'online'),
      30_000,
    );
    await until(
      () => [synced.length, clocks.length],
      ([s, c]) => s! >= 1 && c! >= 1,
    );
    expect(clocks).toContain(id);
    // The views were sent again once the clock check answered, with its offset.
    const changed = await until(
      () => events.filter((e) => e.event === 'agents.changed'),
      (list) => (list.at(-1)?.data as { clockOffsetMs?: number }[] | undefined)?.[0]?.clockOffsetMs === 42,
    );
    expect(changed.at(-1)?.data).toEqual([expect.objectContaining({ id, clockOffsetMs: 42 })]);
    expect(await svc.handlers.listAgents({})).toEqual([
      expect.objectContaining({ id, name: 'Roof', clockOffsetMs: 42 }),
    ]);
    expect(await metrics.registry.getSingleMetricAsString('skystation_station_agents')).toContain('state="online"} 1');
    expect(await svc.handlers.health({})).toEqual({
      status: 'ok',
      version: '9.9.9',
      agents: 1,
      agentsOnline: 1,
      captures: 7,
      startedAt: '2026-01-10T20:00:00Z',
    });
    expect(svc.names().get(id)).toBe('Roof');

    // A capture the agent announces (capture.done on its event stream) is copied at once.
    const before = synced.length;
    await new AgentClient({ host: agent.host, port: agent.port }, { token: agent.token }).capture({
      auto: true,
      schedule: 'manual',
    });
    await until(
      () => synced.length,
      (n) => n > before,
      30_000,
    );

    expect(await svc.handlers.removeAgent({ agentId: id })).toEqual({ removed: true });
    expect(await svc.handlers.listAgents({})).toEqual([]);
  }, 120_000);
});
