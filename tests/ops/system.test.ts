import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LOG_FILES, readLastLogEntries } from '../../agent/src/ops/logging.js';
import { AgentEvent, StatusResponse } from '../../agent/src/protocol/index.js';
import { ROOT, runToExit, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';
import { fakeTimedatectl } from './helpers.js';

// System info, the periodic status event, the config file, log files and systemd notifications,
// on a real agent process. systemd-notify and timedatectl are fakes first on PATH that behave like
// the real programs for the arguments the agent uses.

type Agent = RunningProcess & { port: number; token: string; auth: { authorization: string } };

let dir: string;
let data: string;
let notifyLog: string;
let agent: Agent;
const events: AgentEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-system-'));
  data = join(dir, 'data');
  await mkdir(data);
  notifyLog = join(dir, 'notify.log');
  const path = await fakeTimedatectl(dir, 'yes');
  await writeFile(
    join(dir, 'fake-bin', 'systemd-notify'),
    `#!/bin/sh\n[ -n "$NOTIFY_SOCKET" ] || exit 1\necho "$*" >> '${notifyLog}'\n`,
    { mode: 0o755 },
  );
  // The default config file in the data folder, with one value overridden from the environment.
  await writeFile(join(data, 'agent.yaml'), 'status:\n  interval_seconds: 5\nsensors:\n  - simulated\n');
  agent = await startAgentProcess(data, ['--log-level', 'debug'], {
    PATH: path,
    NOTIFY_SOCKET: join(dir, 'notify.sock'),
    WATCHDOG_USEC: '1000000',
    SKYSTATION_AGENT_STATUS_INTERVAL_SECONDS: '0.3',
  });
  const ws = new WebSocket(`ws://127.0.0.1:${agent.port}/events?access_token=${agent.token}`);
  ws.on('message', (m: Buffer) => events.push(AgentEvent.parse(JSON.parse(m.toString('utf8')))));
  agent.child.once('exit', () => ws.close());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
});

afterAll(async () => {
  await agent?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('system info, status events, logs and systemd on a real agent', () => {
  it('/status carries load, memory, SoC temperature (null here), uptime, disk and clock state', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/status`, { headers: agent.auth });
    const status = StatusResponse.parse(await res.json());
    const sys = status.system!;
    expect(sys.load_average).toHaveLength(3);
    expect(sys.memory.total_bytes).toBeGreaterThan(0);
    expect(sys.uptime_seconds).toBeGreaterThan(0);
    expect(sys.soc_temperature_c).toBe(existsSync('/sys/class/thermal/thermal_zone0/temp') ? expect.any(Number) : null);
    expect(sys.clock).toEqual({ sync: 'synchronized', source: 'timedatectl' });
    expect(status.storage?.state).toBe('ok');
    expect(status.sensors?.map((s) => s.sensor)).toEqual(['simulated']);
  });

  it('sends a periodic status event (interval from SKYSTATION_AGENT_STATUS_INTERVAL_SECONDS over the file)', async () => {
    const statuses = await until(
      () => events.filter((e) => e.type === 'status' && e.system !== undefined),
      (list) => list.length >= 2,
    );
    expect(statuses[0]).toMatchObject({ type: 'status', camera_state: 'ready', storage: { state: 'ok' } });
  });

  it('captures taken with a synchronised clock say so', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/capture`, {
      method: 'POST',
      headers: { ...agent.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ iso: 100, shutter_speed: '1/100' }),
    });
    expect(res.status).toBe(200);
    const done = await until(
      () => events.find((e) => e.type === 'capture.done'),
      (e) => e !== undefined,
    );
    expect(done?.type === 'capture.done' && done.capture.clock_synced).toBe(true);
  });

  it('writes JSON logs to rotated files: agent.log, error.log, and debug.log in debug mode', async () => {
    const logs = join(data, 'logs');
    for (const f of Object.values(LOG_FILES)) expect(existsSync(join(logs, f)), f).toBe(true);
    const last = await until(
      () => readLastLogEntries(logs, 5),
      (entries) => entries.some((e) => e['event'] === 'capture.done'),
    );
    expect(last.length).toBeLessThanOrEqual(5);
    expect(last.every((e) => typeof e.msg === 'string' && typeof e.time === 'string')).toBe(true);
    const main = await readFile(join(logs, LOG_FILES.main), 'utf8');
    expect(main).toContain('"event":"listening"');
    expect(main).not.toContain('"level":20');
    expect(await readFile(join(logs, LOG_FILES.debug), 'utf8')).toContain('"level":20');
    expect(agent.stdout.some((l) => l.includes('"event":"listening"'))).toBe(true);
  });

  it('tags every log line of a capture with its capture id', async () => {
    const done = events.find((e) => e.type === 'capture.done');
    const id = done?.type === 'capture.done' ? done.capture.capture_id : '';
    expect(id).not.toBe('');
    const lines = (await readFile(join(data, 'logs', LOG_FILES.debug), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"component":"capture"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l['capture_id'] === id);
    expect(mine.map((l) => l['event'])).toEqual(expect.arrayContaining(['capture.start', 'capture.done']));
    expect(mine.every((l) => l['correlation_id'] === id)).toBe(true);
  });

  it('tells systemd it is ready and pings the watchdog through systemd-notify', async () => {
    const lines = await until(
      async () => (existsSync(notifyLog) ? (await readFile(notifyLog, 'utf8')).trim().split('\n') : []),
      (l) => l.filter((x) => x.includes('WATCHDOG=1')).length >= 2,
    );
    expect(lines[0]).toMatch(/^--pid=\d+ --ready --status=listening$/);
  });
});

