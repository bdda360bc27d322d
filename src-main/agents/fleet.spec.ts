import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgentProcess, until, type RunningProcess } from '../../tests/helpers/processes.js';
import type { AgentView } from '../api/contract.js';
import { AgentsRepo } from '../db/agents-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import type { DiscoveredAgent, DiscoveryEvents } from '../discovery/browser.js';
import { Fleet, type FleetDiscovery } from './fleet.js';
import { FileTokenVault, tokensPath } from './token-store.js';

const log = pino({ level: 'silent' });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skys-fleet-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function agentProcess(): Promise<RunningProcess & { port: number; code: string; id: string }> {
  const p = await startAgentProcess(await tempDir());
  cleanups.push(() => p.stop());
  const code = (JSON.parse(p.stdout.find((l) => l.includes('"pairing_code"'))!) as { code: string }).code;
  const id = (JSON.parse(p.stdout.find((l) => l.includes('"event":"listening"'))!) as { id: string }).id;
  return Object.assign(p, { code, id });
}

/** Stands in for the mDNS browser (the real one is tested in tests/netns): emits what the test tells it to. */
class FakeDiscovery extends EventEmitter<DiscoveryEvents> implements FleetDiscovery {
  visible: DiscoveredAgent[] = [];
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
  agents(): DiscoveredAgent[] {
    return this.visible;
  }
  show(a: DiscoveredAgent): void {
    this.visible.push(a);
    this.emit('up', a);
  }
  hide(a: DiscoveredAgent): void {
    this.visible = this.visible.filter((x) => x.id !== a.id);
    this.emit('down', a, 'goodbye');
  }
}

function seen(id: string, port: number, name = 'roof'): DiscoveredAgent {
  return {
    instance: `${name} (${id.slice(0, 8)})`,
    id,
    name,
    version: '0.1.0',
    cameraModel: 'Simulated sky camera',
    capabilities: ['preview'],
    tlsFingerprint: null,
    apiPath: '/',
    addresses: ['127.0.0.1'],
    port,
    host: 'vm.local',
    lastSeen: Date.now(),
  };
}

async function station(dir: string, discovery: FakeDiscovery | null = null) {
  let db: Db | null = openDatabase(join(dir, 'gallery.sqlite'));
  const repo = new AgentsRepo(db);
  const vault = new FileTokenVault(tokensPath(dir));
  const changes: AgentView[][] = [];
  const fleet = new Fleet({
    repo,
    log,
    tokens: vault,
    discovery,
    pollIntervalMs: 200,
    station: () => Promise.resolve({ id: 'b7f3c2a0-0000-4000-8000-00000000000a', name: 'Spec station' }),
    listener: {
      onAgentsChanged: (a) => changes.push(a),
      onAgentEvent: () => undefined,
      onAgentOnline: () => undefined,
    },
  });
  await fleet.start();
  const close = async (): Promise<void> => {
    await fleet.close();
    db?.close();
    db = null;
  };
  cleanups.push(close);
  return { fleet, repo, vault, changes, close };
}

const stateOf = (fleet: Fleet, id: string): string | undefined => fleet.view(id)?.state;

