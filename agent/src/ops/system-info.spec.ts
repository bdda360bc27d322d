import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clockSync, diskUsage, socTemperatureC } from './system-info.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-sys-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fakeTimedatectl(answer: string): Promise<string> {
  const path = join(dir, 'timedatectl');
  await writeFile(path, `#!/bin/sh\necho ${answer}\n`, { mode: 0o755 });
  return path;
}

describe('system info', () => {
  it('reads the SoC temperature in millidegrees, null without a thermal zone', async () => {
    const zone = join(dir, 'temp');
    await writeFile(zone, '48312\n');
    expect(await socTemperatureC(zone)).toBe(48.3);
    expect(await socTemperatureC(join(dir, 'none'))).toBeNull();
    await writeFile(zone, 'garbage');
    expect(await socTemperatureC(zone)).toBeNull();
  });

  it('asks timedatectl whether the clock is synchronised; unknown when nothing can tell', async () => {
    expect(await clockSync({ timedatectl: await fakeTimedatectl('yes') })).toEqual({
      sync: 'synchronized',
      source: 'timedatectl',
    });
    expect(await clockSync({ timedatectl: await fakeTimedatectl('no') })).toEqual({
      sync: 'unsynchronized',
      source: 'timedatectl',
    });
    const flag = join(dir, 'synchronized');
    await writeFile(flag, '');
    expect(await clockSync({ timedatectl: join(dir, 'missing'), timesyncFlag: flag })).toEqual({
      sync: 'synchronized',
      source: 'timesyncd',
    });
    const none = await clockSync({ timedatectl: join(dir, 'missing'), timesyncFlag: join(dir, 'absent') });
    // Without timedatectl or the flag, only a running timesyncd could say "unsynchronized".
    expect(['unknown', 'unsynchronized']).toContain(none.sync);
  });

  it('measures the disk like df', async () => {
    const d = await diskUsage(dir);
    expect(d.total_bytes).toBeGreaterThan(0);
    expect(d.used_percent).toBeGreaterThanOrEqual(0);
    expect(d.used_percent).toBeLessThanOrEqual(100);
  });
});
