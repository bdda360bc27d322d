/**
 * Everything about one camera (#/camera/<agentId>): state and facts, capture
 * actions with their progress, its newest images, a timelapse session, its
 * plan, its sensors and its alerts.
 */
import { useEffect, useState } from 'react';
import { useIsMutating, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AgentView, SensorPointView } from '@contract';
import {
  queryKeys,
  useAgentCaptures,
  useAgents,
  useCaptureNow,
  useNow,
  useRunningSince,
  useSession,
  useStation,
} from '../api/hooks';
import { CaptureExtras } from '../components/CaptureExtras';
import { CaptureFailed, CaptureNowButton } from '../components/CaptureNow';
import { BracketProgress, Elapsed, StillProgress } from './Progress';
import { PairForm } from '../components/PairForm';
import { SensorChart } from '../components/SensorChart';
import { clockOffsetAgainst, errorText, formatLux, formatPercent, formatTime, formatTimeOfDay } from '../format';
import { exposureText } from '../gallery/exposure-text';
import { navigate } from '../shell/router';
import { hrefFor } from '../shell/routes';
import { SHORTCUT_EVENT, type ShortcutAction } from '../shell/shortcuts';
import { useUiStore } from '../state/ui-store';
import { AlertList } from '../alerts/AlertsPane';
import { agentNow, cameraStatus, formatTemperature, planSummary, relativeTime } from './fleet-logic';
import { filterAgentLog, intervalProblem, latestBySensor } from './camera-logic';
import './cameras.css';

export function CameraPage({ agentId }: { agentId: string }) {
  const agents = useAgents();
  const agent = agents.data?.find((a) => a.id === agentId);

  return (
    <section className="camera-page" data-testid="camera-page" aria-labelledby="camera-page-title">
      <p className="crumbs">
        <a href={hrefFor('cameras')} data-testid="back-to-cameras">
          ← All cameras
        </a>
      </p>
      {agents.isPending && <p className="muted">Loading the camera…</p>}
      {agents.isError && (
        <p className="error" role="alert">
          Could not load the cameras: {errorText(agents.error)}
        </p>
      )}
      {agents.isSuccess && agent === undefined && (
        <>
          <h2 id="camera-page-title">Unknown camera</h2>
          <p className="empty" data-testid="camera-unknown">
            This station does not know the camera “{agentId}”. It may have been removed; go back to{' '}
            <a href={hrefFor('cameras')}>all cameras</a> to pick another.
          </p>
        </>
      )}
      {agent !== undefined && <CameraDetail agent={agent} />}
    </section>
  );
}

