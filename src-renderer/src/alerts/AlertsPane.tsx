/**
 * Alerts and events: the station's alerts (cameras offline, full disks, failed
 * captures, plans about to run out) with acknowledge and resolve, and what
 * this window saw happen, in one filterable list, newest first.
 */
import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AlertView } from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { CameraOptions } from '../components/CameraOptions';
import { errorText, formatTime } from '../format';
import { orchKeys } from '../schedules/api';
import { hrefFor } from '../shell/routes';
import { useUiStore } from '../state/ui-store';
import { DEFAULT_FILTER, alertEntry, alertState, filterEntries, type LogEntry, type LogFilter } from './event-log';
import './alerts.css';
import { LoadFailed } from '../components/LoadFailed';

const ALERT_LIMIT = 500;

function useAlertList() {
  const { api } = useStation();
  return useQuery({
    queryKey: [...orchKeys.alerts, ALERT_LIMIT],
    queryFn: () => api.listAlerts({ limit: ALERT_LIMIT }),
    // Alert events invalidate ['orch', 'alerts'] (schedules/api.ts, api/hooks.ts); poll slowly as a backstop.
    refetchInterval: 60_000,
  });
}

function useMarkAlert() {
  const { api } = useStation();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, mark }: { id: number; mark: 'acknowledge' | 'resolve' }) =>
      mark === 'acknowledge' ? api.acknowledgeAlert({ id }) : api.resolveAlert({ id }),
    onSuccess: (updated: AlertView) => {
      client.setQueriesData<AlertView[]>({ queryKey: orchKeys.alerts }, (list) =>
        list?.map((a) => (a.id === updated.id ? updated : a)),
      );
    },
  });
}

export function AlertsPane() {
  return (
    <div className="orch-pane" data-testid="alerts-pane">
      <h2>Alerts and events</h2>
      <AlertList />
    </div>
  );
}

/** The list with its filters; on a camera page (agentId given) only that camera's entries. */
export function AlertList({ agentId, compact = false }: { agentId?: string; compact?: boolean }) {
  const alerts = useAlertList();
  const agents = useAgents();
  const eventLog = useUiStore((s) => s.eventLog);
  const mark = useMarkAlert();
  const [filter, setFilter] = useState<LogFilter>({ ...DEFAULT_FILTER, agentId: agentId ?? 'all' });
  const names = useMemo(() => new Map((agents.data ?? []).map((a) => [a.id, a.name])), [agents.data]);
  const entries: LogEntry[] = useMemo(
    () => [...(alerts.data ?? []).map(alertEntry), ...eventLog],
    [alerts.data, eventLog],
  );
  const shown = filterEntries(entries, agentId === undefined ? filter : { ...filter, agentId });
  const openCount = (alerts.data ?? []).filter(
    (a) => alertState(a) !== 'resolved' && (agentId === undefined || a.agentId === agentId),
  ).length;
  const set = (patch: Partial<LogFilter>): void => setFilter((f) => ({ ...f, ...patch }));

  if (alerts.isPending) return <p className="muted">Loading alerts…</p>;
  if (alerts.isError) {
    return <LoadFailed what="the alerts" query={alerts} />;
  }

  return (
    <div className="event-log" data-testid="event-log">
      <p className="muted small" data-testid="alerts-open-count">
        {openCount === 0 ? 'No open alerts.' : `${openCount} open alert${openCount === 1 ? '' : 's'}.`}
      </p>
      <form className="orch-form event-filters" aria-label="Filter the list" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show
          <select
            data-testid="filter-show"
            value={filter.show}
            onChange={(e) => set({ show: e.target.value as LogFilter['show'] })}
          >
            <option value="all">everything</option>
            <option value="open">open alerts and events</option>
          </select>
        </label>
        <label>
          At least
          <select
            data-testid="filter-level"
            value={filter.level}
            onChange={(e) => set({ level: e.target.value as LogFilter['level'] })}
          >
            <option value="all">any level</option>
            <option value="warning">warning</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Kind
          <select
            data-testid="filter-kind"
            value={filter.kind}
            onChange={(e) => set({ kind: e.target.value as LogFilter['kind'] })}
          >
            <option value="all">all</option>
            <option value="alert">alerts</option>
            <option value="capture">captures</option>
            <option value="camera">camera changes</option>
            <option value="export">exports</option>
          </select>
        </label>
        {agentId === undefined && (
          <label>
            Camera
            <select
              data-testid="filter-camera"
              value={filter.agentId}
              onChange={(e) => set({ agentId: e.target.value })}
            >
              <option value="all">all cameras</option>
              <CameraOptions agents={agents.data} />
            </select>
          </label>
        )}
        <label>
          Words
          <input
            type="search"
            data-testid="filter-text"
            placeholder="disk, offline, …"
            value={filter.text}
            onChange={(e) => set({ text: e.target.value })}
          />
        </label>
      </form>
      {mark.isError && (
        <p className="error" role="alert" data-testid="alert-mark-error">
          {errorText(mark.error)}
        </p>
      )}
      {shown.length === 0 ? (
        <p className="empty" data-testid="event-log-empty">
          {entries.length === 0
            ? 'Nothing yet. Cameras going offline, disks above 80 %, failed captures and plans about to run out show here, with captures and exports as they happen.'
            : 'Nothing matches these filters; widen them to see more.'}
        </p>
      ) : (
        <ul className={`event-list${compact ? ' compact' : ''}`} aria-label="Alerts and events, newest first">
          {shown.map((e) => (
            <EntryRow
              key={e.key}
              entry={e}
              cameraName={e.agentId ? (names.get(e.agentId) ?? e.agentId) : null}
              showCamera={agentId === undefined}
              busy={mark.isPending && mark.variables.id === e.alert?.id}
              onMark={(id, m) => mark.mutate({ id, mark: m })}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function EntryRow({
  entry,
  cameraName,
  showCamera,
  busy,
  onMark,
}: {
  entry: LogEntry;
  cameraName: string | null;
  showCamera: boolean;
  busy: boolean;
  onMark: (id: number, mark: 'acknowledge' | 'resolve') => void;
}) {
  const a = entry.alert;
  const state = a ? alertState(a) : null;
  return (
    <li
      className={`event level-${entry.level}${state ? ` alert-${state}` : ''}`}
      data-testid={a ? 'alert-row' : 'event-row'}
      data-code={a?.code}
      data-state={state ?? undefined}
    >
      <span className="event-time">{formatTime(entry.time)}</span>
      <span className={`badge badge-level-${entry.level}`}>{entry.level}</span>
      <span className="event-body">
        <span className="event-what">
          {a ? a.code.replace(/_/g, ' ') : entry.kind}
          {showCamera && cameraName !== null && entry.agentId !== null && (
            <>
              {' · '}
              <a href={hrefFor('camera', entry.agentId)}>{cameraName}</a>
            </>
          )}
        </span>
        <span className="event-message">{entry.message}</span>
        {a && state !== 'open' && (
          <span className="muted small">
            {state === 'resolved'
              ? `resolved ${formatTime(a.resolvedAt!)}`
              : `acknowledged ${formatTime(a.acknowledgedAt!)}`}
          </span>
        )}
      </span>
      {a && state !== 'resolved' && (
        <span className="event-actions">
          {state === 'open' && (
            <button type="button" data-testid="alert-ack" disabled={busy} onClick={() => onMark(a.id, 'acknowledge')}>
              Acknowledge
            </button>
          )}
          <button type="button" data-testid="alert-resolve" disabled={busy} onClick={() => onMark(a.id, 'resolve')}>
            Resolve
          </button>
        </span>
      )}
    </li>
  );
}
