/** Everything about one camera (#/camera/<agentId>). */
import { useAgents } from '../api/hooks';
import { hrefFor } from '../shell/routes';

export function CameraPage({ agentId }: { agentId: string }) {
  const agents = useAgents();
  const agent = agents.data?.find((a) => a.id === agentId);
  return (
    <section data-testid="camera-page" aria-labelledby="camera-page-title">
      <p>
        <a href={hrefFor('cameras')}>← All cameras</a>
      </p>
      <h2 id="camera-page-title">{agent?.name ?? agentId}</h2>
      {agents.isSuccess && agent === undefined && (
        <p className="empty">This station does not know a camera called “{agentId}”. It may have been removed.</p>
      )}
    </section>
  );
}
