/**
 * mDNS discovery across a real (namespaced) LAN: a real agent process
 * advertises `_skystation._tcp` in one network namespace, the station's
 * discovery browser runs in another, joined by veths on a bridge in a third.
 * Nothing reaches the machine's real interfaces. Skipped, saying why, where
 * `ip netns` is not permitted.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, until } from '../helpers/processes.js';
import { JsonProcess, type JsonLine } from './json-proc.js';
import { createLab, netnsUnavailableReason, type Lab, type LabHost } from './lab.js';

const reason = await netnsUnavailableReason();
if (reason) console.warn(`[netns discovery tests skipped] ${reason}`);

/** Why the avahi test cannot run here (printed), or null. It runs its own dbus-daemon and avahi-daemon. */
async function avahiUnavailableReason(): Promise<string | null> {
  if (reason) return reason;
  for (const program of ['avahi-daemon', 'avahi-publish-service', 'dbus-daemon']) {
    try {
      execFileSync('which', [program], { stdio: 'ignore' });
    } catch {
      return `${program} is not installed (apt install avahi-daemon avahi-utils dbus)`;
    }
  }
  try {
    const pid = Number((await readFile('/run/avahi-daemon/pid', 'utf8')).trim());
    process.kill(pid, 0);
    return `a system avahi-daemon (pid ${pid}) is running; a second one for the test would clash with its pid file`;
  } catch {
    return null;
  }
}
const avahiReason = await avahiUnavailableReason();
if (avahiReason && !reason) console.warn(`[netns avahi test skipped] ${avahiReason}`);

interface SeenAgent {
  id: string;
  name: string;
  version: string;
  cameraModel: string;
  capabilities: string[];
  tlsFingerprint: string | null;
  addresses: string[];
  port: number;
  instance: string;
}
const agentOf = (l: JsonLine): SeenAgent => l['agent'] as SeenAgent;
const isEvent =
  (event: string, extra: (l: JsonLine) => boolean = () => true) =>
  (l: JsonLine): boolean =>
    l.event === event && extra(l);