function CameraDetail({ agent }: { agent: AgentView }) {
  const connection = useUiStore((s) => s.connection);
  const status = cameraStatus(agent, connection);
  const capture = useCaptureNow(agent.id);
  const bracketStart = useRunningSince(['captureBracket', agent.id]);
  const bracketing = bracketStart !== null;
  const darkRunning = useIsMutating({ mutationKey: ['captureDark', agent.id] }) > 0;
  const busy = capture.isPending || bracketing || darkRunning;
  const now = useNow(true, 5_000);
  const plan = planSummary(agent, now);
  const usable = agent.state === 'online' || agent.state === 'offline';

  // "C" captures, "B" goes back (shell/shortcuts.ts).
  useEffect(() => {
    const onShortcut = (e: Event): void => {
      const action = (e as CustomEvent<ShortcutAction>).detail;
      if (action.kind === 'back') {
        navigate('cameras');
        e.preventDefault();
      } else if (action.kind === 'capture' && status.canCapture && !busy) {
        capture.reset();
        capture.mutate();
        e.preventDefault();
      }
    };
    window.addEventListener(SHORTCUT_EVENT, onShortcut);
    return () => window.removeEventListener(SHORTCUT_EVENT, onShortcut);
  }, [status.canCapture, busy, capture]);

  return (
    <>
      <div className="camera-title">
        <h2 id="camera-page-title">{agent.name}</h2>
        <span className={`badge badge-${status.tone}`} data-testid="camera-state">
          {status.label}
        </span>
        {agent.embedded && <span className="tag">simulated</span>}
      </div>

      <div className="camera-grid">
        {/* Capture and the timelapse session share a column: both are short, and side by side with the tall
            Camera card each would leave a gap under it. */}
        <div className="panel-stack">
          <section className="panel" aria-labelledby="cam-capture">
            <h3 id="cam-capture">Capture</h3>
            <div className="agent-actions">
              <CaptureNowButton
                agent={agent}
                capture={capture}
                disabled={!status.canCapture || busy}
                title="Capture now (C)"
              />
              {capture.isPending && <StillProgress agentId={agent.id} since={capture.submittedAt} />}
            </div>
            {status.whyNot !== null && (
              <p className="muted small" data-testid="capture-why-not">
                {status.whyNot}
              </p>
            )}
            <CaptureFailed capture={capture} />
            {capture.isSuccess && (
              <p className="muted small" role="status" data-testid="capture-done">
                Captured at {formatTime(capture.data.capturedAt)}:{' '}
                {exposureText(capture.data.shutterSpeed, capture.data.iso)}.
              </p>
            )}
            {status.canCapture && <CaptureExtras agent={agent} disabled={capture.isPending} />}
            {bracketing && bracketStart !== null && <BracketProgress agentId={agent.id} since={bracketStart} />}
          </section>
          <SessionPanel
            agentId={agent.id}
            canStart={status.canCapture}
            whyNot={status.whyNot}
            clockOffsetMs={agent.clockOffsetMs ?? null}
          />
        </div>

        <section className="panel" aria-labelledby="cam-facts">
          <h3 id="cam-facts">Camera</h3>
          <dl className="facts">
            <Fact term="Model" value={agent.cameraModel ?? 'not reported'} />
            <Fact term="Camera ready" value={agent.cameraReady ? 'yes' : 'no'} />
            <Fact term="Address" value={`${agent.host}:${agent.port}`} />
            <Fact term="Found by" value={sourceText(agent)} />
            <Fact term="Disk used" value={formatPercent(agent.diskUsedPercent)} />
            <Fact term="Not yet copied" value={agent.unsynced === null ? '—' : String(agent.unsynced)} />
            <Fact term="Temperature" value={formatTemperature(agent.temperatureC) ?? 'not reported'} />
            <Fact term="Can do" value={agent.capabilities?.join(', ') || '—'} />
            <Fact term="Last seen" value={agent.lastSeen ? formatTime(agent.lastSeen) : 'never'} />
            {typeof agent.clockOffsetMs === 'number' && (
              <Fact term="Clock" value={clockOffsetAgainst(agent.clockOffsetMs, 'this computer')} />
            )}
            {agent.tlsFingerprint && <Fact term="TLS fingerprint" value={agent.tlsFingerprint} mono />}
          </dl>
          {agent.lastError !== null && <p className="muted small">Last problem: {agent.lastError}</p>}
          <SyncNow agentId={agent.id} disabled={!status.canCapture} unsynced={agent.unsynced} />
          {(agent.state === 'unpaired' || agent.state === 'discovered') && <PairForm agent={agent} />}
          {typeof agent.clockOffsetMs === 'number' && Math.abs(agent.clockOffsetMs) > 2000 && (
            <ClockFix agentId={agent.id} disabled={!status.canCapture} />
          )}
        </section>

        <section className="panel" aria-labelledby="cam-plan">
          <h3 id="cam-plan">Profile and plan</h3>
          <dl className="facts">
            <Fact term="Deployed profile" value={plan.profile ?? 'none'} testid="camera-profile" />
            <Fact term="Plan" value={plan.horizon} />
            {agent.deployment && (
              <>
                <Fact term="Deployed" value={formatTime(agent.deployment.deployedAt)} />
                <Fact term="Capture windows" value={String(agent.deployment.windows)} />
                <Fact term="Renewed automatically" value={`${agent.deployment.redeploys} times`} />
              </>
            )}
          </dl>
          <p className="small">
            <a href={hrefFor('profiles')}>Deploy a profile</a> · <a href={hrefFor('schedules')}>Schedules</a>
          </p>
        </section>

        <section className="panel wide" aria-labelledby="cam-images">
          <h3 id="cam-images">Newest images</h3>
          <NewestStrip agentId={agent.id} />
        </section>

        {usable && <SensorsPanel agentId={agent.id} />}

        {agent.state === 'online' && <ControlPanel agentId={agent.id} canChange={status.canCapture} />}

        {agent.state === 'online' && <CameraLogPanel agentId={agent.id} />}

        <section className="panel wide" aria-labelledby="cam-alerts">
          <h3 id="cam-alerts">Alerts and events for this camera</h3>
          <AlertList agentId={agent.id} compact />
        </section>
      </div>
      <p className="muted small">
        Keyboard: <kbd>C</kbd> capture now, <kbd>B</kbd> back to all cameras, <kbd>?</kbd> all shortcuts.
      </p>
    </>
  );
}

