/**
 * The event and log view's data: alerts from the station's store, plus what
 * this window saw happen (captures, cameras changing state, exports) turned
 * into log entries, filtered and newest first. Pure functions.
 */
import { type AgentView, type AlertView, type StationEvent } from '@contract';
import { exposureText } from '../gallery/exposure-text';

export type EntryLevel = 'info' | 'warning' | 'error';
export type EntryKind = 'alert' | 'capture' | 'camera' | 'export';

export interface LogEntry {
  /** Unique across kinds: "alert:12", "capture:<id>", ... */
  key: string;
  time: string;
  level: EntryLevel;
  kind: EntryKind;
  agentId: string | null;
  /** One sentence for the operator. */
  message: string;
  /** Alerts only: the alert itself (for acknowledge/resolve). */
  alert?: AlertView;
}

export interface LogFilter {
  /** 'open': alerts not resolved (other events always count as open). */
  show: 'open' | 'all';
  level: 'all' | EntryLevel;
  kind: 'all' | EntryKind;
  /** An agent id, or 'all'. */
  agentId: string;
  text: string;
}

export const DEFAULT_FILTER: LogFilter = { show: 'all', level: 'all', kind: 'all', agentId: 'all', text: '' };

const LEVEL_RANK: Record<EntryLevel, number> = { info: 0, warning: 1, error: 2 };

export function alertEntry(a: AlertView): LogEntry {
  return {
    key: `alert:${a.id}`,
    time: a.time,
    level: a.level,
    kind: 'alert',
    agentId: a.agentId,
    message: a.message,
    alert: a,
  };
}

/**
 * A log entry for a station event, or null for events that are not worth a
 * line (alerts come from the store; export progress ticks). `before` is the
 * fleet as it was, to tell a state change from a repeat.
 */
export function entryFromEvent(e: StationEvent, before: readonly AgentView[] | undefined, now: string): LogEntry[] {
  switch (e.event) {
    case 'capture.added': {
      const c = e.data;
      const what =
        c.frameKind === 'dark'
          ? 'Dark frame'
          : c.bracket
            ? `Bracket frame ${c.bracket.index + 1}/${c.bracket.count}`
            : 'Image';
      return [
        {
          key: `capture:${c.id}`,
          time: c.capturedAt,
          level: 'info',
          kind: 'capture',
          agentId: c.agentId,
          message: `${what} from ${c.agentName}: ${exposureText(c.shutterSpeed, c.iso)}${c.schedule ? `, schedule ${c.schedule}` : ''}.`,
        },
      ];
    }
    case 'agents.changed': {
      const old = new Map((before ?? []).map((a) => [a.id, a.state]));
      return e.data
        .filter((a) => old.has(a.id) && old.get(a.id) !== a.state)
        .map((a) => ({
          key: `camera:${a.id}:${now}:${a.state}`,
          time: now,
          level: a.state === 'offline' ? ('warning' as const) : ('info' as const),
          kind: 'camera' as const,
          agentId: a.id,
          message: `${a.name} is now ${a.state === 'unpaired' ? 'not paired' : a.state}${a.state === 'offline' && a.lastError ? `: ${a.lastError}` : '.'}`,
        }));
    }
    case 'export.finished':
      return [
        {
          key: `export:${e.data.job.id}:finished`,
          time: e.data.job.finishedAt ?? now,
          level: 'info',
          kind: 'export',
          agentId: null,
          message: `Export finished: ${e.data.job.label}.`,
        },
      ];
    case 'export.failed':
      return [
        {
          key: `export:${e.data.job.id}:failed`,
          time: e.data.job.finishedAt ?? now,
          level: 'error',
          kind: 'export',
          agentId: null,
          message: `Export failed: ${e.data.job.label}${e.data.job.error ? ` (${e.data.job.error.message})` : ''}.`,
        },
      ];
    default:
      return [];
  }
}

/** Keeps the newest `max` entries of a running log, without duplicates, newest first. */
export function appendEntries(log: readonly LogEntry[], added: readonly LogEntry[], max = 500): LogEntry[] {
  if (added.length === 0) return log as LogEntry[];
  const seen = new Set(log.map((e) => e.key));
  const fresh = added.filter((e) => !seen.has(e.key));
  return sortNewestFirst([...fresh, ...log]).slice(0, max);
}

export function sortNewestFirst(entries: readonly LogEntry[]): LogEntry[] {
  return [...entries].sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || b.key.localeCompare(a.key));
}

/** The entries the filter lets through, newest first. */
export function filterEntries(entries: readonly LogEntry[], f: LogFilter): LogEntry[] {
  const text = f.text.trim().toLowerCase();
  return sortNewestFirst(
    entries.filter(
      (e) =>
        (f.show === 'all' || !e.alert || e.alert.resolvedAt === null) &&
        (f.level === 'all' || LEVEL_RANK[e.level] >= LEVEL_RANK[f.level]) &&
        (f.kind === 'all' || e.kind === f.kind) &&
        (f.agentId === 'all' || e.agentId === f.agentId) &&
        (text === '' ||
          e.message.toLowerCase().includes(text) ||
          (e.alert?.code.replace(/_/g, ' ').includes(text) ?? false)),
    ),
  );
}

/** "open", "acknowledged 03:12", "resolved 03:40". */
export function alertState(a: Pick<AlertView, 'resolvedAt' | 'acknowledgedAt'>): 'open' | 'acknowledged' | 'resolved' {
  if (a.resolvedAt !== null) return 'resolved';
  if (a.acknowledgedAt !== null && a.acknowledgedAt !== undefined) return 'acknowledged';
  return 'open';
}