describe.skipIf(reason !== null)('mDNS discovery in network namespaces', () => {
  let lab: Lab;
  let agentHost: LabHost;
  let stationHost: LabHost;
  const procs: JsonProcess[] = [];
  const dirs: string[] = [];

  // Belt and braces: if the worker dies before afterAll, still delete our namespaces.
  const emergencyCleanup = (): void => {
    for (const ns of lab ? [lab.bridgeNs, ...lab.hosts.map((h) => h.ns)] : []) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };

  beforeAll(async () => {
    lab = await createLab('disc', 3);
    [agentHost, stationHost] = lab.hosts as [LabHost, LabHost];
    process.once('exit', emergencyCleanup);
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
    if (lab) {
      await lab.setMulticastTo(agentHost, true);
      await lab.setMulticastTo(stationHost, true);
    }
  });

  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
    await lab?.destroy();
    process.off('exit', emergencyCleanup);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(left).not.toContain(`skys-${process.pid}-disc`);
  });

  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'skys-netns-'));
    dirs.push(d);
    return d;
  };

  const startAgent = async (
    host: LabHost,
    name: string,
    extra: string[] = [],
    env: Record<string, string> = {},
  ): Promise<JsonProcess> => {
    const dataDir = await tempDir();
    const p = new JsonProcess(
      `agent ${name}`,
      lab.spawn(
        host,
        process.execPath,
        [
          '--import',
          'tsx',
          'agent/src/cli.ts',
          '--data-dir',
          dataDir,
          '--host',
          '0.0.0.0',
          '--port',
          '8080',
          '--name',
          name,
          '--camera',
          'simulated',
          '--sim-resolution',
          '320x240',
          ...extra,
        ],
        { SKYSTATION_MDNS: 'on', SKYSTATION_SIM_TIME_SCALE: '0.01', ...env },
        ROOT,
      ),
    );
    procs.push(p);
    Object.assign(p, { dataDir });
    return p;
  };

  const startBrowser = (host: LabHost, extra: string[] = []): JsonProcess => {
    const p = new JsonProcess(
      'browser',
      lab.spawn(
        host,
        process.execPath,
        ['--import', 'tsx', 'tests/netns/browse.ts', ...extra],
        { SKYSTATION_MDNS: 'on' },
        ROOT,
      ),
    );
    procs.push(p);
    return p;
  };

  it('finds a running agent with its TXT record, and its goodbye on shutdown removes it', async () => {
    const agent = await startAgent(agentHost, 'roof');
    const listening = await agent.waitFor(isEvent('listening'));
    await agent.waitFor(isEvent('mdns.announced'));

    const browser = startBrowser(stationHost);
    const up = await browser.waitFor(isEvent('up'));
    const seen = agentOf(up);
    expect(seen.id).toBe(listening['id']);
    expect(seen.name).toBe('roof');
    expect(seen.version).toBe(listening['version']);
    expect(seen.cameraModel).toBe('Simulated sky camera');
    expect(seen.capabilities.length).toBeGreaterThan(0);
    expect(seen.tlsFingerprint).toBeNull();
    expect(seen.port).toBe(8080);
    expect(seen.addresses[0]).toBe(agentHost.ip);
    expect(seen.instance).toMatch(/^roof \([0-9a-f]{8}\)$/);

    // The address the browser reports really is the agent.
    const health = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        stationHost.ns,
        'curl',
        '-s',
        '--max-time',
        '5',
        `http://${seen.addresses[0]}:${seen.port}/health`,
      ],
      { encoding: 'utf8' },
    );
    expect((JSON.parse(health) as { id: string }).id).toBe(seen.id);

    const from = browser.lines.length;
    await agent.stop();
    const down = await browser.waitFor(isEvent('down'), 15_000, from);
    expect(down['reason']).toBe('goodbye');
    expect(agentOf(down).id).toBe(seen.id);
  });

  it('survives a lost query: the re-query finds an agent the first query missed', async () => {
    // A responder that speaks only when asked (a real agent may also announce on its own, which would
    // find it without any re-query): whatever the browser learns, it learns from answering a query.
    const responder = new JsonProcess(
      'responder',
      lab.spawn(
        agentHost,
        process.execPath,
        ['--import', 'tsx', 'tests/netns/responder.ts', '--name', 'lostquery', '--ip', agentHost.ip],
        {},
        ROOT,
      ),
    );
    procs.push(responder);
    await responder.waitFor(isEvent('ready'));

    // The bridge drops every multicast frame towards the responder: the browser's first query never arrives.
    await lab.setMulticastTo(agentHost, false);
    const browser = startBrowser(stationHost);
    const first = await browser.waitFor(isEvent('query', (l) => l['n'] === 1));
    await lab.setMulticastTo(agentHost, true);
    const up = await browser.waitFor(isEvent('up'), 15_000);

    const events = JSON.stringify({ browser: browser.lines, responder: responder.lines });
    const queriesBeforeUp = browser.lines.filter((l) => l.event === 'query' && (l.t ?? 0) <= (up.t ?? 0));
    expect(queriesBeforeUp.length, events).toBeGreaterThanOrEqual(2);
    expect(up.t).toBeGreaterThan(first.t ?? 0);
    // The first query went unanswered: the responder answered only later ones.
    const answers = responder.lines.filter((l) => l.event === 'answered');
    expect(answers.length, events).toBeGreaterThanOrEqual(1);
    expect(answers.length, events).toBeLessThan(browser.lines.filter((l) => l.event === 'query').length);
    expect(agentOf(up).name).toBe('lostquery');
    expect(agentOf(up).addresses[0]).toBe(agentHost.ip);
    expect(first['nextInMs']).toBe(250);
  });

  it('sees an agent that starts after the browser from its announcement', async () => {
    const browser = startBrowser(stationHost, ['--initial-ms', '60000']);
    await browser.waitFor(isEvent('query', (l) => l['n'] === 1));
    const agent = await startAgent(lab.hosts[2]!, 'late');
    const listening = await agent.waitFor(isEvent('listening'));
    const up = await browser.waitFor(isEvent('up'));
    expect(agentOf(up).id).toBe(listening['id']);
    expect(agentOf(up).addresses[0]).toBe(lab.hosts[2]!.ip);
    // With the next query a minute away, only the agent's own announcement can have told the browser.
    expect(browser.lines.filter((l) => l.event === 'query')).toHaveLength(1);
  });

  it('re-announces a changed camera in place, and a rename as goodbye + new instance', async () => {
    const browser = startBrowser(stationHost);
    const adv = new JsonProcess(
      'advertiser',
      lab.spawn(
        agentHost,
        process.execPath,
        ['--import', 'tsx', 'tests/netns/advertise.ts', '--name', 'cam'],
        {},
        ROOT,
      ),
    );
    procs.push(adv);
    const up = await browser.waitFor(isEvent('up'));
    expect(agentOf(up).cameraModel).toBe('Bench camera');
    expect(agentOf(up).version).toBe('9.8.7');

    let from = browser.lines.length;
    adv.signal('SIGUSR1');
    const update = await browser.waitFor(isEvent('update'), 15_000, from);
    expect(agentOf(update).cameraModel).toBe('Changed camera');
    expect(agentOf(update).capabilities).toEqual(['preview', 'gain']);
    // An in-place update is not a disappearance.
    expect(browser.lines.slice(from).some((l) => l.event === 'down')).toBe(false);

    from = browser.lines.length;
    adv.signal('SIGUSR2');
    const down = await browser.waitFor(isEvent('down'), 15_000, from);
    expect(agentOf(down).name).toBe('cam');
    const again = await browser.waitFor(isEvent('up'), 15_000, from);
    expect(agentOf(again).name).toBe('cam-renamed');
    expect(agentOf(again).id).toBe(agentOf(up).id);
    expect(agentOf(again).cameraModel).toBe('Changed camera');
  });

  it('reports a crashed agent (no goodbye) gone once it stops answering, and back when it returns', async () => {
    const browser = startBrowser(stationHost, ['--max-ms', '400', '--stale-ms', '1500']);
    const advertise = (): JsonProcess => {
      const p = new JsonProcess(
        'advertiser',
        lab.spawn(
          agentHost,
          process.execPath,
          ['--import', 'tsx', 'tests/netns/advertise.ts', '--name', 'crashy'],
          {},
          ROOT,
        ),
      );
      procs.push(p);
      return p;
    };
    const first = advertise();
    await browser.waitFor(isEvent('up'));
    let from = browser.lines.length;
    first.signal('SIGKILL');
    const down = await browser.waitFor(isEvent('down'), 15_000, from);
    expect(down['reason']).toBe('expired');
    from = browser.lines.length;
    advertise();
    const again = await browser.waitFor(isEvent('up'), 15_000, from);
    expect(agentOf(again).name).toBe('crashy');
  });

  it('asks again at once, backoff reset, when the station’s network changes', async () => {
    const browser = startBrowser(stationHost, ['--initial-ms', '60000', '--network-check-ms', '200']);
    await browser.waitFor(isEvent('query', (l) => l['n'] === 1));
    const from = browser.lines.length;
    // A new address on the station's interface (as after joining another Wi-Fi).
    execFileSync('ip', ['-n', stationHost.ns, 'addr', 'add', '10.77.0.200/24', 'dev', 'eth0']);
    try {
      const again = await browser.waitFor(isEvent('query'), 15_000, from);
      expect(again['n']).toBe(1);
      expect(again['nextInMs']).toBe(60_000);
    } finally {
      execFileSync('ip', ['-n', stationHost.ns, 'addr', 'del', '10.77.0.200/24', 'dev', 'eth0']);
    }
  });

  it('advertises the TLS fingerprint of an agent started with --tls', async () => {
    const agent = await startAgent(agentHost, 'secure', ['--tls']);
    await agent.waitFor(isEvent('mdns.announced'));
    const dataDir = (agent as unknown as { dataDir: string }).dataDir;
    const cert = new X509Certificate(await readFile(join(dataDir, 'auth', 'cert.pem')));
    const browser = startBrowser(stationHost);
    const up = await browser.waitFor(isEvent('up'));
    expect(agentOf(up).tlsFingerprint).toBe(cert.fingerprint256);
  });

  it('a station sees a new camera as unpaired and pairs it by id with the code the camera shows', async () => {
    const agent = await startAgent(agentHost, 'pairme');
    const listening = await agent.waitFor(isEvent('listening'));
    const code = (await agent.waitFor(isEvent('pairing_code')))['code'] as string;
    const id = listening['id'] as string;
    const station = new JsonProcess(
      'station',
      lab.spawn(
        stationHost,
        process.execPath,
        ['--import', 'tsx', 'tests/netns/station.ts', '--data-dir', await tempDir()],
        { SKYSTATION_MDNS: 'on' },
        ROOT,
      ),
    );
    procs.push(station);
    type View = { id: string; state: string; host: string; port: number; source?: string };
    const viewIn = (l: JsonLine): View | undefined => (l['agents'] as View[] | undefined)?.find((a) => a.id === id);
    const unpaired = await station.waitFor((l) => l.event === 'agents' && viewIn(l)?.state === 'unpaired');
    expect(viewIn(unpaired)).toMatchObject({ host: agentHost.ip, port: 8080, source: 'mdns' });

    station.child.stdin?.write(`${JSON.stringify({ id: 1, method: 'pairAgent', params: { agentId: id, code } })}\n`);
    const reply = await station.waitFor((l) => l.event === 'reply' && l['id'] === 1);
    expect(reply['ok']).toBe(true);
    expect(reply['result']).toMatchObject({ id, state: 'online', host: agentHost.ip });
    await agent.waitFor(isEvent('pair.ok'));

    // The agent goes away: the paired camera turns offline (not forgotten).
    const from = station.lines.length;
    await agent.stop();
    await station.waitFor((l) => l.event === 'agents' && viewIn(l)?.state === 'offline', 15_000, from);
  });

  it.skipIf(avahiReason !== null)('advertises through the system avahi-daemon with --mdns avahi', async () => {
    // A private system bus and avahi-daemon inside the agent's namespace, as on a Pi that runs avahi.
    const dir = await tempDir();
    const busPath = join(dir, 'bus');
    const busAddress = `unix:path=${busPath}`;
    await writeFile(
      join(dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>${busAddress}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>\n`,
    );
    await writeFile(
      join(dir, 'avahi.conf'),
      '[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=yes\n' +
        '[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n',
    );
    const env = { DBUS_SYSTEM_BUS_ADDRESS: busAddress };
    const bus = new JsonProcess(
      'dbus-daemon',
      lab.spawn(agentHost, 'dbus-daemon', ['--config-file', join(dir, 'bus.conf'), '--nofork', '--print-address'], env),
    );
    procs.push(bus);
    await until(
      () => bus.text.some((l) => l.startsWith('unix:')),
      (ok) => ok,
      10_000,
    );
    const avahi = new JsonProcess(
      'avahi-daemon',
      lab.spawn(
        agentHost,
        'avahi-daemon',
        ['-f', join(dir, 'avahi.conf'), '--no-drop-root', '--no-chroot', '--no-rlimits'],
        env,
      ),
    );
    procs.push(avahi);
    await until(
      () => avahi.text.some((l) => /Server startup complete/.test(l)),
      (ok) => ok,
      15_000,
    );

    const browser = startBrowser(stationHost);
    const agent = await startAgent(agentHost, 'viaavahi', ['--mdns', 'avahi'], env);
    const listening = await agent.waitFor(isEvent('listening'));
    await agent.waitFor(isEvent('mdns.announced', (l) => l['via'] === 'avahi'));
    const up = await browser.waitFor(isEvent('up'));
    expect(agentOf(up)).toMatchObject({ id: listening['id'], name: 'viaavahi', port: 8080 });
    expect(agentOf(up).addresses).toContain(agentHost.ip);
    expect(agentOf(up).cameraModel).toBe('Simulated sky camera');

    const from = browser.lines.length;
    await agent.stop();
    const down = await browser.waitFor(isEvent('down'), 15_000, from);
    expect(down['reason']).toBe('goodbye');
    await avahi.stop();
    await bus.stop();
  });

  it('advertises nothing with SKYSTATION_MDNS=off', async () => {
    const browser = startBrowser(stationHost);
    const dataDir = await tempDir();
    const agent = new JsonProcess(
      'agent off',
      lab.spawn(
        agentHost,
        process.execPath,
        ['--import', 'tsx', 'agent/src/cli.ts', '--data-dir', dataDir, '--host', '0.0.0.0', '--port', '8080'],
        { SKYSTATION_MDNS: 'off' },
        ROOT,
      ),
    );
    procs.push(agent);
    await agent.waitFor(isEvent('mdns.disabled'));
    await agent.waitFor(isEvent('listening'));
    // Let the browser ask several times (0.25 + 0.5 + 1 s) while the agent runs.
    await browser.waitFor(
      isEvent('query', (l) => l['n'] === 4),
      15_000,
    );
    expect(browser.lines.some((l) => l.event === 'up')).toBe(false);
  });
});
