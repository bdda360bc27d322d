/**
 * The fleet: a card per camera with what an operator checks at a glance
 * (state, model, disk, temperature, newest image, unsynced backlog, deployed
 * profile and plan, next capture) and "Capture now". The camera's name opens
 * its page (#/camera/<id>).
 */
import { exposureText } from '../gallery/exposure-text';
import { stretchFilter } from '../gallery/stretch';
import { useQuery } from '@tanstack/react-query';
import { type AgentView, type PlanWindowView } from '@contract';
import {
  useAgentCaptures,
  useAgents,
  useCaptureNow,
  useNow,
  useRunningSince,
  useSession,
  useStation,
} from '../api/hooks';
import { BracketProgress, StillProgress } from '../cameras/Progress';
import { CaptureExtras } from './CaptureExtras';
import { CaptureFailed, CaptureNowButton } from './CaptureNow';
import {
  agentNow,
  cameraStatus,
  formatTemperature,
  nextCaptureText,
  planSummary,
  relativeTime,
} from '../cameras/fleet-logic';
import { formatClockOffset, formatPercent, formatTime } from '../format';
import { hrefFor } from '../shell/routes';
import { useUiStore } from '../state/ui-store';
import { PairForm } from './PairForm';
import { SensorChart } from './SensorChart';
import { LoadFailed } from './LoadFailed';

export function AgentList() {
  const agents = useAgents();
  const plans = usePlanWindows();

  if (agents.isPending) return <p className="muted">Looking for cameras…</p>;
  if (agents.isError) {
    return <LoadFailed what="the cameras" query={agents} />;
  }
  if (agents.data.length === 0) {
    return (
      <p className="empty" data-testid="fleet-empty">
        No cameras yet. Start a Skystation agent on a Raspberry Pi on this network and it appears here by itself, or add
        it below by its address and the 6-digit code it shows.
      </p>
    );
  }
  return (
    <ul className="agents fleet" aria-label="Cameras">
      {agents.data.map((a) => (
        <AgentCard key={a.id} agent={a} windows={plans.get(a.id) ?? null} />
      ))}
    </ul>
  );
}

/** The next two days of every assigned camera's plan (empty until the station has a location and schedules). */
function usePlanWindows(): Map<string, PlanWindowView[]> {
  const { api } = useStation();
  const plans = useQuery({
    queryKey: ['orch', 'planPreview', 'fleet'],
    queryFn: () => api.planPreview({ days: 2 }),
    refetchInterval: 10 * 60_000,
    retry: false,
  });
  return new Map((plans.data ?? []).map((p) => [p.agentId, p.windows]));
}

