import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Journal } from '../../agent/src/db/journal.js';
import { AgentEvent, StatusResponse } from '../../agent/src/protocol/index.js';
import { startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { fakeTimedatectl, parseMetrics, scrape } from './helpers.js';

// A real agent process reads an Arduino-style sensor on a real pseudo-terminal pair (socat):
// the agent opens dev-a, the test writes lines into dev-b, then unplugs (kills socat) and re-plugs.

let dir: string;
let socat: ChildProcess | null = null;
let writer: WriteStream | null = null;
let agent: RunningProcess & { port: number; token: string; auth: { authorization: string } };
let ws: WebSocket;
const events: AgentEvent[] = [];
const SENSOR = 'arduino-dev-a';

async function plug(): Promise<void> {
  socat = spawn('socat', [`pty,raw,echo=0,link=${dir}/dev-a`, `pty,raw,echo=0,link=${dir}/dev-b`], {
    stdio: 'ignore',
  });
  await until(
    () => existsSync(join(dir, 'dev-a')) && existsSync(join(dir, 'dev-b')),
    (ok) => ok,
  );
}

async function unplug(): Promise<void> {
  writer?.destroy();
  writer = null;
  const child = socat;
  socat = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await until(
    () => existsSync(join(dir, 'dev-a')),
    (present) => !present,
  );
}

function send(text: string): void {
  if (!writer) {
    writer = createWriteStream(join(dir, 'dev-b'));
    writer.on('error', () => undefined);
  }
  writer.write(text);
}

async function status(): Promise<StatusResponse> {
  const res = await fetch(`http://127.0.0.1:${agent.port}/status`, { headers: agent.auth });
  expect(res.status).toBe(200);
  return StatusResponse.parse(await res.json());
}

const sensorStatus = async () => (await status()).sensors?.find((s) => s.sensor === SENSOR);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-sensors-'));
  await plug();
  agent = await startAgentProcess(join(dir, 'data'), ['--sensor', `arduino:${dir}/dev-a`], {
    PATH: await fakeTimedatectl(dir, 'no'),
  });
  ws = new WebSocket(`ws://127.0.0.1:${agent.port}/events?access_token=${agent.token}`);
  ws.on('message', (data: Buffer) => events.push(AgentEvent.parse(JSON.parse(data.toString('utf8')))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
});

afterAll(async () => {
  ws?.close();
  await agent?.stop();
  await unplug();
  await rm(dir, { recursive: true, force: true });
});

describe('sensors wired into a real agent (socat pty)', () => {
  it('readings reach /status, the event stream, the journal and /metrics', async () => {
    await until(sensorStatus, (s) => s?.connected === true);
    send('# boot banner\nT=21.5 H=45.2 L=1234.5\n');
    const s = await until(sensorStatus, (v) => v?.latest[0]?.temperature_c === 21.5);
    expect(s?.latest[0]).toMatchObject({ humidity_percent: 45.2, lux: 1234.5 });
    send('{"temperature_c":-3.25,"humidity_percent":80}\n');
    await until(sensorStatus, (v) => v?.latest[0]?.temperature_c === -3.25);
    await until(
      () => events.filter((e) => e.type === 'sensor' && e.sensor === SENSOR).length,
      (n) => n >= 2,
    );
    const sensorEvents = events.filter((e) => e.type === 'sensor');
    expect(sensorEvents[0]).toMatchObject({ type: 'sensor', sensor: SENSOR, temperature_c: 21.5, lux: 1234.5 });
    const metrics = parseMetrics((await scrape(agent.port)).text);
    expect(metrics.get(`skystation_sensor_temperature_celsius{sensor="${SENSOR}"}`)).toBe(-3.25);
    expect(metrics.get(`skystation_sensor_humidity_percent{sensor="${SENSOR}"}`)).toBe(80);
    expect(metrics.get(`skystation_sensor_illuminance_lux{sensor="${SENSOR}"}`)).toBe(1234.5);
    expect(metrics.get(`skystation_sensor_connected{sensor="${SENSOR}"}`)).toBe(1);
    const journal = Journal.open(join(dir, 'data', 'journal.sqlite'));
    try {
      const rows = journal.sensorReadings({ sensor: SENSOR });
      expect(rows.map((r) => r.temperature_c)).toEqual([-3.25, 21.5]);
      expect(rows[1]).toMatchObject({ humidity_percent: 45.2, lux: 1234.5, probe: null });
    } finally {
      journal.close();
    }
  });

  it('counts malformed lines without stopping, and the next good line is read', async () => {
    send('garbage without pairs\nT=nan\nT=999\n');
    send('T=18 H=50\n');
    const s = await until(sensorStatus, (v) => v?.latest[0]?.temperature_c === 18);
    expect(s?.malformed_total).toBe(3);
    expect(s?.connected).toBe(true);
    const metrics = parseMetrics((await scrape(agent.port)).text);
    expect(metrics.get(`skystation_sensor_malformed_lines_total{sensor="${SENSOR}"}`)).toBe(3);
    expect(agent.child.exitCode).toBeNull();
  });

  it('an unplugged sensor is reported and comes back by itself when re-plugged', async () => {
    await unplug();
    const down = await until(sensorStatus, (v) => v?.connected === false);
    expect(down?.state).toBe('disconnected');
    await until(
      () => events.some((e) => e.type === 'warning' && e.message.startsWith(`${SENSOR}:`)),
      (ok) => ok,
    );
    expect(parseMetrics((await scrape(agent.port)).text).get(`skystation_sensor_connected{sensor="${SENSOR}"}`)).toBe(
      0,
    );
    await plug();
    await until(sensorStatus, (v) => v?.connected === true, 30_000);
    send('T=7.5\n');
    await until(sensorStatus, (v) => v?.latest[0]?.temperature_c === 7.5);
    expect(agent.child.exitCode).toBeNull();
  });

  it('captures record the sensor temperature and whether the clock was synchronised', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/capture`, {
      method: 'POST',
      headers: { ...agent.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ iso: 100, shutter_speed: '1/100' }),
    });
    expect(res.status).toBe(200);
    const list = (await (await fetch(`http://127.0.0.1:${agent.port}/captures`, { headers: agent.auth })).json()) as {
      items: { temperature_c: number | null; clock_synced?: boolean }[];
    };
    expect(list.items.at(-1)?.temperature_c).toBe(7.5);
    // timedatectl (a fake first on PATH) says the clock is not NTP-synchronised: the capture carries the flag.
    expect(list.items.at(-1)?.clock_synced).toBe(false);
    expect((await status()).system?.clock).toEqual({ sync: 'unsynchronized', source: 'timedatectl' });
    // ...and it was said out loud, once, when the agent started.
    expect(agent.stdout.filter((l) => l.includes('"event":"clock.not_synchronized"'))).toHaveLength(1);
  });
});
