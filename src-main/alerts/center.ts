/**
 * Station alerts (seed 002 "Monitoring"): camera offline, disk above a
 * threshold (80 %), capture failures, a deployed plan about to run out.
 * Each alert is stored (alerts table) and sent as an `alert` event. A
 * condition that lasts (offline, disk full) raises one alert per episode: a
 * `key` keeps it open until the condition clears.
 *
 * An alert the store cannot take (the station's own disk is full, so SQLite
 * answers SQLITE_FULL) is still announced and listed: it is kept in memory,
 * with a negative id, until its condition clears or the operator resolves it.
 */
import type { AgentView, StationEvent } from '../api/contract.js';
import type { AlertView } from '../api/orchestration.js';
import type { AlertRow } from '../db/orchestration-repo.js';

export const DEFAULT_DISK_ALERT_PERCENT = 80;

export interface AlertStore {
  raiseAlert(a: Omit<AlertRow, 'id' | 'resolvedAt'>): AlertRow | null;
  resolveAlert(dedupeKey: string, at: string): boolean;
  alerts(limit: number): AlertRow[];
  markAlert(id: number, mark: 'acknowledged' | 'resolved', at: string): AlertRow | null;
}

export interface RaiseAlert {
  level: AlertView['level'];
  code: string;
  message: string;
  agentId?: string | null;
  /** Keeps one open alert per condition; without it every call raises. */
  key?: string;
}

export class AlertCenter {
  private readonly lastState = new Map<string, AgentView['state']>();
  private closed = false;
  /** Alerts the store refused, by dedupe key (or their id when they have none); ids count down from -1. */
  private readonly unstored = new Map<string, AlertView & { key: string | null }>();
  private nextUnstoredId = -1;

  constructor(
    private readonly deps: {
      store: AlertStore;
      emit: (e: StationEvent) => void;
      now?: () => Date;
      diskAlertPercent?: number;
    },
  ) {}

  private now(): string {
    return (this.deps.now ?? (() => new Date()))().toISOString();
  }

  /** After close (the database is closing) alerts are dropped. */
  close(): void {
    this.closed = true;
  }

  /** Store and announce an alert; returns it, or null when the same condition is already open. */
  raise(a: RaiseAlert): AlertView | null {
    if (this.closed) return null;
    if (a.key !== undefined && this.unstored.has(a.key)) return null;
    const time = this.now();
    let row: AlertRow | null;
    try {
      row = this.deps.store.raiseAlert({
        time,
        level: a.level,
        code: a.code,
        message: a.message,
        agentId: a.agentId ?? null,
        dedupeKey: a.key ?? null,
      });
    } catch {
      return this.raiseUnstored(a, time);
    }
    if (row === null) return null;
    this.deps.emit({
      event: 'alert',
      data: {
        id: row.id,
        level: row.level,
        code: row.code,
        message: row.message,
        time: row.time,
        agentId: row.agentId,
      },
    });
    return toView(row);
  }

  private raiseUnstored(a: RaiseAlert, time: string): AlertView {
    const view: AlertView & { key: string | null } = {
      id: this.nextUnstoredId--,
      time,
      level: a.level,
      code: a.code,
      message: a.message,
      agentId: a.agentId ?? null,
      resolvedAt: null,
      acknowledgedAt: null,
      key: a.key ?? null,
    };
    this.unstored.set(a.key ?? String(view.id), view);
    const { key: _key, ...data } = view;
    this.deps.emit({
      event: 'alert',
      data: { id: data.id, level: data.level, code: data.code, message: data.message, time, agentId: data.agentId },
    });
    return data;
  }

  resolve(key: string): boolean {
    if (this.closed) return false;
    const dropped = this.unstored.delete(key);
    try {
      return this.deps.store.resolveAlert(key, this.now()) || dropped;
    } catch {
      return dropped;
    }
  }

  /** The operator has seen it (acknowledged) or dealt with it (resolved); null when there is no such alert. */
  mark(id: number, mark: 'acknowledged' | 'resolved'): AlertView | null {
    if (id < 0) {
      const hit = [...this.unstored.entries()].find(([, v]) => v.id === id);
      if (!hit) return null;
      const [k, v] = hit;
      const at = this.now();
      if (mark === 'resolved') this.unstored.delete(k);
      else v.acknowledgedAt = at;
      const { key: _key, ...view } = v;
      return mark === 'resolved' ? { ...view, resolvedAt: at, acknowledgedAt: view.acknowledgedAt ?? at } : view;
    }
    const row = this.deps.store.markAlert(id, mark, this.now());
    return row === null ? null : toView(row);
  }

  /** Newest first: alerts only held in memory (the store refused them) ahead of the stored ones. */
  list(limit: number): AlertView[] {
    const held = [...this.unstored.values()].reverse().map(({ key: _key, ...v }) => v);
    return [...held, ...this.deps.store.alerts(limit).map(toView)].slice(0, limit);
  }

  /** Called with every fleet change: offline cameras and full disks. */
  observeAgents(agents: readonly AgentView[]): void {
    if (this.closed) return;
    const threshold = this.deps.diskAlertPercent ?? DEFAULT_DISK_ALERT_PERCENT;
    for (const a of agents) {
      const before = this.lastState.get(a.id);
      this.lastState.set(a.id, a.state);
      const offlineKey = `offline:${a.id}`;
      if (a.state === 'offline' && before === 'online') {
        this.raise({
          level: 'error',
          code: 'camera_offline',
          message: `Camera ${a.name} (${a.host}:${a.port}) stopped answering; check its power and network. It keeps capturing on its own if it is still running.`,
          agentId: a.id,
          key: offlineKey,
        });
      } else if (a.state === 'online' && before !== 'online') {
        this.resolve(offlineKey);
      }
      const diskKey = `disk:${a.id}`;
      if (a.diskUsedPercent !== null && a.diskUsedPercent > threshold) {
        this.raise({
          level: 'warning',
          code: 'disk_high',
          message: `Camera ${a.name}'s disk is ${a.diskUsedPercent.toFixed(0)} % full (alert above ${threshold} %); sync it and free space before it stops capturing.`,
          agentId: a.id,
          key: diskKey,
        });
      } else if (a.diskUsedPercent !== null) {
        this.resolve(diskKey);
      }
    }
  }
}

function toView(r: AlertRow): AlertView {
  return {
    id: r.id,
    time: r.time,
    level: r.level,
    code: r.code,
    message: r.message,
    agentId: r.agentId,
    resolvedAt: r.resolvedAt,
    acknowledgedAt: r.acknowledgedAt ?? null,
  };
}
