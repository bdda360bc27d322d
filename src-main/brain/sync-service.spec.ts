import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../agents/agent-client.js';
import { findAppRoot, startEmbeddedAgent } from '../agents/embedded-agent.js';
import { CapturesRepo, type StoredCapture } from '../db/captures-repo.js';
import { openDatabase } from '../db/database.js';
import { SensorsRepo } from '../db/sensors-repo.js';
import { StationMetrics } from './metrics.js';
import { SyncService } from './sync-service.js';

const log = pino({ level: 'silent' });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('SyncService (a real simulated agent, a real gallery)', () => {
  it('copies a new capture once, with its thumbnail, counts it and copies the sensor series after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skys-sync-svc-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const agent = await startEmbeddedAgent({
      dataDir: join(dir, 'agent'),
      appRoot: findAppRoot(import.meta.dirname),
      log,
    });
    cleanups.push(() => agent.stop());
    const client = new AgentClient({ host: agent.host, port: agent.port }, { token: agent.token });
    const db = openDatabase(join(dir, 'gallery.sqlite'));
    cleanups.push(() => db.close());
    const captures = new CapturesRepo(db);
    const sensors = new SensorsRepo(db);
    const imported: StoredCapture[] = [];
    const metrics = new StationMetrics();
    const count = async (c: Counter): Promise<number> => (await c.get()).values[0]?.value ?? 0;
    const svc = new SyncService({
      captures,
      sensors,
      mediaDir: join(dir, 'media'),
      log,
      client: (id) => (id === 'cam' ? client : undefined),
      onImported: (row) => imported.push(row),
      metrics,
      diskFull: { raise: () => undefined, resolve: () => undefined },
    });
    svc.start();
    cleanups.push(() => svc.stop());

    const shot = await client.capture({ auto: true, schedule: 'manual' });
    expect(await svc.syncAgent('cam')).toBe(1);
    await svc.derivatives.whenDone('cam', shot.capture_id);
    const row = captures.get('cam', shot.capture_id)!;
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(dir, 'media', row.imagePath))).toBe(true);
    expect(existsSync(join(dir, 'media', row.thumbPath))).toBe(true);
    expect(imported.map((r) => r.captureId)).toEqual([shot.capture_id]);
    expect(await count(metrics.imported)).toBe(1);
    expect(await count(metrics.syncErrors)).toBe(0);
    expect(await count(metrics.syncBytes)).toBe(row.sizeBytes);
    expect(await svc.handlers.syncAgent({ agentId: 'cam' })).toEqual({ imported: 0 });

    // The simulated sensor's readings follow the captures.
    const series = await svc.handlers.sensorSeries({ agentId: 'cam', limit: 1000 });
    expect(series.length).toBeGreaterThan(0);

    await expect(svc.syncAgent('nobody')).rejects.toMatchObject({ code: 'agent_unknown' });
  }, 90_000);
});