function Fact({ term, value, mono, testid }: { term: string; value: string; mono?: boolean; testid?: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd className={mono ? 'mono' : undefined} data-testid={testid}>
        {value}
      </dd>
    </div>
  );
}

function sourceText(agent: AgentView): string {
  switch (agent.source) {
    case 'manual':
      return 'added by address';
    case 'mdns':
      return 'found on the network';
    case 'embedded':
      return 'built-in simulator';
    default:
      return '—';
  }
}

/** Copy the camera's images to this computer now instead of at the next automatic sync. */
function SyncNow({ agentId, disabled, unsynced }: { agentId: string; disabled: boolean; unsynced: number | null }) {
  const { api } = useStation();
  const sync = useMutation({ mutationKey: ['syncAgent', agentId], mutationFn: () => api.syncAgent({ agentId }) });
  return (
    <div className="agent-actions">
      <button
        type="button"
        data-testid="sync-now"
        disabled={disabled || sync.isPending}
        aria-busy={sync.isPending}
        onClick={() => {
          sync.reset();
          sync.mutate();
        }}
      >
        {sync.isPending ? 'Copying…' : 'Copy new images now'}
      </button>
      {sync.isPending && (
        <Elapsed
          since={sync.submittedAt}
          what={unsynced !== null && unsynced > 0 ? `Copying ${unsynced} images, each checked` : 'Copying'}
        />
      )}
      {sync.isSuccess && (
        <span className="muted small" role="status" data-testid="sync-done">
          {sync.data.imported === 0
            ? 'Nothing new: every image is already on this computer.'
            : `${sync.data.imported} images copied and checked.`}
        </span>
      )}
      {sync.isError && <span className="error small">Copying failed: {errorText(sync.error)}</span>}
    </div>
  );
}

function ClockFix({ agentId, disabled }: { agentId: string; disabled: boolean }) {
  const { api } = useStation();
  const fix = useMutation({ mutationFn: () => api.setAgentClock({ agentId }) });
  return (
    <div className="agent-actions">
      <button type="button" disabled={disabled || fix.isPending} onClick={() => fix.mutate()}>
        {fix.isPending ? 'Setting the clock…' : 'Set the camera’s clock from this computer'}
      </button>
      {fix.isSuccess && <span className="muted small">Now {(fix.data.offsetAfterMs / 1000).toFixed(1)} s off.</span>}
      {fix.isError && <span className="error small">{errorText(fix.error)}</span>}
    </div>
  );
}

function SessionPanel({
  agentId,
  canStart,
  whyNot,
  clockOffsetMs,
}: {
  agentId: string;
  canStart: boolean;
  whyNot: string | null;
  clockOffsetMs: number | null;
}) {
  const { api } = useStation();
  const client = useQueryClient();
  const session = useSession(agentId);
  const [interval, setIntervalText] = useState('30');
  const now = useNow(session.data?.active === true, 1000);
  const problem = intervalProblem(interval);
  const start = useMutation({
    mutationFn: () => api.startSession({ agentId, intervalSeconds: Number(interval) }),
    onSuccess: (s) => client.setQueryData(queryKeys.session(agentId), s),
  });
  const stop = useMutation({
    mutationFn: () => api.stopSession({ agentId }),
    onSuccess: (s) => client.setQueryData(queryKeys.session(agentId), s),
  });
  const s = session.data;

  return (
    <section className="panel" aria-labelledby="cam-session" data-testid="session-panel">
      <h3 id="cam-session">Timelapse session</h3>
      {session.isPending && <p className="muted small">Asking the camera…</p>}
      {session.isError && (
        <p className="muted small">The camera did not say whether a session runs ({errorText(session.error)}).</p>
      )}
      {s?.active === true ? (
        <>
          <p data-testid="session-state">
            Running since {s.startedAt ? formatTime(s.startedAt) : '?'}, a capture every {s.intervalSeconds} s:{' '}
            {s.captures} taken{s.failed > 0 ? `, ${s.failed} failed` : ''}. Next{' '}
            {relativeTime(s.nextCaptureAt, agentNow(now, clockOffsetMs))}.
          </p>
          <button
            type="button"
            data-testid="session-stop"
            disabled={stop.isPending}
            onClick={() => {
              stop.reset();
              stop.mutate();
            }}
          >
            {stop.isPending ? 'Stopping…' : 'Stop the session'}
          </button>
        </>
      ) : (
        <>
          {s !== undefined && (
            <p className="muted small" data-testid="session-state">
              No session running.
              {s.stoppedAt
                ? ` The last one stopped ${formatTime(s.stoppedAt)} after ${s.captures} captures${s.stopReason ? ` (${s.stopReason})` : ''}.`
                : ''}
            </p>
          )}
          <form
            className="orch-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (problem !== null || !canStart) return;
              start.reset();
              start.mutate();
            }}
          >
            <label>
              Every (seconds)
              <input
                data-testid="session-interval"
                inputMode="numeric"
                size={6}
                value={interval}
                aria-invalid={problem !== null}
                onChange={(e) => setIntervalText(e.target.value.replace(/[^\d]/g, '').slice(0, 4))}
              />
            </label>
            <button
              type="submit"
              className="primary"
              data-testid="session-start"
              disabled={!canStart || problem !== null || start.isPending}
            >
              {start.isPending ? 'Starting…' : 'Start the session'}
            </button>
          </form>
          {problem !== null && <p className="error small">{problem}</p>}
          {!canStart && whyNot !== null && <p className="muted small">{whyNot}</p>}
          <p className="muted small">
            The camera keeps capturing on its own until you stop the session, even if this computer sleeps.
          </p>
        </>
      )}
      {start.isError && (
        <p className="error" role="alert" data-testid="session-error">
          Could not start the session: {errorText(start.error)}
        </p>
      )}
      {stop.isError && (
        <p className="error" role="alert" data-testid="session-error">
          Could not stop the session: {errorText(stop.error)}
        </p>
      )}
    </section>
  );
}

