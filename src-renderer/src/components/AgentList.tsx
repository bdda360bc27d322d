import type { AgentView } from '../../../src-main/api/contract';
import { useAgents, useCaptureNow } from '../api/hooks';
import { errorText, formatPercent, formatTime } from '../format';
import { CaptureExtras } from './CaptureExtras';
import { PairForm } from './PairForm';
import { SensorChart } from './SensorChart';
import { useUiStore } from '../state/ui-store';

export function AgentList() {
  const agents = useAgents();

  if (agents.isPending) return <p className="muted">Looking for cameras…</p>;
  if (agents.isError) {
    return (
      <p className="error" role="alert">
        Could not load the cameras: {errorText(agents.error)}{' '}
        <button type="button" onClick={() => void agents.refetch()}>
          Try again
        </button>
      </p>
    );
  }
  if (agents.data.length === 0) {
    return (
      <p className="empty">
        No cameras yet. Start a Skystation agent on a Raspberry Pi on this network and it will appear here, or start the
        station with its simulated camera.
      </p>
    );
  }
  return (
    <ul className="agents" aria-label="Cameras">
      {agents.data.map((a) => (
        <AgentRow key={a.id} agent={a} />
      ))}
    </ul>
  );
}

function AgentRow({ agent }: { agent: AgentView }) {
  const capture = useCaptureNow(agent.id);
  const selected = useUiStore((s) => s.selectedAgentId === agent.id);
  const selectAgent = useUiStore((s) => s.selectAgent);
  const canCapture = agent.state === 'online' && !capture.isPending;
  const headingId = `agent-${agent.id}-name`;

  return (
    <li
      className={`agent${selected ? ' selected' : ''}`}
      data-testid="agent-row"
      data-agent-id={agent.id}
      data-state={agent.state}
      aria-labelledby={headingId}
    >
      <div className="agent-main">
        <button
          type="button"
          className="agent-name"
          id={headingId}
          onClick={() => selectAgent(selected ? null : agent.id)}
        >
          {agent.name}
        </button>
        <span className={`badge badge-${agent.state}`} data-testid="agent-state">
          {agent.state}
        </span>
        {agent.embedded && <span className="tag">simulated</span>}
      </div>
      <dl className="agent-facts">
        <div>
          <dt>Address</dt>
          <dd>
            {agent.host}:{agent.port}
          </dd>
        </div>
        <div>
          <dt>Camera</dt>
          <dd>{agent.cameraModel ?? '—'}</dd>
        </div>
        <div>
          <dt>Disk</dt>
          <dd>{formatPercent(agent.diskUsedPercent)}</dd>
        </div>
        <div>
          <dt>Unsynced</dt>
          <dd>{agent.unsynced ?? '—'}</dd>
        </div>
        {typeof agent.temperatureC === 'number' && (
          <div>
            <dt>Temperature</dt>
            <dd>{agent.temperatureC.toFixed(1)} °C</dd>
          </div>
        )}
        {typeof agent.clockOffsetMs === 'number' && Math.abs(agent.clockOffsetMs) > 2000 && (
          <div>
            <dt>Clock</dt>
            <dd className="warning" data-testid="agent-clock">
              {(agent.clockOffsetMs / 1000).toFixed(0)} s off
            </dd>
          </div>
        )}
        {agent.state !== 'online' && (
          <div>
            <dt>Last seen</dt>
            <dd data-testid="agent-last-seen">{agent.lastSeen ? formatTime(agent.lastSeen) : 'never'}</dd>
          </div>
        )}
        {agent.tlsFingerprint && (
          <div>
            <dt>TLS</dt>
            <dd title={agent.tlsFingerprint}>{agent.tlsFingerprint.slice(0, 17)}…</dd>
          </div>
        )}
      </dl>
      {(agent.state === 'online' || agent.state === 'offline') && <SensorChart agentId={agent.id} />}
      {(agent.state === 'unpaired' || agent.state === 'discovered') && <PairForm agent={agent} />}
      <div className="agent-actions">
        <button
          type="button"
          className="primary"
          data-testid="capture-now"
          aria-label={`Capture now with ${agent.name}`}
          disabled={!canCapture}
          aria-busy={capture.isPending}
          title={agent.state === 'online' ? undefined : 'The camera must be online to capture.'}
          onClick={() => {
            capture.reset();
            capture.mutate();
          }}
        >
          {capture.isPending ? 'Capturing…' : 'Capture now'}
        </button>
      </div>
      {capture.isError && (
        <p className="error" role="alert" data-testid="capture-error">
          Capture failed: {errorText(capture.error)}
        </p>
      )}
      {agent.state === 'online' && (
        <CaptureExtras
          agent={agent}
          disabled={capture.isPending}
          canBracket={agent.capabilities?.includes('bracketing') ?? true}
        />
      )}
      {agent.lastError !== null && agent.state !== 'online' && <p className="muted small">{agent.lastError}</p>}
    </li>
  );
}