function AgentCard({ agent, windows }: { agent: AgentView; windows: PlanWindowView[] | null }) {
  const capture = useCaptureNow(agent.id);
  const connection = useUiStore((s) => s.connection);
  const status = cameraStatus(agent, connection);
  const canCapture = status.canCapture && !capture.isPending;
  const headingId = `agent-${agent.id}-name`;
  const now = useNow(true, 5_000);
  const plan = planSummary(agent, now);
  const temperature = formatTemperature(agent.temperatureC);
  const usable = agent.state === 'online' || agent.state === 'offline';
  const bracketStart = useRunningSince(['captureBracket', agent.id]);

  return (
    <li
      className={`agent fleet-card tone-${status.tone}`}
      data-testid="agent-row"
      data-agent-id={agent.id}
      data-state={agent.state}
      aria-labelledby={headingId}
    >
      <div className="fleet-card-head">
        <a className="agent-name" id={headingId} href={hrefFor('camera', agent.id)} data-testid="camera-link">
          {agent.name}
        </a>
        <span className={`badge badge-${status.tone}`} data-testid="agent-state" title={status.whyNot ?? undefined}>
          {status.label}
        </span>
        {agent.embedded && <span className="tag">simulated</span>}
      </div>
      {usable && <NewestThumb agentId={agent.id} name={agent.name} />}
      <dl className="agent-facts">
        <div>
          <dt>Camera</dt>
          <dd>{agent.cameraModel ?? '—'}</dd>
        </div>
        <div>
          <dt>Disk</dt>
          <dd className={agent.diskUsedPercent !== null && agent.diskUsedPercent >= 80 ? 'warning' : undefined}>
            {formatPercent(agent.diskUsedPercent)}
          </dd>
        </div>
        <div>
          <dt>Not yet copied</dt>
          <dd data-testid="agent-unsynced">{agent.unsynced ?? '—'}</dd>
        </div>
        {temperature !== null && (
          <div>
            <dt>Temperature</dt>
            <dd>{temperature}</dd>
          </div>
        )}
        <div>
          <dt>Profile</dt>
          <dd data-testid="agent-profile">{plan.profile ?? 'none'}</dd>
        </div>
        <div>
          <dt>Plan</dt>
          <dd className={plan.tone === 'bad' || plan.tone === 'warn' ? 'warning' : undefined}>{plan.horizon}</dd>
        </div>
        {usable && (
          <NextCapture agentId={agent.id} agentTime={agentNow(now, agent.clockOffsetMs)} now={now} windows={windows} />
        )}
        {typeof agent.clockOffsetMs === 'number' && Math.abs(agent.clockOffsetMs) > 2000 && (
          <div>
            <dt>Clock</dt>
            <dd className="warning" data-testid="agent-clock">
              {formatClockOffset(agent.clockOffsetMs)}
            </dd>
          </div>
        )}
        {agent.state !== 'online' && (
          <div>
            <dt>Last seen</dt>
            <dd data-testid="agent-last-seen">{agent.lastSeen ? formatTime(agent.lastSeen) : 'never'}</dd>
          </div>
        )}
        <div>
          <dt>Address</dt>
          <dd>
            {agent.host}:{agent.port}
          </dd>
        </div>
      </dl>
      {usable && <SensorChart agentId={agent.id} />}
      {(agent.state === 'unpaired' || agent.state === 'discovered') && <PairForm agent={agent} />}
      <div className="agent-actions">
        <CaptureNowButton
          agent={agent}
          capture={capture}
          disabled={!canCapture}
          describedBy={status.whyNot ? `${headingId}-why` : undefined}
        />
        <a href={hrefFor('camera', agent.id)} className="button-link">
          Open camera
        </a>
        {agent.state === 'online' && (
          <a
            href={hrefFor('preview', agent.id)}
            className="button-link"
            data-testid="open-preview"
            aria-label={`Live preview of ${agent.name}`}
          >
            Live
          </a>
        )}
        {capture.isPending && <StillProgress agentId={agent.id} since={capture.submittedAt} />}
      </div>
      {status.canCapture && <CaptureExtras agent={agent} disabled={capture.isPending} />}
      {bracketStart !== null && <BracketProgress agentId={agent.id} since={bracketStart} />}
      {status.whyNot !== null && (
        <p className="muted small" id={`${headingId}-why`} data-testid="capture-why-not">
          {status.whyNot}
        </p>
      )}
      <CaptureFailed capture={capture} />
      {agent.lastError !== null && agent.state !== 'online' && <p className="muted small">{agent.lastError}</p>}
    </li>
  );
}

function NewestThumb({ agentId, name }: { agentId: string; name: string }) {
  const { api } = useStation();
  const newest = useAgentCaptures(agentId, 1);
  const c = newest.data?.items[0];
  if (c === undefined) {
    return (
      <div className="fleet-thumb fleet-thumb-empty muted small">
        {newest.isPending ? 'Loading the newest image…' : 'No images yet'}
      </div>
    );
  }
  return (
    <figure className="fleet-thumb" data-testid="fleet-thumb">
      {c.thumbReady === false ? (
        <div className="gallery-placeholder fleet-thumb-img" aria-label="Thumbnail being made" />
      ) : (
        // A night frame is brightened for display (as in the Gallery); the file is untouched.
        <div style={{ filter: stretchFilter(c.meanBrightness) }}>
          <img
            className="fleet-thumb-img"
            src={api.mediaUrl(c.thumbPath)}
            alt={`Newest image from ${name}, ${formatTime(c.capturedAt)}`}
            loading="lazy"
          />
        </div>
      )}
      <figcaption className="muted small">
        {formatTime(c.capturedAt)} · {exposureText(c.shutterSpeed, c.iso)}
      </figcaption>
    </figure>
  );
}

function NextCapture({
  agentId,
  agentTime,
  now,
  windows,
}: {
  agentId: string;
  agentTime: number;
  now: number;
  windows: PlanWindowView[] | null;
}) {
  const session = useSession(agentId);
  const s = session.data;
  // A running session decides (its times are on the camera's clock); else the deployed plan's next window.
  const text =
    s?.active === true
      ? `${relativeTime(s.nextCaptureAt, agentTime)} (session, every ${s.intervalSeconds ?? '?'} s)`
      : windows !== null
        ? nextCaptureText(windows, now)
        : null;
  if (text === null) return null;
  return (
    <div>
      <dt>Next capture</dt>
      <dd data-testid="agent-next-capture">{text}</dd>
    </div>
  );
}
