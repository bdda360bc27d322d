/**
 * The agent as it ships (agent/dist, one minified bundle built by
 * agent/scripts/build.mjs) under plain node: the parts it loads on demand
 * still load. The YAML config (a chunk of its own), external programs through
 * execa (a chunk whose CommonJS dependencies need require()), the real gphoto2
 * binary's "no camera" error, captures (sharp), and the event stream and live
 * preview (ws, loaded on the first WebSocket).
 *
 * Every other agent test runs the TypeScript source, so a bundling mistake
 * would show only on a Pi without this.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, run, waitForLine, type RunningProcess } from '../helpers/processes.js';

const BUILT = join(ROOT, 'agent/dist/cli.js');
const built = existsSync(BUILT);
if (!built) console.log(`skipped: ${BUILT} is not built (npm run build -w agent; npm test builds it first)`);

function startBuilt(dataDir: string, camera: string): RunningProcess {
  return run(process.execPath, [
    BUILT,
    '--camera',
    camera,
    '--data-dir',
    dataDir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--no-mdns',
  ]);
}

function firstMessage(url: string, token: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const timer = setTimeout(() => reject(new Error(`no message from ${url}`)), 15_000);
    ws.once('message', (data: Buffer) => {
      clearTimeout(timer);
      ws.close();
      resolve(data);
    });
    ws.once('error', reject);
  });
}

describe.skipIf(!built)('the built agent (agent/dist)', () => {
  let dir: string;
  const running: RunningProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-built-agent-'));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads its YAML config, captures, and serves the event stream and the live preview', async () => {
    const data = join(dir, 'sim');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'agent.yaml'), 'sensors:\n  - simulated\n');
    const agent = startBuilt(data, 'simulated');
    running.push(agent);
    const port = (JSON.parse(await waitForLine(agent, /"event":"listening"/)) as { port: number }).port;
    const token = readFileSync(join(data, 'auth', 'admin.token'), 'utf8').trim();
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${token}` };

    // The sensor named only in agent.yaml is running.
    const status = (await (await fetch(`${base}/status`, { headers: auth })).json()) as {
      sensors: { sensor: string }[];
    };
    expect(status.sensors.map((s) => s.sensor)).toEqual(['simulated']);

    const capture = await fetch(`${base}/capture`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ iso: 400, shutter_speed: '1/125' }),
    });
    expect(capture.status).toBe(200);
    const listed = (await (await fetch(`${base}/captures?unsynced=true`, { headers: auth })).json()) as {
      items: { size_bytes: number }[];
    };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]!.size_bytes).toBeGreaterThan(1000);

    const hello = JSON.parse((await firstMessage(`ws://127.0.0.1:${port}/events`, token)).toString()) as {
      type: string;
    };
    expect(hello.type).toBe('hello');
    const frame = await firstMessage(`ws://127.0.0.1:${port}/preview`, token);
    expect(frame.length).toBeGreaterThan(1000);
  }, 60_000);

  it('runs gphoto2 through its on-demand execa chunk and reports the missing camera', async () => {
    const data = join(dir, 'dslr');
    const agent = startBuilt(data, 'gphoto2');
    running.push(agent);
    const line = await waitForLine(agent, /"event":"camera\.failure"/);
    const failure = JSON.parse(line) as { driver: string; code: string; message: string };
    expect(failure.driver).toBe('gphoto2');
    expect(failure.code, failure.message).toBe('no_camera');
  }, 60_000);
});
