/**
 * A throwaway LAN made of Linux network namespaces, for multicast (mDNS) tests
 * and benchmarks that must never touch the machine's real interfaces:
 *
 *   skys-<pid>-<tag>-br   a namespace holding bridge br0 with ports p0, p1, ...
 *   skys-<pid>-<tag>-N    one namespace per host with eth0 = 10.77.0.(N+1)/24,
 *                         lo up, and a 224.0.0.0/4 route so multicast leaves on eth0
 *
 * Every command is an argument array (execa, no shell). destroy() deletes the
 * namespaces (which deletes their veths and the bridge); stale namespaces of
 * dead test processes are removed on the next createLab().
 */
import { execa, type ResultPromise } from 'execa';

export interface LabHost {
  index: number;
  ns: string;
  ip: string;
  /** The bridge port (in the bridge namespace) this host hangs off. */
  port: string;
}

export interface Lab {
  bridgeNs: string;
  hosts: LabHost[];
  /** Runs a program inside a host's namespace (a long-lived child; the caller stops it). */
  spawn(host: LabHost, command: string, args: string[], env?: Record<string, string>, cwd?: string): ResultPromise;
  /** Lets multicast through to this host (on) or drops every multicast frame the bridge would flood to it (off). */
  setMulticastTo(host: LabHost, on: boolean): Promise<void>;
  destroy(): Promise<void>;
}

const PREFIX = 'skys-';

async function ip(args: string[]): Promise<void> {
  await execa('ip', args, { timeout: 10_000 });
}

/** Null when namespaces can be made here, or one sentence saying why not (the caller prints it and skips). */
export async function netnsUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `network namespaces need Linux; this is ${process.platform}`;
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    await ip(['netns', 'add', probe]);
  } catch (err) {
    const message = err instanceof Error ? (err.message.split('\n').pop() ?? err.message) : String(err);
    return `"ip netns add" is not permitted here (${message.trim()}); run as root or with CAP_NET_ADMIN + CAP_SYS_ADMIN`;
  }
  try {
    await ip(['-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
  } catch {
    return 'the kernel here has no bridge support inside network namespaces';
  } finally {
    await ip(['netns', 'del', probe]).catch(() => undefined);
  }
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes skys-<pid>-* namespaces left by test processes that no longer exist. */
export async function removeStaleNamespaces(): Promise<void> {
  const { stdout } = await execa('ip', ['netns', 'list'], { timeout: 10_000 });
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^skys-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      await ip(['netns', 'del', name]).catch(() => undefined);
    }
  }
}

/** Builds the bridge and `hostCount` hosts. On any failure everything made so far is deleted. */
export async function createLab(tag: string, hostCount: number): Promise<Lab> {
  if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error('lab tag must be 1-12 lowercase letters or digits');
  await removeStaleNamespaces();
  const base = `${PREFIX}${process.pid}-${tag}`;
  const bridgeNs = `${base}-br`;
  const made: string[] = [];
  const hosts: LabHost[] = [];
  const destroy = async (): Promise<void> => {
    for (const ns of made.reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
    made.length = 0;
  };
  try {
    await ip(['netns', 'add', bridgeNs]);
    made.push(bridgeNs);
    await ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0']);
    await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < hostCount; i++) {
      const ns = `${base}-${i}`;
      const host: LabHost = { index: i, ns, ip: `10.77.0.${i + 1}`, port: `p${i}` };
      await ip(['netns', 'add', ns]);
      made.push(ns);
      await ip(['-n', bridgeNs, 'link', 'add', host.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['-n', bridgeNs, 'link', 'set', host.port, 'master', 'br0']);
      await ip(['-n', bridgeNs, 'link', 'set', host.port, 'up']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
      hosts.push(host);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    bridgeNs,
    hosts,
    spawn: (host, command, args, env = {}, cwd = process.cwd()) =>
      execa('ip', ['netns', 'exec', host.ns, command, ...args], {
        cwd,
        env: { ...process.env, ...env },
        reject: false,
        buffer: false,
        stdin: 'pipe',
      }),
    setMulticastTo: async (host, on) => {
      await execa('bridge', ['-n', bridgeNs, 'link', 'set', 'dev', host.port, 'mcast_flood', on ? 'on' : 'off'], {
        timeout: 10_000,
      });
    },
    destroy,
  };
}