describe('config file errors at start', () => {
  it('an invalid file names the field and the problem, and the agent exits 1', async () => {
    const d = await mkdtemp(join(tmpdir(), 'skys-config-'));
    try {
      const file = join(d, 'custom.yaml');
      await writeFile(file, 'disk:\n  hard_limit_percent: 150\n  colour: blue\n');
      const r = await runToExit(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/cli.ts'),
        '--data-dir',
        join(d, 'data'),
        '--config',
        file,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`The agent config ${file} is invalid`);
      expect(r.stderr).toContain('disk.hard_limit_percent:');
      expect(r.stderr).toContain('unknown field(s): colour');
      const missing = await runToExit(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/cli.ts'),
        '--data-dir',
        join(d, 'data'),
        '--config',
        join(d, 'nope.yaml'),
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/nope\.yaml does not exist/);
      const badSensor = await runToExit(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/cli.ts'),
        '--data-dir',
        join(d, 'data'),
        '--sensor',
        'thermocouple:/dev/ttyS0',
      ]);
      expect(badSensor.code).toBe(2);
      expect(badSensor.stderr).toContain('Unknown sensor kind "thermocouple"');
      expect(badSensor.stderr).toContain('arduino:PATH[@BAUD], digitemp:PATH, simulated');
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('resources/', () => {
  it('the systemd unit restarts always and uses the watchdog', async () => {
    const unit = await readFile(join(ROOT, 'resources/skystation-agent.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=always', 'WatchdogSec=60']) {
      expect(unit.split('\n')).toContain(line);
    }
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node (--[a-z-]+(=\S+)? )*\/opt\/skystation-agent\/dist\/cli\.js /m);
  });

  it('install-agent.sh parses, is strict, and is shellcheck-clean when shellcheck is installed', () => {
    const script = join(ROOT, 'resources/install-agent.sh');
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    const check = spawnSync('shellcheck', [script], { encoding: 'utf8' });
    if (check.error) console.warn('shellcheck is not installed; only bash -n checked resources/install-agent.sh.');
    else expect(`${check.stdout}${check.stderr}`).toBe('');
  });
});
