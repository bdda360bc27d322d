import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../agent/src/protocol/index.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

// kill -9 at random moments while captures run, several rounds; each restart must leave the
// captures folder and the journal consistent.

type Agent = RunningProcess & { port: number; auth: { authorization: string } };

let dir: string;
let data: string;
let agent: Agent | null = null;

const start = (): Promise<Agent> =>
  startAgentProcess(data, ['--sim-resolution', '640x480', '--sim-time', '2025-06-21T18:00:00Z'], {
    SKYSTATION_AGENT_LOGGING_FILES: 'false',
  });

async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

async function listAll(a: Agent): Promise<CaptureRecord[]> {
  const items: CaptureRecord[] = [];
  let after = 0;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${a.port}/captures?limit=1000&after=${after}`, { headers: a.auth });
    const body = (await res.json()) as { items: CaptureRecord[]; next_after: number | null };
    items.push(...body.items);
    if (body.next_after === null) return items;
    after = body.next_after;
  }
}

const sha = async (path: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

/** A JPEG that was written completely ends with the EOI marker. */
const completeJpeg = (bytes: Buffer): boolean =>
  bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;

async function checkConsistent(a: Agent): Promise<CaptureRecord[]> {
  const records = await listAll(a);
  const captures = join(data, 'captures');
  const files = await walk(captures);
  expect(files.filter((f) => f.split(sep).at(-1)!.startsWith('.tmp-'))).toEqual([]);
  const byName = new Map(records.map((r) => [r.file_name, r]));
  for (const file of files) {
    const name = relative(captures, file).split(sep).join('/');
    const record = byName.get(name);
    expect(record, `file without a journal row: ${name}`).toBeDefined();
    const bytes = await readFile(file);
    expect(completeJpeg(bytes), `partial image under a final name: ${name}`).toBe(true);
  }
  for (const r of records) {
    expect(await sha(join(captures, r.file_name)), r.capture_id).toBe(r.sha256);
  }
  return records;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-kill9-'));
  data = join(dir, 'data');
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('SIGKILL during captures', () => {
  it('after every kill -9 and restart, no partial image has a final name and every row has its file', async () => {
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      agent = await start();
      const a = agent;
      if (round > 0) await checkConsistent(a);
      let stop = false;
      const fire = async (): Promise<void> => {
        while (!stop) {
          await fetch(`http://127.0.0.1:${a.port}/capture`, {
            method: 'POST',
            headers: { ...a.auth, 'content-type': 'application/json' },
            body: JSON.stringify({ iso: 100, shutter_speed: '1/200' }),
          }).catch(() => undefined);
        }
      };
      const firing = [fire(), fire()];
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
      const exited = new Promise((r) => a.child.once('exit', r));
      a.child.kill('SIGKILL');
      await exited;
      stop = true;
      await Promise.all(firing);
      agent = null;
    }
    agent = await start();
    const records = await checkConsistent(agent);
    expect(records.length).toBeGreaterThan(0);
  });

  it('an orphan final file is journalled as reconciled and an orphan temp file is removed at start', async () => {
    const a = agent!;
    const [some] = await listAll(a);
    await a.stop();
    agent = null;
    const source = join(data, 'captures', some!.file_name);
    const orphanName = '2025-06-21/manual/default/20250621T180000000Z_vm_99999.jpg';
    await copyFile(source, join(data, 'captures', orphanName));
    const temp = join(dirname(source), `.tmp-0123456789ab-20250621T180000001Z_vm_100000.jpg`);
    await writeFile(temp, (await readFile(source)).subarray(0, 100));
    agent = await start();
    const records = await checkConsistent(agent);
    const orphan = records.find((r) => r.file_name === orphanName);
    expect(orphan).toMatchObject({
      capture_id: '20250621T180000000Z_vm_99999',
      seq: 99999,
      captured_at: '2025-06-21T18:00:00.000Z',
      synced: false,
      reconciled: true,
      clock_synced: false,
      sha256: some!.sha256,
    });
    expect(agent.stdout.some((l) => l.includes('"event":"reconcile.orphan_added"'))).toBe(true);
    expect(agent.stdout.some((l) => l.includes('"event":"reconcile.temp_removed"'))).toBe(true);
  });
});
