/**
 * Issue 16, finding 6: an image a crash leaves without its journal row is
 * journalled at the next start with the settings it was really taken with
 * (the journal's record of what the exposure was asked for), not invented ones
 * (it used to be ISO 100, 1/125 s), and flagged reconciled.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../agent/src/protocol/index.js';
import { agentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number };

let dir: string;
let data: string;
let agent: Agent | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-reconciled-'));
  data = join(dir, 'agent');
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a capture file found after a crash', () => {
  it('is journalled with the ISO and shutter it was taken with, flagged reconciled', async () => {
    // Real-time simulated exposures: a 2 s exposure takes 2 s, long enough to kill the agent inside it.
    const env = { SKYSTATION_SIM_TIME_SCALE: '1', SKYSTATION_AGENT_LOGGING_FILES: 'false' };
    const args = ['--sim-resolution', '320x240', '--sim-time', '2025-06-21T22:30:00Z'];
    agent = await startAgentProcess(data, args, env);
    let http = agentHttp(agent.port, data);
    const done = await http.post('/capture', { iso: 800, shutter_speed: '1/100' });
    expect(done.status).toBe(200);
    const sample = (done.body as { capture_id: string; image_path: string }).image_path;

    void http.post('/capture', { iso: 1600, shutter_speed: '2' }).catch(() => undefined);
    // Killed during the 2 s exposure: what it was asked for is in the journal, the image is not.
    const journal = join(data, 'journal.sqlite');
    const intent = await until(
      () => {
        const db = new Database(journal, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(`SELECT capture_id, started_at FROM capture_intents`).all() as {
            capture_id: string;
            started_at: string;
          }[];
        } catch {
          return [];
        } finally {
          db.close();
        }
      },
      (rows) => rows.length > 0,
    );
    agent.child.kill('SIGKILL');
    await new Promise((r) => agent!.child.once('exit', r));
    agent = null;

    // The crash came after the file was renamed into place and before its row: put the file where it would be.
    const { capture_id: captureId, started_at: startedAt } = intent[0]!;
    const target = join(data, 'captures', startedAt.slice(0, 10), 'manual', 'default', `${captureId}.jpg`);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(sample, target);

    agent = await startAgentProcess(data, args, env);
    http = agentHttp(agent.port, data);
    const items = ((await http.get('/captures?limit=100')).body as { items: CaptureRecord[] }).items;
    const recovered = items.find((c) => c.capture_id === captureId);
    expect(recovered, JSON.stringify(items)).toBeDefined();
    expect(recovered!.reconciled).toBe(true);
    expect(recovered!.settings_used).toMatchObject({ iso: 1600, shutter_speed: '2' });
    expect(recovered!.captured_at).toBe(startedAt);
  }, 120_000);
});