function NewestStrip({ agentId }: { agentId: string }) {
  const { api } = useStation();
  const list = useAgentCaptures(agentId, 12);
  if (list.isPending) return <p className="muted small">Loading images…</p>;
  if (list.isError) return <p className="error">Could not load the images: {errorText(list.error)}</p>;
  if (list.data.items.length === 0) {
    return (
      <p className="empty" data-testid="camera-no-images">
        No images from this camera yet. Press “Capture now”, start a session, or deploy a profile.
      </p>
    );
  }
  return (
    <ul className="camera-strip" data-testid="camera-strip">
      {list.data.items.map((c) => (
        <li key={c.id}>
          {c.thumbReady === false ? (
            <div className="gallery-placeholder camera-strip-img" aria-label="Thumbnail being made" />
          ) : (
            <img
              className="camera-strip-img"
              src={api.mediaUrl(c.thumbPath)}
              alt={`Image of ${formatTime(c.capturedAt)}`}
              loading="lazy"
            />
          )}
          <span className="muted small">
            {formatTime(c.capturedAt)}
            {c.bracket ? ` · bracket ${c.bracket.index + 1}/${c.bracket.count}` : ''}
            {c.frameKind === 'dark' ? ' · dark' : ''}
          </span>
        </li>
      ))}
    </ul>
  );
}

