import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../agents/agent-client.js';
import { EmbeddedAgentService } from './embedded-service.js';

const log = pino({ level: 'silent' });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('EmbeddedAgentService', () => {
  it('runs the simulated agent, adds it to the fleet with its admin token, and stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skys-embedded-svc-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const svc = new EmbeddedAgentService({ dataDir: join(dir, 'agent'), wanted: true, log });
    cleanups.push(() => svc.stop());
    await svc.start();
    const added: { host: string; port: number; opts: unknown }[] = [];
    await svc.addTo({
      add: (host, port, opts) => {
        added.push({ host, port, opts });
        return Promise.resolve({} as never);
      },
    });
    expect(added).toHaveLength(1);
    const { host, port, opts } = added[0]!;
    expect(host).toBe('127.0.0.1');
    const token = (opts as { embedded: boolean; token: string }).token;
    expect(opts).toMatchObject({ embedded: true });
    const client = new AgentClient({ host, port }, { token });
    expect((await client.status()).camera.model).toMatch(/simulat/i);
    await svc.stop();
    await expect(client.health()).rejects.toThrow();
  }, 60_000);

  it('starts nothing when not wanted, and adds nothing', async () => {
    let started = 0;
    const svc = new EmbeddedAgentService({
      dataDir: '/nonexistent',
      wanted: false,
      log,
      start: () => {
        started++;
        return Promise.reject(new Error('not expected'));
      },
    });
    await svc.start();
    await svc.addTo({ add: () => Promise.reject(new Error('not expected')) });
    await svc.stop();
    expect(started).toBe(0);
  });
});
