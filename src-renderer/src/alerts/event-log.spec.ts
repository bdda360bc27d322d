import { describe, expect, it } from 'vitest';
import { type AgentView, type AlertView, type CaptureView } from '@contract';
import {
  DEFAULT_FILTER,
  alertEntry,
  alertState,
  appendEntries,
  entryFromEvent,
  filterEntries,
  type LogEntry,
} from './event-log';

const alert = (id: number, over: Partial<AlertView> = {}): AlertView => ({
  id,
  time: `2026-12-07T0${id}:00:00Z`,
  level: 'warning',
  code: 'disk_high',
  message: `alert ${id}`,
  agentId: 'a1',
  resolvedAt: null,
  acknowledgedAt: null,
  ...over,
});

const agent = (state: AgentView['state']): AgentView => ({
  id: 'a1',
  name: 'ridge',
  host: 'h',
  port: 1,
  state,
  lastSeen: null,
  cameraModel: null,
  cameraReady: true,
  diskUsedPercent: null,
  unsynced: null,
  lastError: state === 'offline' ? 'no route to host' : null,
  embedded: false,
});

describe('event log', () => {
  it('turns captures and camera state changes into sentences, and ignores repeats', () => {
    const capture = {
      id: 'a1/c1',
      agentId: 'a1',
      agentName: 'ridge',
      capturedAt: '2026-12-07T02:00:00Z',
      schedule: null,
      iso: 800,
      shutterSpeed: '1/50',
      bracket: { group: 'g', index: 1, count: 3, ev: 0 },
    } as unknown as CaptureView;
    expect(entryFromEvent({ event: 'capture.added', data: capture }, [], 'now')[0]?.message).toBe(
      'Bracket frame 2/3 from ridge: 1/50 s, ISO 800.',
    );
    const now = '2026-12-07T02:30:00Z';
    const changed = entryFromEvent({ event: 'agents.changed', data: [agent('offline')] }, [agent('online')], now);
    expect(changed).toMatchObject([
      { level: 'warning', kind: 'camera', message: 'ridge is now offline: no route to host' },
    ]);
    expect(entryFromEvent({ event: 'agents.changed', data: [agent('online')] }, [agent('online')], now)).toEqual([]);
    // A camera seen for the first time is not a change.
    expect(entryFromEvent({ event: 'agents.changed', data: [agent('online')] }, [], now)).toEqual([]);
  });

  it('keeps the running log newest first, bounded, without duplicates', () => {
    const e = (i: number): LogEntry => ({
      key: `k${i}`,
      time: new Date(Date.UTC(2026, 11, 7, 0, i)).toISOString(),
      level: 'info',
      kind: 'capture',
      agentId: null,
      message: String(i),
    });
    let log: LogEntry[] = [];
    log = appendEntries(log, [e(1), e(3)], 3);
    log = appendEntries(log, [e(2), e(3), e(4)], 3);
    expect(log.map((x) => x.key)).toEqual(['k4', 'k3', 'k2']);
  });

  it('filters by open state, level (and above), kind, camera and words, newest first', () => {
    const entries = [
      alertEntry(alert(1)),
      alertEntry(alert(2, { resolvedAt: '2026-12-07T03:00:00Z', level: 'error', agentId: 'a2' })),
      alertEntry(alert(3, { level: 'info', code: 'plan_expiring', message: 'plan ends soon' })),
      {
        key: 'c',
        time: '2026-12-07T04:00:00Z',
        level: 'info',
        kind: 'capture',
        agentId: 'a1',
        message: 'Image from ridge',
      } as LogEntry,
    ];
    const keys = (f: Partial<typeof DEFAULT_FILTER>) =>
      filterEntries(entries, { ...DEFAULT_FILTER, ...f }).map((x) => x.key);
    expect(keys({})).toEqual(['c', 'alert:3', 'alert:2', 'alert:1']);
    expect(keys({ show: 'open' })).toEqual(['c', 'alert:3', 'alert:1']);
    expect(keys({ level: 'warning' })).toEqual(['alert:2', 'alert:1']);
    expect(keys({ kind: 'alert', agentId: 'a1' })).toEqual(['alert:3', 'alert:1']);
    expect(keys({ text: 'PLAN EXPIRING' })).toEqual(['alert:3']);
    expect(keys({ text: 'ridge' })).toEqual(['c']);
  });

  it('names an alert’s state', () => {
    expect(alertState(alert(1))).toBe('open');
    expect(alertState(alert(1, { acknowledgedAt: 'x' }))).toBe('acknowledged');
    expect(alertState(alert(1, { acknowledgedAt: 'x', resolvedAt: 'y' }))).toBe('resolved');
  });
});