function SensorsPanel({ agentId }: { agentId: string }) {
  const { api } = useStation();
  const series = useQuery({
    queryKey: ['sensorSeries', agentId, 'latest'],
    queryFn: () => api.sensorSeries({ agentId, from: new Date(Date.now() - 6 * 3_600_000).toISOString(), limit: 2000 }),
    refetchInterval: 30_000,
  });
  const latest: SensorPointView[] = latestBySensor(series.data ?? []);
  return (
    <section className="panel double" aria-labelledby="cam-sensors" data-testid="camera-sensors">
      <h3 id="cam-sensors">Sensors</h3>
      <SensorChart agentId={agentId} />
      {series.isSuccess && latest.length === 0 && (
        <p className="muted small">No sensor readings in the last 6 hours.</p>
      )}
      {latest.length > 0 && (
        <table className="orch-table small" aria-label="Latest sensor readings">
          <thead>
            <tr>
              <th>Sensor</th>
              <th>Temperature</th>
              <th>Humidity</th>
              <th>Light</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {latest.map((p) => (
              <tr key={`${p.sensor}/${p.probe ?? ''}`}>
                <td>
                  {p.sensor}
                  {p.probe ? ` (${p.probe})` : ''}
                </td>
                <td>{formatTemperature(p.temperatureC) ?? '—'}</td>
                <td>{p.humidityPercent === null ? '—' : `${p.humidityPercent.toFixed(0)} %`}</td>
                <td>{p.lux === null ? '—' : formatLux(p.lux)}</td>
                <td title={formatTime(p.time)}>{formatTimeOfDay(p.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Master/observer among the people watching this camera directly (its dashboard, other stations' viewers). */
function ControlPanel({ agentId, canChange }: { agentId: string; canChange: boolean }) {
  const { api } = useStation();
  const client = useQueryClient();
  const control = useQuery({
    queryKey: ['agentControl', agentId],
    queryFn: () => api.agentControl({ agentId }),
    refetchInterval: 15_000,
  });
  const [sessionId, setSessionId] = useState('');
  const force = useMutation({
    mutationFn: (id: string) => api.forceMaster({ agentId, sessionId: id }),
    onSuccess: (view) => {
      client.setQueryData(['agentControl', agentId], view);
      setSessionId('');
    },
  });
  const valid = /^[A-Za-z0-9_-]{8,64}$/.test(sessionId);
  const c = control.data;
  return (
    <section className="panel" aria-labelledby="cam-control" data-testid="camera-control">
      <h3 id="cam-control">Who controls the camera</h3>
      <p className="small">
        This station is paired with the camera and may always change it. Among other viewers (the camera’s own
        dashboard, a browser on the Pi), one is master and may change settings; the others only watch.
      </p>
      {control.isPending && <p className="muted small">Asking the camera…</p>}
      {control.isError && <p className="error small">Could not ask the camera: {errorText(control.error)}</p>}
      {c !== undefined && (
        <dl className="facts">
          <Fact
            term="Master viewer"
            value={c.masterSessionId === null ? 'none' : `${c.masterSessionId}${c.forced ? ' (forced)' : ''}`}
            testid="control-master"
          />
          <Fact term="Viewer sessions" value={String(c.sessions)} />
          <Fact term="Live connections" value={`${c.connections} of ${c.maxConnections}`} />
        </dl>
      )}
      <form
        className="orch-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!valid || !canChange) return;
          force.reset();
          force.mutate(sessionId);
        }}
      >
        <label>
          Viewer session id
          <input
            data-testid="force-master-session"
            value={sessionId}
            placeholder="shown in the viewer"
            onChange={(e) => setSessionId(e.target.value.trim())}
          />
        </label>
        <button type="submit" data-testid="force-master" disabled={!valid || !canChange || force.isPending}>
          {force.isPending ? 'Handing over…' : 'Make it master (force)'}
        </button>
      </form>
      {sessionId !== '' && !valid && (
        <p className="error small">A session id is 8 to 64 letters, digits, “-” or “_”.</p>
      )}
      {force.isError && (
        <p className="error" role="alert">
          Could not hand over control: {errorText(force.error)}
        </p>
      )}
    </section>
  );
}

/** The camera's own log (GET /api/logs on the agent), filterable, newest first. */
function CameraLogPanel({ agentId }: { agentId: string }) {
  const { api } = useStation();
  const [level, setLevel] = useState<'info' | 'warning' | 'error'>('info');
  const [text, setText] = useState('');
  const log = useQuery({
    queryKey: ['agentLog', agentId],
    queryFn: () => api.agentLog({ agentId, limit: 200 }),
    refetchInterval: 30_000,
  });
  const lines = filterAgentLog(log.data ?? [], level, text);
  return (
    <section className="panel wide" aria-labelledby="cam-agent-log" data-testid="camera-log">
      <h3 id="cam-agent-log">The camera’s log</h3>
      <form className="orch-form" onSubmit={(e) => e.preventDefault()} aria-label="Filter the camera’s log">
        <label>
          At least
          <select
            data-testid="camera-log-level"
            value={level}
            onChange={(e) => setLevel(e.target.value as typeof level)}
          >
            <option value="info">info</option>
            <option value="warning">warning</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Words
          <input
            type="search"
            data-testid="camera-log-text"
            value={text}
            placeholder="capture, disk, …"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="button" onClick={() => void log.refetch()} disabled={log.isFetching}>
          {log.isFetching ? 'Reading…' : 'Read again'}
        </button>
      </form>
      {log.isError && <p className="error small">Could not read the camera’s log: {errorText(log.error)}</p>}
      {log.isSuccess && lines.length === 0 && (
        <p className="muted small">{log.data.length === 0 ? 'The log is empty.' : 'No lines match these filters.'}</p>
      )}
      {lines.length > 0 && (
        <ol className="camera-log-lines" data-testid="camera-log-lines">
          {lines.map((l, i) => (
            <li key={`${l.time}-${i}`} className={`level-${l.level}`}>
              <span className="event-time">{formatTime(l.time)}</span> <span className="badge">{l.level}</span>{' '}
              <span className="muted small">{l.module}</span> {l.message}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