describe('Fleet states and pairing', () => {
  it('shows a discovered agent as unpaired, pairs it by id, keeps the token and comes back paired after a restart', async () => {
    const agent = await agentProcess();
    const dir = await tempDir();
    const discovery = new FakeDiscovery();
    const s1 = await station(dir, discovery);

    discovery.show(seen(agent.id, agent.port));
    expect(s1.fleet.allViews().map((v) => v.id)).toContain(agent.id);
    expect(s1.fleet.views()).toEqual([]); // not tracked until paired
    await until(
      () => stateOf(s1.fleet, agent.id),
      (st) => st === 'unpaired',
    );
    expect(s1.changes.at(-1)?.find((v) => v.id === agent.id)?.source).toBe('mdns');

    const wrong = String((Number(agent.code) + 1) % 1_000_000).padStart(6, '0');
    await expect(s1.fleet.pair({ agentId: agent.id }, wrong)).rejects.toMatchObject({ code: 'pairing_code_invalid' });
    expect(stateOf(s1.fleet, agent.id)).toBe('unpaired');
    const paired = await s1.fleet.pair({ agentId: agent.id }, agent.code);
    expect(paired.state).toBe('online');
    expect(paired.source).toBe('mdns');
    expect(paired.tlsFingerprint).toBeNull();
    expect((await s1.vault.load()).has(agent.id)).toBe(true);
    const row = s1.repo.all().find((r) => r.id === agent.id)!;
    expect(row.pairedAt).not.toBeNull();
    expect(row.state).toBe('online');
    await s1.close();

    // A new station process on the same data folder: the token is loaded, no pairing needed.
    const s2 = await station(dir, new FakeDiscovery());
    expect(['paired', 'online']).toContain(stateOf(s2.fleet, agent.id));
    await until(
      () => stateOf(s2.fleet, agent.id),
      (st) => st === 'online',
    );
    expect(s2.fleet.client(agent.id)).toBeDefined();

    // The camera goes away: offline, and lastSeen stays when it was last heard.
    const lastSeen = s2.fleet.view(agent.id)!.lastSeen;
    await agent.stop();
    await until(
      () => stateOf(s2.fleet, agent.id),
      (st) => st === 'offline',
    );
    expect(s2.fleet.view(agent.id)!.lastSeen).not.toBeNull();
    expect(Date.parse(s2.fleet.view(agent.id)!.lastSeen!)).toBeGreaterThanOrEqual(Date.parse(lastSeen!));

    // Removing forgets the token too.
    expect(s2.fleet.remove(agent.id)).toBe(true);
    await until(
      async () => (await new FileTokenVault(tokensPath(dir)).load()).has(agent.id),
      (has) => !has,
    );
  });

  it('marks an agent added without a token unpaired, then pairs it by address', async () => {
    const agent = await agentProcess();
    const s = await station(await tempDir());
    const added = await s.fleet.add('127.0.0.1', agent.port);
    expect(added.state).toBe('unpaired');
    expect(added.lastError).toMatch(/pair/i);
    const paired = await s.fleet.pair({ host: '127.0.0.1', port: agent.port }, agent.code);
    expect(paired.id).toBe(agent.id);
    expect(paired.state).toBe('online');
    expect(s.fleet.views()).toHaveLength(1);
  });

  it('refuses to pair by id with a camera that answers as another one', async () => {
    const a = await agentProcess();
    const s = await station(await tempDir(), new FakeDiscovery());
    const discovery = new FakeDiscovery();
    const s2 = await station(await tempDir(), discovery);
    // mDNS claims id "impostor" lives at agent a's address.
    discovery.show(seen('0000aaaa-0000-4000-8000-000000000000', a.port, 'impostor'));
    await expect(s2.fleet.pair({ agentId: '0000aaaa-0000-4000-8000-000000000000' }, a.code)).rejects.toMatchObject({
      code: 'agent_mismatch',
    });
    expect(s.fleet.views()).toEqual([]);
    await expect(s2.fleet.pair({ agentId: 'nobody' }, a.code)).rejects.toMatchObject({ code: 'agent_unknown' });
  });

  it('drops an unpaired agent from the list when its goodbye arrives', async () => {
    const agent = await agentProcess();
    const discovery = new FakeDiscovery();
    const s = await station(await tempDir(), discovery);
    const d = seen(agent.id, agent.port);
    discovery.show(d);
    expect(s.fleet.view(agent.id)).toBeDefined();
    discovery.hide(d);
    expect(s.fleet.view(agent.id)).toBeUndefined();
    expect(s.changes.at(-1)?.some((v) => v.id === agent.id)).toBe(false);
  });
});
