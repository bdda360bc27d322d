import { describe, expect, it } from 'vitest';
import type { AgentView, StationEvent } from '../api/contract.js';
import { openDatabase } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { AlertCenter } from './center.js';

const agent = (over: Partial<AgentView>): AgentView => ({
  id: 'a1',
  name: 'ridge',
  host: '127.0.0.1',
  port: 8080,
  state: 'online',
  lastSeen: null,
  cameraModel: null,
  cameraReady: true,
  diskUsedPercent: 10,
  unsynced: 0,
  lastError: null,
  embedded: false,
  ...over,
});

function setup() {
  const db = openDatabase(':memory:');
  const events: StationEvent[] = [];
  const center = new AlertCenter({ store: new OrchestrationRepo(db), emit: (e) => events.push(e) });
  return { center, events };
}

describe('AlertCenter', () => {
  it('lets an operator acknowledge, then resolve, one alert; the first time of each counts (issue #15)', () => {
    const { center } = setup();
    const raised = center.raise({ level: 'error', code: 'capture_failed', message: 'x', key: 'k1' })!;
    expect(raised).toMatchObject({ acknowledgedAt: null, resolvedAt: null });
    const acked = center.mark(raised.id, 'acknowledged')!;
    expect(acked.acknowledgedAt).not.toBeNull();
    expect(acked.resolvedAt).toBeNull();
    expect(center.mark(raised.id, 'acknowledged')?.acknowledgedAt).toBe(acked.acknowledgedAt);
    const resolved = center.mark(raised.id, 'resolved')!;
    expect(resolved.resolvedAt).not.toBeNull();
    expect(resolved.acknowledgedAt).toBe(acked.acknowledgedAt);
    // Resolved by hand: the same condition may be raised again.
    expect(center.raise({ level: 'error', code: 'capture_failed', message: 'x', key: 'k1' })).not.toBeNull();
    // Resolving also acknowledges; an unknown id is null.
    const other = center.raise({ level: 'info', code: 'note', message: 'y' })!;
    expect(center.mark(other.id, 'resolved')?.acknowledgedAt).not.toBeNull();
    expect(center.mark(99_999, 'resolved')).toBeNull();
  });

  it('raises one camera_offline alert per outage and resolves it when the camera returns', () => {
    const { center, events } = setup();
    center.observeAgents([agent({ state: 'offline' })]); // never seen online: no alert
    expect(center.list(10)).toEqual([]);
    center.observeAgents([agent({})]);
    center.observeAgents([agent({ state: 'offline' })]);
    center.observeAgents([agent({ state: 'offline', lastError: 'still down' })]);
    expect(center.list(10).map((a) => [a.code, a.resolvedAt])).toEqual([['camera_offline', null]]);
    expect(events.filter((e) => e.event === 'alert')).toHaveLength(1);
    center.observeAgents([agent({})]);
    expect(center.list(10)[0]?.resolvedAt).not.toBeNull();
    center.observeAgents([agent({ state: 'offline' })]);
    expect(center.list(10).filter((a) => a.code === 'camera_offline')).toHaveLength(2);
  });

  it('warns once when a disk is above 80 % and again after it recovered and refilled', () => {
    const { center } = setup();
    center.observeAgents([agent({ diskUsedPercent: 80 })]);
    expect(center.list(10)).toEqual([]);
    center.observeAgents([agent({ diskUsedPercent: 85.4 })]);
    center.observeAgents([agent({ diskUsedPercent: 90 })]);
    const open = center.list(10);
    expect(open.map((a) => a.code)).toEqual(['disk_high']);
    expect(open[0]?.message).toContain('85 %');
    center.observeAgents([agent({ diskUsedPercent: 40 })]);
    center.observeAgents([agent({ diskUsedPercent: 95 })]);
    expect(center.list(10).filter((a) => a.code === 'disk_high')).toHaveLength(2);
  });

  it('raises unkeyed alerts every time (capture failures)', () => {
    const { center, events } = setup();
    center.raise({ level: 'warning', code: 'capture_failed', message: 'x', agentId: 'a1' });
    center.raise({ level: 'warning', code: 'capture_failed', message: 'y', agentId: 'a1' });
    expect(center.list(10)).toHaveLength(2);
    const alert = events.find((e) => e.event === 'alert');
    expect(alert?.event === 'alert' && alert.data.agentId).toBe('a1');
  });

  it('still announces and lists an alert the store refuses (its own disk is full), once per condition', () => {
    const db = openDatabase(':memory:');
    const repo = new OrchestrationRepo(db);
    const events: StationEvent[] = [];
    let full = true;
    const store = {
      raiseAlert: (a: Parameters<OrchestrationRepo['raiseAlert']>[0]) => {
        if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return repo.raiseAlert(a);
      },
      resolveAlert: (k: string, at: string) => {
        if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        return repo.resolveAlert(k, at);
      },
      alerts: (n: number) => repo.alerts(n),
      markAlert: (id: number, m: 'acknowledged' | 'resolved', at: string) => repo.markAlert(id, m, at),
    };
    const center = new AlertCenter({ store, emit: (e) => events.push(e) });
    const a = center.raise({ level: 'error', code: 'station_disk_full', message: 'full', key: 'station_disk_full' });
    expect(a).toMatchObject({ code: 'station_disk_full', resolvedAt: null });
    expect(a!.id).toBeLessThan(0);
    expect(center.raise({ level: 'error', code: 'station_disk_full', message: 'full', key: 'station_disk_full' })).toBe(
      null,
    );
    expect(events.filter((e) => e.event === 'alert')).toHaveLength(1);
    expect(center.list(10).map((v) => v.code)).toEqual(['station_disk_full']);
    expect(center.mark(a!.id, 'acknowledged')?.acknowledgedAt).not.toBeNull();
    full = false;
    expect(center.resolve('station_disk_full')).toBe(true);
    expect(center.list(10)).toEqual([]);
  });
});
