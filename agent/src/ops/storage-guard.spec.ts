import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../db/journal.js';
import type { AgentEvent } from '../protocol/index.js';
import { CapturesStore } from '../storage/captures-store.js';
import { StorageGuard, type DiskSettings } from './storage-guard.js';

// Real journal and files; only the filesystem size is pretended: 1000 bytes of disk, of which
// `base` is used by other things, plus the capture files that exist.

let dir: string;
let journal: Journal;
let store: CapturesStore;
let base: number;
let events: AgentEvent[];
const now = new Date('2025-06-22T12:00:00Z');

async function addCapture(seq: number, synced: boolean, size = 50): Promise<string> {
  const id = `cap_${seq}`;
  const file = `2025-06-21/manual/default/${id}.jpg`;
  const stored = await store.write(file, Buffer.alloc(size, seq));
  journal.insert({
    capture_id: id,
    seq,
    file_name: file,
    captured_at: `2025-06-21T00:00:0${seq}.000Z`,
    sha256: stored.sha256,
    size_bytes: size,
    width: 1,
    height: 1,
    settings_used: { iso: 100, shutter_speed: '1/100', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 },
    profile: null,
    profile_version: null,
    schedule: null,
    test_id: null,
    variant: null,
    lux: null,
    temperature_c: null,
  });
  if (synced) journal.ack(id, stored.sha256, '2025-06-21T01:00:00.000Z');
  return id;
}

function guard(disk: Partial<DiskSettings> = {}, maxAgeHours = 48): StorageGuard {
  return new StorageGuard({
    dataDir: dir,
    journal,
    store,
    log: pino({ level: 'silent' }),
    emit: (e) => events.push(e),
    now: () => now,
    retention: { synced_max_age_hours: maxAgeHours, interval_seconds: 600, sensor_readings_max_age_days: 30 },
    disk: {
      warn_percent: 80,
      hard_limit_percent: 95,
      emergency_delete_unsynced: false,
      check_interval_seconds: 30,
      ...disk,
    },
    usage: () => {
      const files = journal.oldest(true, 1000).concat(journal.oldest(false, 1000));
      const used = base + files.reduce((n, f) => n + f.size_bytes, 0);
      return Promise.resolve({
        total_bytes: 1000,
        free_bytes: 1000 - used,
        used_bytes: used,
        used_percent: used / 10,
      });
    },
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-guard-'));
  journal = Journal.open(join(dir, 'journal.sqlite'));
  store = new CapturesStore(dir);
  await store.init();
  events = [];
  base = 0;
});

afterEach(async () => {
  journal.close();
  await rm(dir, { recursive: true, force: true });
});

describe('StorageGuard', () => {
  it('ok below the warning, one warning event above 80 %, paused with disk_full above 95 %', async () => {
    await addCapture(1, false);
    const g = guard();
    expect((await g.check()).state).toBe('ok');
    base = 800;
    expect((await g.check()).state).toBe('warning');
    await g.check();
    expect(events.filter((e) => e.type === 'warning' && e.code === 'disk_warning')).toHaveLength(1);
    base = 920;
    await expect(g.assertCanCapture()).rejects.toMatchObject({ code: 'disk_full', status: 507 });
    expect(g.status()).toMatchObject({ state: 'paused', capture_paused: true, used_percent: 97 });
    expect(existsSync(join(store.root, '2025-06-21/manual/default/cap_1.jpg'))).toBe(true);
    base = 0;
    await expect(g.assertCanCapture()).resolves.toBeUndefined();
  });

  it('above the hard limit deletes synced captures oldest first, never unsynced ones', async () => {
    await addCapture(1, true);
    await addCapture(2, false);
    await addCapture(3, true);
    await addCapture(4, false);
    base = 780; // 780 + 200 = 98 %
    const g = guard();
    const s = await g.check();
    // Synced captures go oldest first until the disk is below the limit minus 2 %: 98 → 93 → 88 %.
    expect(journal.deletedCounts()).toEqual({ disk_synced: 2 });
    expect(s.state).toBe('warning');
    expect(journal.oldest(false, 10).map((c) => c.capture_id)).toEqual(['cap_2', 'cap_4']);
    base = 880;
    expect((await g.check()).state).toBe('paused');
    expect(journal.oldest(false, 10)).toHaveLength(2);
  });

  it('emergency deletion removes the oldest unsynced captures only while above the limit', async () => {
    for (let i = 1; i <= 4; i++) await addCapture(i, false);
    base = 800; // 100 %
    const g = guard({ emergency_delete_unsynced: true });
    const s = await g.check();
    expect(s.state).toBe('warning');
    expect(journal.deletedCounts()).toEqual({ disk_emergency_unsynced: 2 }); // 100 → 95 → 90 %
    expect(journal.oldest(false, 10).map((c) => c.capture_id)).toEqual(['cap_3', 'cap_4']);
  });

  it('retention deletes synced captures older than the age and keeps unsynced ones', async () => {
    await addCapture(1, true);
    await addCapture(2, false);
    expect(await guard({}, 48).runRetention()).toBe(0); // acknowledged 35 h ago
    expect(await guard({}, 24).runRetention()).toBe(1);
    expect(journal.deletedCounts()).toEqual({ synced_expired: 1 });
    expect(journal.get('cap_2')?.synced).toBe(false);
    expect(existsSync(join(store.root, '2025-06-21/manual/default/cap_2.jpg'))).toBe(true);
    expect(existsSync(join(store.root, '2025-06-21/manual/default/cap_1.jpg'))).toBe(false);
  });
});
