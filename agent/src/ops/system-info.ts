/**
 * What the agent can tell about the machine it runs on: CPU load, memory,
 * SoC temperature, disk, uptime and whether the clock is NTP-synchronised.
 * Every probe degrades to null / "unknown" instead of throwing.
 */
import { execFile } from 'node:child_process';
import { access, readFile, statfs } from 'node:fs/promises';
import { availableParallelism, freemem, loadavg, totalmem, uptime } from 'node:os';

export type ClockSync = 'synchronized' | 'unsynchronized' | 'unknown';

export interface DiskUsage {
  total_bytes: number;
  free_bytes: number;
  used_bytes: number;
  used_percent: number;
}

export interface SystemInfo {
  load_average: [number, number, number];
  cpu_count: number;
  memory: { total_bytes: number; free_bytes: number; used_bytes: number; used_percent: number };
  soc_temperature_c: number | null;
  uptime_seconds: number;
  process_uptime_seconds: number;
  clock: { sync: ClockSync; source: string };
  disk: DiskUsage | null;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

export async function diskUsage(dir: string): Promise<DiskUsage> {
  const fs = await statfs(dir);
  const total = fs.blocks * fs.bsize;
  const free = fs.bavail * fs.bsize;
  // Like df: used = total - free (all free blocks), percent against used + available to non-root.
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const percent = used + free > 0 ? (used / (used + free)) * 100 : 0;
  return { total_bytes: total, free_bytes: free, used_bytes: used, used_percent: round1(percent) };
}

export const THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';

/** SoC temperature from the kernel's thermal zone (millidegrees), or null when there is none. */
export async function socTemperatureC(path = THERMAL_ZONE): Promise<number | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    const milli = Number(text);
    if (text === '' || !Number.isFinite(milli)) return null;
    return round1(milli / 1000);
  } catch {
    return null;
  }
}

export interface ClockSyncOptions {
  /** systemd-timesyncd's flag file: exists while synchronised. */
  timesyncFlag?: string;
  /** The timedatectl program (tests put a fake first on PATH). */
  timedatectl?: string;
  timeoutMs?: number;
}

/**
 * Whether the system clock is NTP-synchronised. Asks `timedatectl show -p
 * NTPSynchronized --value` first, then systemd-timesyncd's
 * /run/systemd/timesync/synchronized flag; "unknown" when neither can tell.
 */
export async function clockSync(options: ClockSyncOptions = {}): Promise<{ sync: ClockSync; source: string }> {
  try {
    // node's own execFile (an argument list, no shell): this probe runs at every start, and loading execa for it
    // cost the idle agent about 3 MB.
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        options.timedatectl ?? 'timedatectl',
        ['show', '-p', 'NTPSynchronized', '--value'],
        { timeout: options.timeoutMs ?? 2000, encoding: 'utf8', maxBuffer: 64 * 1024 },
        (err, out) => (err ? reject(new Error(err.message, { cause: err })) : resolve(out)),
      );
      child.stdin?.end();
    });
    const value = stdout.trim();
    if (value === 'yes') return { sync: 'synchronized', source: 'timedatectl' };
    if (value === 'no') return { sync: 'unsynchronized', source: 'timedatectl' };
  } catch {
    // No systemd (containers, other OSes) or no D-Bus: try the flag file.
  }
  const flag = options.timesyncFlag ?? '/run/systemd/timesync/synchronized';
  try {
    await access(flag);
    return { sync: 'synchronized', source: 'timesyncd' };
  } catch {
    // An absent flag only means "not synchronised" when timesyncd is running.
    try {
      await access('/run/systemd/timesync');
      return { sync: 'unsynchronized', source: 'timesyncd' };
    } catch {
      return { sync: 'unknown', source: 'none' };
    }
  }
}

/** Caches the (slow-ish) clock probe for `ttlMs`; the rest is cheap. */
export class SystemProbe {
  private clockCache: { at: number; value: { sync: ClockSync; source: string } } | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly options: ClockSyncOptions & { ttlMs?: number; thermalZone?: string } = {},
  ) {}

  async clock(): Promise<{ sync: ClockSync; source: string }> {
    const ttl = this.options.ttlMs ?? 30_000;
    if (this.clockCache && Date.now() - this.clockCache.at < ttl) return this.clockCache.value;
    const value = await clockSync(this.options);
    this.clockCache = { at: Date.now(), value };
    return value;
  }

  /** The last known clock state without waiting (unknown before the first probe). */
  clockNow(): ClockSync {
    return this.clockCache?.value.sync ?? 'unknown';
  }

  async info(): Promise<SystemInfo> {
    const [clock, soc, disk] = await Promise.all([
      this.clock(),
      socTemperatureC(this.options.thermalZone),
      diskUsage(this.dataDir).catch(() => null),
    ]);
    const total = totalmem();
    const free = freemem();
    const [l1, l5, l15] = loadavg();
    return {
      load_average: [round1(l1 ?? 0), round1(l5 ?? 0), round1(l15 ?? 0)],
      cpu_count: availableParallelism(),
      memory: {
        total_bytes: total,
        free_bytes: free,
        used_bytes: total - free,
        used_percent: round1(((total - free) / total) * 100),
      },
      soc_temperature_c: soc,
      uptime_seconds: Math.round(uptime()),
      process_uptime_seconds: Math.round(process.uptime()),
      clock,
      disk,
    };
  }
}
