/**
 * Issue 16, finding 6: an image a crash leaves without its journal row is
 * journalled at the next start with the settings it was really taken with
 * (the journal's record of what the exposure was asked for, or the file's own
 * EXIF/FITS header), not invented ones (it used to be ISO 100, 1/125 s); what
 * nothing tells is unknown (null). It is flagged reconciled, and the station's
 * sync carries flag and unknowns into the gallery.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../agent/src/protocol/index.js';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { SyncEngine } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { agentHttp } from '../contract/client.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token: string };

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
    // A second orphan with no intent behind it (its intent already pruned): only the file may tell its settings
    // (the simulated camera writes no EXIF today, so nothing does: unknown; with EXIF, the true ISO 800, 1/100 s).
    const bareId = captureId.replace(/_(\d+)$/, '_9999');
    await copyFile(sample, join(dirname(target), `${bareId}.jpg`));

    agent = await startAgentProcess(data, args, env);
    http = agentHttp(agent.port, data);
    const items = ((await http.get('/captures?limit=100')).body as { items: CaptureRecord[] }).items;
    const recovered = items.find((c) => c.capture_id === captureId);
    expect(recovered, JSON.stringify(items)).toBeDefined();
    expect(recovered!.reconciled).toBe(true);
    expect(recovered!.settings_used).toMatchObject({ iso: 1600, shutter_speed: '2' });
    expect(recovered!.captured_at).toBe(startedAt);
    const bare = items.find((c) => c.capture_id === bareId);
    expect(bare, JSON.stringify(items)).toBeDefined();
    expect(bare!.reconciled).toBe(true);
    expect([null, 800]).toContain(bare!.settings_used.iso);
    expect([null, '1/100']).toContain(bare!.settings_used.shutter_speed);
    expect(bare!.settings_used.exposure_compensation).toBeNull();

    // The station copies all three into its gallery: flag and unknowns kept, never a stand-in number.
    const station = join(dir, 'station');
    await mkdir(station);
    const db = openDatabase(join(station, 'gallery.sqlite'));
    try {
      const repo = new CapturesRepo(db);
      const engine = new SyncEngine({
        captures: repo,
        mediaDir: join(station, 'media'),
        log: createLogger(null),
        onImported: () => undefined,
      });
      const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
      const r = await engine.sync('cam', client);
      expect(r).toMatchObject({ imported: 3, failed: 0 });
      const normal = (done.body as { capture_id: string }).capture_id;
      expect(repo.get('cam', normal)).toMatchObject({ iso: 800, shutterSpeed: '1/100', reconciled: 0 });
      expect(repo.get('cam', captureId)).toMatchObject({ iso: 1600, shutterSpeed: '2', reconciled: 1 });
      const unknown = repo.get('cam', bareId)!;
      expect(unknown.reconciled).toBe(1);
      expect(unknown.iso).toBe(bare!.settings_used.iso);
      expect(unknown.shutterSpeed).toBe(bare!.settings_used.shutter_speed);
      expect(JSON.parse(unknown.settingsJson)).toEqual(bare!.settings_used);
    } finally {
      db.close();
    }
  }, 120_000);
});
