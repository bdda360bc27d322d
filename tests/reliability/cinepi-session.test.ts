/**
 * Issue 16, finding 7: a CinePi timelapse session whose agent is down for part
 * of it reports the intervals it missed, and counts the images the journal
 * holds (a frame stored just before a crash used to go uncounted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../agent/src/protocol/index.js';
import { agentHttp, type AgentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number };
interface SessionView {
  status: string;
  captures: number;
  skipped: number;
  failed: number;
  missed?: number;
  start_time: string;
  resumed_at: string | null;
}

let dir: string;
let agent: Agent | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-cinepi-'));
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function session(http: AgentHttp): Promise<SessionView> {
  return ((await http.get('/api/capture/status')).body as { session: SessionView }).session;
}

describe('a CinePi timelapse session across an agent outage', () => {
  it('reports the missed intervals and counts every stored frame', async () => {
    const args = ['--sim-resolution', '160x120'];
    agent = await startAgentProcess(join(dir, 'agent'), args);
    let http = agentHttp(agent.port, join(dir, 'agent'));
    expect((await http.post('/api/capture/start', { interval: 1 })).status).toBe(200);
    await until(
      () => session(http),
      (s) => s.captures >= 3,
      20_000,
    );
    agent.child.kill('SIGKILL');
    await new Promise((r) => agent!.child.once('exit', r));
    agent = null;
    // Down for about six intervals.
    await new Promise((r) => setTimeout(r, 6000));
    agent = await startAgentProcess(join(dir, 'agent'), args);
    http = agentHttp(agent.port, join(dir, 'agent'));
    const s = await session(http);
    expect(s.status).toBe('active');
    expect(s.resumed_at).not.toBeNull();
    const items = ((await http.get('/captures?limit=1000')).body as { items: CaptureRecord[] }).items;
    const frames = items.filter((c) => c.schedule === 'timelapse').length;
    expect(s.captures).toBe(frames);
    // Every second from the start to the resume is accounted for: captured, skipped, failed or missed.
    const due = Math.floor((Date.parse(s.resumed_at!) - Date.parse(s.start_time)) / 1000) + 1;
    expect(s.missed).toBeGreaterThanOrEqual(4);
    expect(s.captures + s.skipped + s.failed + s.missed!).toBe(due);
    await http.post('/api/capture/stop');
  }, 120_000);
});
