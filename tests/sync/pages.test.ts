/**
 * A backlog larger than one page of the agent's list: the first page is short
 * so the first transfer starts soon, downloads flow from one page into the
 * next, and copies are indexed and acknowledged in groups while the transfer
 * goes on (not all at the end). A page that cannot be listed ends the sync with
 * its error, after everything already copied is indexed and acknowledged, and
 * the next sync imports the rest with nothing twice.
 *
 * The agent is a real process; the client is the station's own, with its list,
 * download and ack calls recorded (and, in the second test, one list call
 * failed) on their way to the agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { SyncEngine } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { StationError } from '../../src-main/util/errors.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token?: string };

const CAPTURES = 130;

interface Call {
  kind: 'list' | 'download' | 'ack';
  /** list: the limit asked for; ack: the captures acknowledged. */
  n: number;
}

/** The station's client to the agent, recording its calls; `failList(k)` makes the k-th list call (0-based) fail. */
function recordingClient(agent: Agent, calls: Call[], failList?: number): AgentClient {
  const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token, timeoutMs: 30_000 });
  const list = client.listCaptures.bind(client);
  const download = client.download.bind(client);
  const ack = client.ack.bind(client);
  let lists = 0;
  client.listCaptures = (after, limit, unsynced) => {
    calls.push({ kind: 'list', n: limit });
    if (lists++ === failList) {
      return Promise.reject(new StationError('agent_unreachable', 'The agent went away while listing.'));
    }
    return list(after, limit, unsynced);
  };
  client.download = (...args) => {
    calls.push({ kind: 'download', n: 1 });
    return download(...args);
  };
  client.ack = (captures) => {
    calls.push({ kind: 'ack', n: captures.length });
    return ack(captures);
  };
  return client;
}

describe('sync of a backlog of several pages', () => {
  let dir: string;
  let agent: Agent;
  const dbs: Db[] = [];

  const engineFor = (name: string): { engine: SyncEngine; repo: CapturesRepo } => {
    const db = openDatabase(join(dir, `${name}.sqlite`));
    dbs.push(db);
    const repo = new CapturesRepo(db);
    const engine = new SyncEngine({
      captures: repo,
      mediaDir: join(dir, name),
      log: createLogger(null, 'silent'),
      onImported: () => undefined,
      // Groups here are counted, so no copy is committed early for having waited (a busy machine is slow).
      commitMaxDelayMs: 600_000,
    });
    return { engine, repo };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-sync-pages-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '320x240']);
    const client = recordingClient(agent, []);
    for (let i = 0; i < CAPTURES; i++) await client.capture({ iso: 800, shutter_speed: '1/60' });
  }, 120_000);

  afterAll(async () => {
    for (const db of dbs) db.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a short first page, then full ones, and commits in groups while copies arrive', async () => {
    const calls: Call[] = [];
    const { engine, repo } = engineFor('a');
    const result = await engine.sync('a1', recordingClient(agent, calls));
    expect(result).toEqual({ imported: CAPTURES, acknowledged: CAPTURES, failed: 0 });
    expect(repo.page({ limit: 500 }).items).toHaveLength(CAPTURES);

    const lists = calls.filter((c) => c.kind === 'list').map((c) => c.n);
    expect(lists).toEqual([20, 100, 100]);
    const acks = calls.filter((c) => c.kind === 'ack').map((c) => c.n);
    expect(acks.reduce((a, b) => a + b, 0)).toBe(CAPTURES);
    expect(acks.length).toBeGreaterThanOrEqual(3);
    // Every group but the last waited for at least 20 safe copies.
    for (const n of acks.slice(0, -1)) expect(n).toBeGreaterThanOrEqual(20);
    // Commits overlap the transfer: the first acknowledgement went out before the last download was asked for.
    const firstAck = calls.findIndex((c) => c.kind === 'ack');
    const lastDownload = calls.map((c) => c.kind).lastIndexOf('download');
    expect(firstAck).toBeGreaterThan(-1);
    expect(firstAck).toBeLessThan(lastDownload);

    // A second station pulls nothing: every capture is acknowledged on the agent.
    const again = await engineFor('a-again').engine.sync('a1', recordingClient(agent, []));
    expect(again).toEqual({ imported: 0, acknowledged: 0, failed: 0 });
  }, 120_000);

  it('ends with the list error after committing what was copied, and the next sync imports the rest once', async () => {
    // The previous test acknowledged everything: take a new backlog.
    const client = recordingClient(agent, []);
    for (let i = 0; i < 60; i++) await client.capture({ iso: 800, shutter_speed: '1/60' });
    const { engine, repo } = engineFor('b');

    const calls: Call[] = [];
    await expect(engine.sync('a1', recordingClient(agent, calls, 1))).rejects.toMatchObject({
      code: 'agent_unreachable',
    });
    // The first page (20) was copied, indexed and acknowledged before the error was reported.
    expect(repo.page({ limit: 500 }).items).toHaveLength(20);
    expect(calls.filter((c) => c.kind === 'ack').reduce((a, c) => a + c.n, 0)).toBe(20);
    expect((await client.listCaptures(0, 500, true)).items).toHaveLength(40);

    const rest = await engine.sync('a1', recordingClient(agent, []));
    expect(rest).toEqual({ imported: 40, acknowledged: 40, failed: 0 });
    const ids = repo.page({ limit: 500 }).items.map((c) => c.captureId);
    expect(new Set(ids).size).toBe(60);
    expect((await client.listCaptures(0, 500, true)).items).toEqual([]);
  }, 120_000);
});
